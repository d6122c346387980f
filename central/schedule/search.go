package schedule

import (
	"context"
	"math/rand/v2"
)

type moveKind uint8

const (
	moveSwap     moveKind = iota // swap seq[line][i] and seq[line][i+1]
	moveReassign                 // move op a to line l at position i
)

type move struct {
	kind moveKind
	a, b int32 // swap: the pair (a before b); reassign: op, its old line
	l    int32
	i    int32
	oldI int32
}

func (m *model) apply(s *solution, mv *move) {
	switch mv.kind {
	case moveSwap:
		q := s.seq[mv.l]
		q[mv.i], q[mv.i+1] = q[mv.i+1], q[mv.i]
		s.pos[q[mv.i]], s.pos[q[mv.i+1]] = mv.i, mv.i+1
	case moveReassign:
		m.relocate(s, mv.a, mv.b, mv.oldI, mv.l, mv.i)
	}
}

func (m *model) undo(s *solution, mv *move) {
	switch mv.kind {
	case moveSwap:
		m.apply(s, mv)
	case moveReassign:
		m.relocate(s, mv.a, mv.l, mv.i, mv.b, mv.oldI)
	}
}

func (m *model) relocate(s *solution, v, from, fromI, to, toI int32) {
	q := s.seq[from]
	copy(q[fromI:], q[fromI+1:])
	s.seq[from] = q[:len(q)-1]
	s.renumber(from)
	q = s.seq[to]
	q = append(q, 0)
	copy(q[toI+1:], q[toI:])
	q[toI] = v
	s.seq[to] = q
	s.renumber(to)
	s.line[v] = to
	s.dur[v] = m.durOn(int(v), to)
}

type searcher struct {
	m       *model
	obj     Objective
	rng     *rand.Rand
	cur     *solution
	curT    *times
	scratch *times
	best    *solution
	bestSc  score
	tabu    map[uint64]int
	iters   int
	path    []int32
	moves   []move
	// pure is true for classic job shops (no calendars, setups or frozen
	// work) with the makespan objective: swaps are then ranked by the
	// Nowicki–Smutnicki head/tail estimate instead of a full decode.
	pure bool
	tail []int64
}

func (m *model) isPure() bool {
	if len(m.frozenOps) > 0 {
		return false
	}
	for l := range m.nLines {
		if len(m.windows[l]) != 1 || m.windows[l][0].start > 0 || m.windows[l][0].end < far {
			return false
		}
		for _, x := range m.setup[l] {
			if x != 0 {
				return false
			}
		}
	}
	return true
}

// tails computes, for the current schedule, the longest path from the end
// of each operation to the end of the schedule.
func (s *searcher) tails() {
	m, sol, d := s.m, s.cur, s.curT
	if len(s.tail) != m.n() {
		s.tail = make([]int64, m.n())
	}
	q := s.tail
	for k := len(d.topo) - 1; k >= 0; k-- {
		v := d.topo[k]
		t := int64(0)
		if js := m.jobSucc[v]; js >= 0 {
			t = q[js] + sol.dur[js]
		}
		l := sol.line[v]
		if p := sol.pos[v] + 1; int(p) < len(sol.seq[l]) {
			ms := sol.seq[l][p]
			t = max(t, q[ms]+sol.dur[ms])
		}
		q[v] = t
	}
}

// estimate is the makespan after swapping adjacent a, b (a first) on line l.
func (s *searcher) estimate(mv *move) int64 {
	m, sol, en, q := s.m, s.cur, s.curT.en, s.tail
	u, v := mv.a, mv.b
	p := sol.dur
	seq := sol.seq[mv.l]
	head := func(x int32) int64 {
		if x < 0 {
			return 0
		}
		return en[x]
	}
	tl := func(x int32) int64 {
		if x < 0 {
			return 0
		}
		return q[x] + p[x]
	}
	mpU, msV := int32(-1), int32(-1)
	if mv.i > 0 {
		mpU = seq[mv.i-1]
	}
	if int(mv.i)+2 < len(seq) {
		msV = seq[mv.i+2]
	}
	rv := max(m.ready[v], head(m.jobPred[v]), head(mpU))
	ru := max(m.ready[u], head(m.jobPred[u]), rv+p[v])
	qu := max(tl(m.jobSucc[u]), tl(msV))
	qv := max(tl(m.jobSucc[v]), qu+p[u])
	return max(rv+p[v]+qv, ru+p[u]+qu)
}

func swapKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }
func lineKey(a, l int32) uint64 { return 1<<63 | uint64(uint32(a))<<32 | uint64(uint32(l)) }
func (s *searcher) isTabu(mv *move) bool {
	var k uint64
	if mv.kind == moveSwap {
		k = swapKey(mv.a, mv.b)
	} else {
		k = lineKey(mv.a, mv.l)
	}
	return s.tabu[k] > s.iters
}

// criticalPath walks back from operation v along the arcs that bound each
// start: the line predecessor (through its setup) or the routing predecessor.
func (s *searcher) criticalPath(v int32) []int32 {
	m, d, sol := s.m, s.curT, s.cur
	p := s.path[:0]
	for v >= 0 {
		p = append(p, v)
		l := sol.line[v]
		next := int32(-1)
		if i := sol.pos[v]; i > 0 {
			if mp := sol.seq[l][i-1]; d.en[mp] == d.ss[v] {
				next = mp
			}
		}
		if next < 0 {
			if jp := m.jobPred[v]; jp >= 0 && d.en[jp] == d.st[v] {
				next = jp
			}
		}
		v = next
	}
	for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
		p[i], p[j] = p[j], p[i]
	}
	s.path = p
	return p
}

// target picks the operation the critical path ends at: a tardy order's last
// operation for the plant objective, else the one ending last.
func (s *searcher) target() int32 {
	m, d := s.m, s.curT
	if s.obj == ObjectivePlant && d.sc.wt > 0 {
		var tardy []int32
		for o := range m.due {
			if v := m.lastOp[o]; v >= 0 && d.en[v] > m.due[o] {
				tardy = append(tardy, v)
			}
		}
		if len(tardy) > 0 {
			return tardy[s.rng.IntN(len(tardy))]
		}
	}
	b := int32(-1)
	for v := range m.n() {
		if b < 0 || d.en[v] > d.en[b] {
			b = int32(v)
		}
	}
	return b
}

func (s *searcher) neighbours(path []int32) []move {
	m, sol := s.m, s.cur
	mv := s.moves[:0]
	// blocks: maximal runs of path ops adjacent on one line
	for i := 0; i < len(path); {
		j := i
		for j+1 < len(path) && sol.line[path[j+1]] == sol.line[path[i]] && sol.pos[path[j+1]] == sol.pos[path[j]]+1 {
			j++
		}
		if j > i {
			l := sol.line[path[i]]
			mv = append(mv, move{kind: moveSwap, a: path[i], b: path[i+1], l: l, i: sol.pos[path[i]]})
			if j-1 > i {
				mv = append(mv, move{kind: moveSwap, a: path[j-1], b: path[j], l: l, i: sol.pos[path[j-1]]})
			}
		}
		i = j + 1
	}
	for _, v := range path {
		if len(m.elig[v]) < 2 {
			continue
		}
		from := sol.line[v]
		for _, e := range m.elig[v] {
			if e.line == from {
				continue
			}
			q := sol.seq[e.line]
			st := s.curT.st[v]
			i := 0
			for i < len(q) && s.curT.st[q[i]] < st {
				i++
			}
			mv = append(mv, move{kind: moveReassign, a: v, b: from, l: e.line, i: int32(i), oldI: sol.pos[v]})
		}
	}
	s.moves = mv
	return mv
}

// run is the tabu search. It stops when ctx ends, after maxIter iterations
// (0: no limit) or when the lower bound is reached.
func (s *searcher) run(ctx context.Context, maxIter int) {
	m := s.m
	n := m.n()
	if n < 2 {
		return
	}
	// tenure 8 (+ up to 4 at random) and 2000 idle iterations before a
	// restart were tuned on ft10 and la16–la40 at 300 ms.
	tenure := 8
	stall := 0
	stallMax := max(300, min(5*n, 5000))
	if s.pure {
		stallMax = 2000
	}
	maxN := 48
	for ; maxIter <= 0 || s.iters < maxIter; s.iters++ {
		if ctx.Err() != nil {
			return
		}
		if s.obj == ObjectiveMakespan && s.bestSc.mk <= m.lb {
			return
		}
		path := s.criticalPath(s.target())
		mvs := s.neighbours(path)
		if len(mvs) > maxN {
			s.rng.Shuffle(len(mvs), func(i, j int) { mvs[i], mvs[j] = mvs[j], mvs[i] })
			mvs = mvs[:maxN]
		}
		if s.pure {
			s.tails()
		}
		bi := -1
		var bsc score
		for i := range mvs {
			if i > 0 && i%8 == 0 && ctx.Err() != nil {
				return
			}
			mv := &mvs[i]
			var sc score
			if s.pure && mv.kind == moveSwap {
				sc = s.curT.sc
				sc.mk = s.estimate(mv)
			} else {
				m.apply(s.cur, mv)
				ok := m.decode(s.cur, s.scratch)
				m.undo(s.cur, mv)
				if !ok {
					continue
				}
				sc = s.scratch.sc
			}
			if s.isTabu(mv) && !sc.less(s.bestSc, s.obj) {
				continue
			}
			if bi < 0 || sc.less(bsc, s.obj) {
				bi, bsc = i, sc
			}
		}
		if bi < 0 {
			if len(mvs) == 0 || stall > stallMax {
				s.restart()
				stall = 0
				continue
			}
			bi = s.rng.IntN(len(mvs))
		}
		mv := mvs[bi]
		m.apply(s.cur, &mv)
		if !m.decode(s.cur, s.curT) {
			m.undo(s.cur, &mv)
			m.decode(s.cur, s.curT)
			continue
		}
		t := tenure + s.rng.IntN(tenure/2+1)
		if mv.kind == moveSwap {
			s.tabu[swapKey(mv.b, mv.a)] = s.iters + t
		} else {
			s.tabu[lineKey(mv.a, mv.b)] = s.iters + t
		}
		if s.curT.sc.less(s.bestSc, s.obj) {
			s.best.copyFrom(s.cur)
			s.bestSc = s.curT.sc
			stall = 0
		} else if stall++; stall > stallMax {
			s.restart()
			stall = 0
		}
	}
}

// restart goes back to the best solution and perturbs it with a few random
// critical swaps.
func (s *searcher) restart() {
	m := s.m
	s.cur.copyFrom(s.best)
	m.decode(s.cur, s.curT)
	clear(s.tabu)
	k := 2 + s.rng.IntN(6)
	for range k {
		path := s.criticalPath(s.target())
		mvs := s.neighbours(path)
		if len(mvs) == 0 {
			break
		}
		mv := mvs[s.rng.IntN(len(mvs))]
		m.apply(s.cur, &mv)
		if !m.decode(s.cur, s.curT) {
			m.undo(s.cur, &mv)
			m.decode(s.cur, s.curT)
		}
	}
}
