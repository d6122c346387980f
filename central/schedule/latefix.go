package schedule

import (
	"context"
	"sort"
)

// Late fix: the gap-filling repair keeps every valid reservation and puts
// displaced work into idle gaps, which in a loaded plant can lie far out and
// leave a few orders newly late. For each such order (heaviest first) its
// delayed operations, in routing order, are each put back at the earliest
// place on an eligible line where the work queued there may be pushed
// aside (right-shifted, and what depends on it) without making any other
// order newly late; among equally early places the one that moves fewest
// operations wins. The order's fix is kept only when the repair objective
// (newly late, weighted tardiness, operations moved, shift) gets better.
// So a disruption first moves what it displaces into gaps, and only the
// work of orders that would otherwise be late pushes other work aside.

// lateFixPlaces is how many places per eligible line are tried for one
// operation, from the first one its ready time allows.
const lateFixPlaces = 8

// fixLate improves sol in place (decoded into d; scratch is working space)
// and reports whether it changed it. It stops early when ctx ends, keeping
// every order fix completed so far.
func (m *model) fixLate(ctx context.Context, sol *solution, d, scratch *times, obj Objective) bool {
	in := m.init
	if in == nil || !m.decode(sol, d) || d.sc.newLate == 0 {
		return false
	}
	var late []int
	for o := range m.due {
		if !in.late[o] && m.lastOp[o] >= 0 && m.completion(d, o) > m.due[o] {
			late = append(late, o)
		}
	}
	sort.Slice(late, func(a, b int) bool {
		x, y := late[a], late[b]
		if m.weight[x] != m.weight[y] {
			return m.weight[x] > m.weight[y]
		}
		return m.due[x] < m.due[y] || (m.due[x] == m.due[y] && x < y)
	})
	keep := newSolution(m)
	changed := false
	var ops []int32
	for _, o := range late {
		if ctx.Err() != nil {
			break
		}
		if m.completion(d, o) <= m.due[o] {
			continue // an earlier fix helped it too
		}
		keep.copyFrom(sol)
		before := d.sc
		ops = ops[:0]
		for v := m.lastOp[o]; v >= 0; v = m.jobPred[v] {
			ops = append(ops, v)
		}
		for k := len(ops) - 1; k >= 0 && ctx.Err() == nil; k-- {
			m.pullForward(sol, d, scratch, ops[k], o)
		}
		if ctx.Err() == nil && m.decode(sol, d) && d.sc.less(before, obj) {
			changed = true
			continue
		}
		sol.copyFrom(keep)
		m.decode(sol, d)
	}
	return changed
}

// pullForward moves v (of order o) to the place on an eligible line where
// it ends earliest without making any order but o newly late (fewest moved
// operations among equals), if that is earlier than where it ends now.
// sol stays decoded in d.
func (m *model) pullForward(sol *solution, d, scratch *times, v int32, o int) {
	in := m.init
	if in.line[v] >= 0 && in.st[v] < far {
		e0 := in.st[v] + m.durOn(int(v), in.line[v])
		if d.en[v] <= e0 {
			return // not delayed
		}
	}
	r := m.anchor[v]
	if jp := m.jobPred[v]; jp >= 0 {
		r = max(r, d.en[jp])
	}
	others := func(t *times) float64 {
		x := t.sc.newLate
		if !in.late[o] && m.completion(t, o) > m.due[o] {
			x -= m.weight[o]
		}
		return x
	}
	type cand struct {
		l, i  int32
		nl    float64
		en    int64
		moved int
	}
	better := func(c, b cand) bool {
		if c.nl != b.nl {
			return c.nl < b.nl
		}
		if c.en != b.en {
			return c.en < b.en
		}
		return c.moved < b.moved
	}
	best := cand{l: -1, nl: others(d), en: d.en[v], moved: d.sc.moved}
	from, fromI := sol.line[v], sol.pos[v]
	for _, e := range m.elig[v] {
		q := sol.seq[e.line]
		// first index (in the line without v) whose operation ends after r
		i0 := int32(sort.Search(len(q), func(i int) bool { return d.en[q[i]] > r }))
		if e.line == from && i0 > fromI {
			i0-- // v itself is left out of the count
		}
		size := int32(len(q))
		if e.line != from {
			size++
		}
		for i := i0; i < i0+lateFixPlaces && i < size; i++ {
			if e.line == from && i == fromI {
				continue
			}
			mv := move{kind: moveReassign, a: v, b: from, l: e.line, i: i, oldI: fromI}
			m.apply(sol, &mv)
			ok := m.decode(sol, scratch)
			m.undo(sol, &mv)
			if !ok {
				continue
			}
			if c := (cand{l: e.line, i: i, nl: others(scratch), en: scratch.en[v], moved: scratch.sc.moved}); better(c, best) {
				best = c
			}
		}
	}
	if best.l < 0 {
		return
	}
	mv := move{kind: moveReassign, a: v, b: from, l: best.l, i: best.i, oldI: fromI}
	m.apply(sol, &mv)
	if !m.decode(sol, d) {
		m.undo(sol, &mv)
		m.decode(sol, d)
	}
}
