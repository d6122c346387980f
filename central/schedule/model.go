package schedule

import (
	"math"
	"sort"
	"time"
)

const (
	far    = int64(math.MaxInt64 / 4)
	before = -far
)

type ival struct{ start, end int64 }

type elig struct {
	line int32
	dur  int64
}

type frozenOp struct {
	order, step, line int
	ss, st, en        int64
	fam               int32
}

// model is the compiled problem: times are nanoseconds since Problem.Now,
// only unfrozen operations are indexed.
type model struct {
	p       *Problem
	now     time.Time
	nLines  int
	nFam    int // families; index nFam means "none" (no setup)
	lineIdx map[string]int

	// per unfrozen operation
	opOrder []int32
	opStep  []int32 // 0-based
	opFam   []int32
	elig    [][]elig
	jobPred []int32
	jobSucc []int32
	ready   []int64 // release / now / frozen predecessors
	anchor  []int64 // repair: ready, and not before the earlier start
	opIndex map[[2]int]int32

	// per line
	windows [][]ival
	frozen  [][]frozenOp // sorted by end
	setup   [][]int64    // (nFam+1) × nFam
	initFam []int32

	// per order
	due        []int64
	weight     []float64
	lastOp     []int32 // last unfrozen op, -1 if all frozen
	frozenDone []int64 // end of the last frozen op, before if none
	work       []int64 // sum of minimal durations of unfrozen ops

	frozenOps []frozenOp
	frozenSet map[[2]int]bool
	lb        int64 // makespan lower bound
	init      *initial
}

func (m *model) t(x time.Time) int64 { return int64(x.Sub(m.now)) }

func (m *model) at(x int64) time.Time { return m.now.Add(time.Duration(x)) }

func compile(p *Problem) *model {
	m := &model{p: p, now: p.Now, nLines: len(p.Lines), lineIdx: make(map[string]int, len(p.Lines))}
	for i, l := range p.Lines {
		m.lineIdx[l.ID] = i
	}
	fams := map[string]int32{}
	famOf := func(f string) int32 {
		if i, ok := fams[f]; ok {
			return i
		}
		fams[f] = int32(len(fams))
		return fams[f]
	}
	for _, o := range p.Orders {
		for _, op := range o.Ops {
			famOf(op.Family)
		}
	}
	for _, l := range p.Lines {
		if l.InitialFamily != "" {
			famOf(l.InitialFamily)
		}
	}
	m.nFam = len(fams)
	F := m.nFam
	m.setup = make([][]int64, m.nLines)
	m.initFam = make([]int32, m.nLines)
	m.windows = make([][]ival, m.nLines)
	m.frozen = make([][]frozenOp, m.nLines)
	for i := range p.Lines {
		l := &p.Lines[i]
		s := make([]int64, (F+1)*F)
		for k, d := range l.Changeover {
			fi, ok1 := fams[k.From]
			ti, ok2 := fams[k.To]
			if ok1 && ok2 {
				s[int(fi)*F+int(ti)] = int64(d)
			}
		}
		m.setup[i] = s
		m.initFam[i] = int32(F)
		if l.InitialFamily != "" {
			m.initFam[i] = fams[l.InitialFamily]
		}
	}
	// Frozen operations.
	m.frozenSet = map[[2]int]bool{}
	orderIdx := make(map[string]int, len(p.Orders))
	for i, o := range p.Orders {
		orderIdx[o.ID] = i
	}
	m.frozenDone = make([]int64, len(p.Orders))
	for i := range m.frozenDone {
		m.frozenDone[i] = before
	}
	for _, f := range p.Frozen {
		oi := orderIdx[f.Order]
		ss := f.SetupStart
		if ss.IsZero() {
			ss = f.Start
		}
		fo := frozenOp{order: oi, step: f.Step - 1, line: m.lineIdx[f.Line], ss: m.t(ss), st: m.t(f.Start), en: m.t(f.End),
			fam: fams[p.Orders[oi].Ops[f.Step-1].Family]}
		m.frozenOps = append(m.frozenOps, fo)
		m.frozenSet[[2]int{oi, f.Step - 1}] = true
		m.frozen[fo.line] = append(m.frozen[fo.line], fo)
		m.frozenDone[oi] = max(m.frozenDone[oi], fo.en)
	}
	for i := range p.Lines {
		fr := m.frozen[i]
		sort.Slice(fr, func(a, b int) bool { return fr[a].en < fr[b].en })
		var cuts []Window
		for _, f := range fr {
			cuts = append(cuts, Window{m.at(f.ss), m.at(f.en)})
		}
		l := &p.Lines[i]
		var ws []Window
		if len(l.Calendar) == 0 {
			ws = subtract([]Window{{m.at(before), m.at(far)}}, mergeWindows(append(append([]Window(nil), l.Unavailable...), cuts...)))
		} else {
			ws = subtract(mergeWindows(l.Calendar), mergeWindows(append(append([]Window(nil), l.Unavailable...), cuts...)))
		}
		for _, w := range ws {
			m.windows[i] = append(m.windows[i], ival{m.t(w.Start), m.t(w.End)})
		}
	}
	// Unfrozen operations.
	m.opIndex = map[[2]int]int32{}
	m.due = make([]int64, len(p.Orders))
	m.weight = make([]float64, len(p.Orders))
	m.lastOp = make([]int32, len(p.Orders))
	m.work = make([]int64, len(p.Orders))
	lineLoad := make([]int64, m.nLines)
	for oi, o := range p.Orders {
		m.due[oi] = m.t(o.Due)
		m.weight[oi] = o.Weight
		m.lastOp[oi] = -1
		r := int64(0)
		if !o.Release.IsZero() {
			r = max(r, m.t(o.Release))
		}
		r = max(r, m.frozenDone[oi])
		prev := int32(-1)
		for s, op := range o.Ops {
			if m.frozenSet[[2]int{oi, s}] {
				continue
			}
			v := int32(len(m.opOrder))
			m.opIndex[[2]int{oi, s}] = v
			m.opOrder = append(m.opOrder, int32(oi))
			m.opStep = append(m.opStep, int32(s))
			m.opFam = append(m.opFam, fams[op.Family])
			es := make([]elig, 0, len(op.Eligible))
			minD := int64(far)
			for _, e := range op.Eligible {
				es = append(es, elig{int32(m.lineIdx[e.Line]), int64(e.Duration)})
				minD = min(minD, int64(e.Duration))
			}
			if len(es) == 1 {
				lineLoad[es[0].line] += es[0].dur
			}
			m.elig = append(m.elig, es)
			m.jobPred = append(m.jobPred, prev)
			m.jobSucc = append(m.jobSucc, -1)
			rv := int64(0)
			if prev < 0 {
				rv = r
			}
			if !op.NotBefore.IsZero() {
				rv = max(rv, m.t(op.NotBefore)) // material arrival
			}
			if prev >= 0 {
				m.jobSucc[prev] = v
			}
			m.ready = append(m.ready, rv)
			m.work[oi] += minD
			prev = v
			m.lastOp[oi] = v
		}
		if prev >= 0 {
			m.lb = max(m.lb, r+m.work[oi])
		}
	}
	for _, l := range lineLoad {
		m.lb = max(m.lb, l)
	}
	return m
}

func (m *model) n() int { return len(m.opOrder) }

func (m *model) durOn(v int, line int32) int64 {
	for _, e := range m.elig[v] {
		if e.line == line {
			return e.dur
		}
	}
	return -1
}

// prevFam is the family preceding time a on line l: the later of the last
// sequenced operation (ending at lastEnd) and the last frozen operation
// ending by a.
func (m *model) prevFam(l int, a, lastEnd int64, lastFam int32) int32 {
	fr := m.frozen[l]
	if len(fr) == 0 {
		return lastFam
	}
	i := sort.Search(len(fr), func(i int) bool { return fr[i].en > a }) - 1
	if i >= 0 && fr[i].en > lastEnd {
		return fr[i].fam
	}
	return lastFam
}

// place finds the earliest setup start, start and end of an operation of
// family fam and duration dur on line l, with the line free from s0, the
// operation ready at t0, and setup and processing inside one window.
func (m *model) place(l int, fam int32, s0, lastEnd int64, lastFam int32, t0, dur int64) (ss, st, en int64, ok bool) {
	ws := m.windows[l]
	lo := max(s0, t0)
	i := 0
	if len(ws) > 4 {
		i = sort.Search(len(ws), func(i int) bool { return ws[i].end > lo })
	}
	F := int32(m.nFam)
	su := m.setup[l]
	for ; i < len(ws); i++ {
		w := ws[i]
		if w.end <= lo {
			continue
		}
		a := max(w.start, s0)
		pf := m.prevFam(l, a, lastEnd, lastFam)
		d := su[pf*F+fam]
		st := max(a+d, t0)
		if st+dur <= w.end {
			return st - d, st, st + dur, true
		}
	}
	return 0, 0, 0, false
}
