package schedule

import (
	"context"
	"fmt"
	"math"
	"sort"
)

type rule int

const (
	ruleEDD rule = iota
	ruleATCS
	ruleMWKR
	ruleECT
	ruleSetupEDD
	ruleKeep // repair: each operation on its earlier line, not before its earlier start, by earlier start
	nRules
)

var ruleNames = [...]string{"EDD", "ATCS", "MWKR", "ECT", "SETUP-EDD", "KEEP"}

type cand struct {
	ss, st, en int64
	ok         bool
}

// construct builds an active schedule with the Giffler–Thompson algorithm:
// take the operation that can end first, and among the operations that could
// start on its line before that, dispatch the one the rule prefers.
func (m *model) construct(ctx context.Context, r rule) (*solution, error) {
	n := m.n()
	nO := len(m.due)
	s := newSolution(m)
	next := make([]int32, nO)
	rem := append([]int64(nil), m.work...)
	jobEnd := make([]int64, nO)
	cache := make([][]cand, nO)
	bestI := make([]int, nO)
	lineFree := make([]int64, m.nLines)
	lastEnd := make([]int64, m.nLines)
	lastFam := make([]int32, m.nLines)
	for l := range m.nLines {
		lastEnd[l] = before
		lastFam[l] = m.initFam[l]
	}
	var sumP float64
	for v := range n {
		sumP += float64(m.elig[v][0].dur)
	}
	pbar := math.Max(1, sumP/math.Max(1, float64(n)))
	var sumS, cntS float64
	for l := range m.nLines {
		for _, x := range m.setup[l] {
			if x > 0 {
				sumS += float64(x)
				cntS++
			}
		}
	}
	sbar := math.Max(1, sumS/math.Max(1, cntS))

	eval := func(o int, i int) {
		v := next[o]
		e := m.elig[v][i]
		l := e.line
		t0 := max(jobEnd[o], m.ready[v])
		if r == ruleKeep && m.init != nil && m.init.line[v] >= 0 {
			if il := m.init.line[v]; il != l && m.durOn(int(v), il) >= 0 {
				cache[o][i] = cand{}
				return
			}
			t0 = max(t0, m.init.st[v])
		}
		ss, st, en, ok := m.place(int(l), m.opFam[v], lineFree[l], lastEnd[l], lastFam[l], t0, e.dur)
		cache[o][i] = cand{ss, st, en, ok}
	}
	pickBest := func(o int) {
		b := -1
		for i, c := range cache[o] {
			if c.ok && (b < 0 || c.en < cache[o][b].en) {
				b = i
			}
		}
		bestI[o] = b
	}
	// onLine[l] lists the current candidates eligible on line l; entries
	// whose order has moved on are dropped lazily.
	type ent struct{ o, i, v int32 }
	onLine := make([][]ent, m.nLines)
	bestEnd := make([]int64, nO)
	setBest := func(o int) {
		pickBest(o)
		bestEnd[o] = far
		if b := bestI[o]; b >= 0 {
			bestEnd[o] = cache[o][b].en
		}
	}
	enter := func(o int) {
		v := next[o]
		cache[o] = cache[o][:0]
		for i, e := range m.elig[v] {
			cache[o] = append(cache[o], cand{})
			eval(o, i)
			onLine[e.line] = append(onLine[e.line], ent{int32(o), int32(i), v})
		}
		setBest(o)
	}
	left := 0
	for o := range nO {
		next[o] = -1
		bestEnd[o] = far
		for s := range m.p.Orders[o].Ops {
			if v, ok := m.opIndex[[2]int{o, s}]; ok {
				next[o] = v
				break
			}
		}
		if next[o] >= 0 {
			cache[o] = make([]cand, 0, 4)
			enter(o)
		}
	}
	left = n
	for ; left > 0; left-- {
		if left%512 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		ostar, cEnd := -1, int64(far)
		for o, e := range bestEnd {
			if e < cEnd {
				ostar, cEnd = o, e
			}
		}
		if ostar < 0 {
			for o := range nO {
				if next[o] >= 0 {
					return nil, m.opErr(int(next[o]), "fits in no working window of its eligible lines")
				}
			}
		}
		L := m.elig[next[ostar]][bestI[ostar]].line
		k := 0
		best, bestOp, bestP := -1, 0, math.Inf(-1)
		ents := onLine[L]
		for _, en := range ents {
			o, i := int(en.o), int(en.i)
			if next[o] != en.v {
				continue
			}
			ents[k] = en
			k++
			c := cache[o][i]
			if !c.ok || c.st >= cEnd {
				continue
			}
			v := next[o]
			e := m.elig[v][i]
			var p float64
			switch r {
			case ruleEDD:
				p = -float64(m.due[o]) - float64(c.en)*1e-6
			case ruleATCS:
				slack := math.Max(0, float64(m.due[o]-rem[o]-c.st))
				p = m.weight[o] / float64(e.dur) * math.Exp(-slack/(2*pbar)) * math.Exp(-float64(c.st-c.ss)/(sbar))
			case ruleMWKR:
				p = float64(rem[o]) - float64(c.en)*1e-9
			case ruleECT:
				p = -float64(c.en)
			case ruleSetupEDD:
				p = -float64(c.st-c.ss)*1e3 - float64(m.due[o])*1e-3
			case ruleKeep:
				p = -float64(c.st)
				if m.init != nil && m.init.st[v] < far {
					p = -float64(m.init.st[v])
				}
			}
			if best < 0 || p > bestP || (p == bestP && o < best) {
				best, bestOp, bestP = o, i, p
			}
		}
		onLine[L] = ents[:k]
		o, i := best, bestOp
		v := next[o]
		c := cache[o][i]
		s.line[v] = L
		s.dur[v] = m.elig[v][i].dur
		s.pos[v] = int32(len(s.seq[L]))
		s.seq[L] = append(s.seq[L], v)
		lineFree[L], lastEnd[L], lastFam[L] = c.en, c.en, m.opFam[v]
		jobEnd[o] = c.en
		rem[o] -= minDur(m.elig[v])
		next[o] = m.jobSucc[v]
		if next[o] >= 0 {
			enter(o)
		} else {
			bestEnd[o] = far
		}
		for _, en := range onLine[L] {
			if a := int(en.o); a != o && next[a] == en.v {
				eval(a, int(en.i))
				setBest(a)
			}
		}
	}
	return s, nil
}

func minDur(es []elig) int64 {
	d := int64(far)
	for _, e := range es {
		d = min(d, e.dur)
	}
	return d
}

func (m *model) opErr(v int, msg string) error {
	return fmt.Errorf("order %s step %d: %s", m.p.Orders[m.opOrder[v]].ID, m.opStep[v]+1, msg)
}

// fromPlan rebuilds sequences from an earlier plan (warm start for repair):
// operations keep their line if still eligible and their order on the line;
// new operations go to their shortest line, placed by an estimated time.
func (m *model) fromPlan(pl *Plan) *solution {
	n := m.n()
	key := make([]int64, n)
	s := newSolution(m)
	have := make([]bool, n)
	orderIdx := make(map[string]int, len(m.p.Orders))
	for i, o := range m.p.Orders {
		orderIdx[o.ID] = i
	}
	for _, po := range pl.Ops {
		oi, ok := orderIdx[po.Order]
		if !ok {
			continue
		}
		v, ok := m.opIndex[[2]int{oi, po.Step - 1}]
		if !ok {
			continue
		}
		l, ok := m.lineIdx[po.Line]
		if !ok || m.durOn(int(v), int32(l)) < 0 {
			continue
		}
		s.line[v] = int32(l)
		key[v] = m.t(po.Start)
		have[v] = true
	}
	for v := range n {
		if have[v] {
			continue
		}
		b := m.elig[v][0]
		for _, e := range m.elig[v] {
			if e.dur < b.dur {
				b = e
			}
		}
		s.line[v] = b.line
		k := m.ready[v]
		if jp := m.jobPred[v]; jp >= 0 {
			k = key[jp] + m.durOn(int(jp), s.line[jp])
		}
		key[v] = max(k, 0)
	}
	for v := range n {
		s.dur[v] = m.durOn(v, s.line[v])
		s.seq[s.line[v]] = append(s.seq[s.line[v]], int32(v))
	}
	for l := range s.seq {
		q := s.seq[l]
		sort.SliceStable(q, func(i, j int) bool {
			if key[q[i]] != key[q[j]] {
				return key[q[i]] < key[q[j]]
			}
			return q[i] < q[j]
		})
		s.renumber(int32(l))
	}
	return s
}
