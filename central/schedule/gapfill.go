package schedule

import (
	"context"
	"sort"
)

// Gap-filling repair: the start of a stable repair. Every operation of the
// earlier plan whose place is still valid keeps its line and its start; an
// operation whose place broke (its line is down then, it is no longer
// eligible there, its routing predecessor now ends later, the setup before
// it grew, it is new) is taken out and put into the earliest idle gap after
// it is ready, on its earlier line or another eligible one, without
// touching what is planned around the gap. So a disruption moves only what
// it displaces and what that drags along, not everything queued behind it.

type slot struct {
	ss, st, en int64
	v          int32
	kept       bool // committed (false: still the earlier plan's reservation)
}

// gapFill returns the repaired sequences, or nil when ctx ended first.
// Operations never start before their earlier start (the anchor). Once
// deep ends, displaced work only goes into idle gaps (no ejection chains),
// so that a large disruption still gets this start soon and the rest of
// the budget goes to the alternatives.
func (m *model) gapFill(ctx, deep context.Context) *solution {
	in := m.init
	n := m.n()
	sol := newSolution(m)
	sol.anchored = true
	// sweep key: the earlier start; new operations by an estimate that
	// keeps every order's steps in routing sequence
	key := make([]int64, n)
	for v := range n {
		k := m.ready[v]
		if jp := m.jobPred[v]; jp >= 0 {
			k = key[jp] + minDur(m.elig[jp])
		}
		if in.line[v] >= 0 && in.st[v] < far {
			k = max(in.st[v], k)
		}
		key[v] = k
	}
	tl := make([][]slot, m.nLines)
	// where each operation's reservation is (line −1: none)
	resLine := make([]int32, n)
	resSt := make([]int64, n)
	for v := range n {
		resLine[v], resSt[v] = -1, far
		if l := in.line[v]; l >= 0 && in.st[v] < far && m.durOn(v, l) > 0 {
			resLine[v], resSt[v] = l, in.st[v]
			d := m.durOn(v, l)
			tl[l] = append(tl[l], slot{ss: in.st[v], st: in.st[v], en: in.st[v] + d, v: int32(v)})
		}
	}
	for l := range tl {
		q := tl[l]
		sort.Slice(q, func(i, j int) bool { return q[i].st < q[j].st || (q[i].st == q[j].st && q[i].v < q[j].v) })
		// earlier plans never overlap; a changed duration can: the later
		// one loses its reservation
		k := 0
		for _, s := range q {
			if k > 0 && s.st < q[k-1].en {
				resLine[s.v] = -1
				continue
			}
			q[k] = s
			k++
		}
		tl[l] = q[:k]
	}
	order := make([]int32, n)
	for v := range order {
		order[v] = int32(v)
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := order[i], order[j]
		return key[a] < key[b] || (key[a] == key[b] && a < b)
	})
	en := make([]int64, n)
	st := make([]int64, n)
	done := make([]bool, n)
	F := int32(m.nFam)
	// readyAt is when u can start by what is known now: its routing
	// predecessor's end if placed, else that of its reservation
	readyAt := func(u int32) int64 {
		r := m.anchor[u]
		if jp := m.jobPred[u]; jp >= 0 {
			if done[jp] {
				r = max(r, en[jp])
			} else if resLine[jp] >= 0 {
				r = max(r, resSt[jp]+m.durOn(int(jp), resLine[jp]))
			}
		}
		return r
	}
	// limitOf is the latest end u may have without displacing its routing
	// successor's reservation or making its order newly late (before: it
	// may not move later at all)
	limitOf := func(u int32) int64 {
		if js := m.jobSucc[u]; js >= 0 {
			if resLine[js] < 0 {
				return before
			}
			return resSt[js]
		}
		o := m.opOrder[u]
		if in.late[o] {
			return max(m.due[o], in.comp[o])
		}
		return m.due[o]
	}
	// chainFor finds a place for the reservation u that ends within its
	// limit: an idle gap, or (depth > 0) a place whose reservations can
	// themselves move within their limits (an ejection chain). Results are
	// cached per op and depth until the timelines change.
	type chainRes struct {
		p  placement
		ok bool
	}
	cache := map[[2]int32]chainRes{}
	var chainFor func(u int32, depth int) (placement, bool)
	ejectFor := func(u int32, depth int) func(slot) bool {
		if depth <= 0 {
			return nil
		}
		return func(x slot) bool {
			if x.v == u {
				return false
			}
			_, ok := chainFor(x.v, depth-1)
			return ok
		}
	}
	effort := 0
	chainFor = func(u int32, depth int) (placement, bool) {
		key := [2]int32{u, int32(depth)}
		if c, ok := cache[key]; ok {
			return c.p, c.ok
		}
		if effort++; effort > maxChainEffort {
			return placement{}, false
		}
		cache[key] = chainRes{} // no cycles through u
		lim := limitOf(u)
		r := readyAt(u)
		best := placement{line: -1}
		for _, e := range m.elig[u] {
			if r+e.dur > lim {
				continue
			}
			p, ok := m.findPlace(tl[e.line], int(e.line), m.opFam[u], r, e.dur, ejectFor(u, depth), lim)
			if !ok || p.s.en > lim {
				continue
			}
			p.line, p.cost = e.line, p.s.en+int64(p.drop)*dropCost
			if e.line != in.line[u] {
				p.cost += lineChangeCost
			}
			if best.line < 0 || p.cost < best.cost {
				best = p
			}
		}
		cache[key] = chainRes{best, best.line >= 0}
		return best, best.line >= 0
	}
	// insert puts u (already out of the timelines) at p; the reservations
	// p displaces move along their chain, or, failing that, lose their
	// reservation and are placed again at their turn.
	var insert func(u int32, p placement, depth int)
	insert = func(u int32, p placement, depth int) {
		clear(cache)
		effort = 0
		q := tl[p.line]
		var moved []slot
		k := p.i
		for j := p.i; j < p.i+p.drop; j++ {
			if q[j].kept {
				q[k] = q[j]
				k++
			} else {
				moved = append(moved, q[j])
				resLine[q[j].v] = -1
			}
		}
		q = append(q[:k], q[p.i+p.drop:]...)
		q = append(q, slot{})
		copy(q[p.i+1:], q[p.i:])
		p.s.v = u
		q[p.i] = p.s
		tl[p.line] = q
		for _, x := range moved {
			if px, ok := chainFor(x.v, depth-1); ok {
				px.s.kept = false
				resLine[x.v], resSt[x.v] = px.line, px.s.st
				insert(x.v, px, depth-1)
			}
		}
	}
	famBefore := func(l int, q []slot, i int, at int64) int32 {
		if i > 0 {
			p := q[i-1]
			return m.prevFam(l, at, p.en, m.opFam[p.v])
		}
		return m.prevFam(l, at, before, m.initFam[l])
	}
	lineEnd := func(q []slot, i int) int64 {
		if i > 0 {
			return q[i-1].en
		}
		return before
	}
	for k, v := range order {
		if k%256 == 0 && ctx.Err() != nil {
			return nil
		}
		r := m.anchor[v]
		if jp := m.jobPred[v]; jp >= 0 {
			r = max(r, en[jp])
		}
		fam := m.opFam[v]
		// keep the earlier place when it is still valid
		done[v] = true
		if l := resLine[v]; l >= 0 {
			q := tl[l]
			i := sort.Search(len(q), func(i int) bool { return q[i].st > resSt[v] || (q[i].st == resSt[v] && q[i].v >= v) })
			if i < len(q) && q[i].v == v {
				s := q[i]
				w, ok := m.windowAt(int(l), s.st)
				su := m.setup[l][famBefore(int(l), q, i, s.st)*F+fam]
				if ok && s.st >= r && s.st-su >= lineEnd(q, i) && s.st-su >= w.start && s.en <= w.end {
					q[i].ss, q[i].kept = s.st-su, true
					st[v], en[v] = s.st, s.en
					sol.line[v] = l
					continue
				}
				tl[l] = append(q[:i], q[i+1:]...)
			}
			resLine[v] = -1
		}
		// put it into the earliest gap, preferring its earlier line; if
		// that would make its order late, push in at the earliest place
		// where the operations it displaces there can go into a gap
		// without making their orders late (they are re-placed in turn)
		clear(cache)
		effort = 0
		maxDepth := ejectDepth
		if deep.Err() != nil {
			maxDepth = 0
		}
		best := placement{line: -1}
		for depth := 0; depth <= maxDepth; depth++ {
			for _, e := range m.elig[v] {
				p, ok := m.findPlace(tl[e.line], int(e.line), fam, r, e.dur, ejectFor(v, depth), far)
				if !ok {
					continue
				}
				p.line = e.line
				p.late = m.lateRisk(v, p.s.en)
				p.cost = p.s.en + int64(p.drop)*dropCost
				if il := in.line[v]; il >= 0 && il != e.line {
					p.cost += lineChangeCost
				}
				if best.line < 0 || p.better(best) {
					best = p
				}
			}
			if best.line >= 0 && !best.late {
				break
			}
		}
		if best.line < 0 {
			return nil
		}
		best.s.kept = true
		insert(v, best, ejectDepth)
		st[v], en[v] = best.s.st, best.s.en
		sol.line[v] = best.line
	}
	for l, q := range tl {
		for _, s := range q {
			sol.seq[l] = append(sol.seq[l], s.v)
		}
		sol.renumber(int32(l))
	}
	for v := range n {
		sol.dur[v] = m.durOn(v, sol.line[v])
	}
	return sol
}

// lineChangeCost is how much later an operation may end on its earlier
// line before the gap filler sends it to another line instead: a line
// change is what disturbs a shop floor most.
const lineChangeCost = int64(4 * 3600e9)

// dropCost is how much later a place may end before one that displaces a
// reservation of the earlier plan less is preferred.
const dropCost = int64(3600e9)

// ejectDepth bounds ejection chains: a displaced operation may take the
// place of a reservation that moves within its own slack to the place of
// another, and so on, this many times.
const ejectDepth = 4

// maxChainEffort bounds the places looked at for one displaced operation's
// ejection chains.
const maxChainEffort = 20000

// windowAt returns the working window of line l that contains t.
func (m *model) windowAt(l int, t int64) (ival, bool) {
	ws := m.windows[l]
	i := sort.Search(len(ws), func(i int) bool { return ws[i].end > t })
	if i < len(ws) && ws[i].start <= t {
		return ws[i], true
	}
	return ival{}, false
}

type placement struct {
	s       slot
	line    int32
	i, drop int // insert at i after dropping the drop reservations from i on
	cost    int64
	late    bool
}

func (p placement) better(b placement) bool {
	if p.late != b.late {
		return !p.late
	}
	return p.cost < b.cost
}

// findPlace finds the earliest place at or after r on line l between the
// slots of q where an operation of family fam and duration dur fits with
// its setup. Without eject it moves nothing (the slot after it keeps its
// start; its setup then follows fam); with eject it may displace
// reservations of the earlier plan that follow it and that eject accepts,
// never committed slots. It fails when the place would end after limit.
func (m *model) findPlace(q []slot, l int, fam int32, r, dur int64, eject func(slot) bool, limit int64) (placement, bool) {
	F := int32(m.nFam)
	su := m.setup[l]
	i := sort.Search(len(q), func(i int) bool { return q[i].en > r })
next:
	for ; i <= len(q); i++ {
		s0, lastFam := before, m.initFam[l]
		if i > 0 {
			s0, lastFam = q[i-1].en, m.opFam[q[i-1].v]
		}
		ss, st, en, ok := m.place(l, fam, max(s0, 0), s0, lastFam, r, dur)
		if !ok || en > limit {
			return placement{}, false
		}
		p := placement{s: slot{ss: ss, st: st, en: en}, i: i}
		for j := i; j < len(q); j++ {
			nx := q[j]
			if nx.st > st {
				w, _ := m.windowAt(l, nx.st)
				need := su[fam*F+m.opFam[nx.v]]
				if en+need <= nx.st && nx.st-need >= w.start {
					return p, true
				}
			}
			if eject == nil || nx.kept || !eject(nx) {
				continue next
			}
			p.drop++
		}
		return p, true
	}
	return placement{}, false
}

// lateRisk tells whether ending v at e may make its order late: its delay
// against the earlier plan, passed on whole to the order's completion
// there, eats up the order's slack (new work: its remaining work, without
// any waiting, no longer fits before the due date).
func (m *model) lateRisk(v int32, e int64) bool {
	in, o := m.init, m.opOrder[v]
	if l := in.line[v]; l >= 0 && in.st[v] < far && in.comp[o] < far {
		e0 := in.st[v] + m.durOn(int(v), l)
		return in.comp[o]+max(0, e-e0) > m.due[o]
	}
	t := int64(0)
	for w := m.jobSucc[v]; w >= 0; w = m.jobSucc[w] {
		t += minDur(m.elig[w])
	}
	return e+t > m.due[o]
}
