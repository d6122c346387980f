package schedule

import (
	"context"
	"math/rand/v2"
)

type searcher struct {
	m       *model
	obj     Objective
	rng     *rand.Rand
	cur     *solution
	curT    *times
	scratch *times
	best    *solution
	bestSc  score
	tabu    *tabuList
	iters   int
	path    []int32
	moves   []move
	order   []int32
	// pure is true for job shops, flexible or not, without calendars,
	// setups or frozen work, under the makespan objective: every move
	// (swap, insertion, reassignment) is then ranked by the same head/tail
	// estimate instead of a full decode, and insertions (N7) are tried.
	pure       bool
	insertions bool
	tail       []int64
	heads      []int64
	buf        []int32
	pending    []uint64

	// diversification: an elite pool of distinct good plans, restarts from
	// one of them perturbed by strength random moves; the strength grows
	// while restarts find nothing better.
	elite    []eliteSol
	runBest  *solution
	runSc    score
	strength int
	found    bool // a new best since the last restart

	onImprove func(score)
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

// criticalPath walks back from operation v along the arcs that bound each
// start: the line predecessor (its end plus v's setup) or the routing
// predecessor, whichever is later; it stops at a release time. It sees
// through calendar gaps: an operation that starts at the first working time
// its binding predecessor allows (after a break, a shift or a weekend) is on
// the path even though it does not start when that predecessor ends.
func (s *searcher) criticalPath(v int32) []int32 {
	m, d, sol := s.m, s.curT, s.cur
	p := s.path[:0]
	for v >= 0 {
		p = append(p, v)
		l := sol.line[v]
		mp, mEnd := int32(-1), before
		if i := sol.pos[v]; i > 0 {
			mp = sol.seq[l][i-1]
			mEnd = d.en[mp] + d.st[v] - d.ss[v]
		}
		jp, jEnd := m.jobPred[v], before
		if jp >= 0 {
			jEnd = d.en[jp]
		}
		r := m.ready[v]
		if sol.anchored {
			r = m.anchor[v]
		}
		switch {
		case mp >= 0 && mEnd >= jEnd && mEnd >= r:
			v = mp
		case jp >= 0 && jEnd >= r:
			v = jp
		default:
			v = -1
		}
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

// run is the tabu search. It stops when ctx ends, after maxIter iterations
// (0: no limit) or when the lower bound is reached.
func (s *searcher) run(ctx context.Context, maxIter int) {
	m := s.m
	n := m.n()
	if n < 2 {
		return
	}
	// tenure grows with jobs per machine; idle iterations before a restart
	// were tuned on ft10 and la16–la40 and on generated Taillard instances.
	tenure := 8 + len(m.due)/max(1, m.nLines)
	stall := 0
	stallMax := max(300, min(5*n, 5000))
	if s.pure {
		stallMax = 8000
	}
	maxN := 48
	s.runBest = newSolution(m)
	s.runBest.copyFrom(s.cur)
	s.runSc = s.curT.sc
	s.strength = 2
	s.remember(s.cur, s.curT.sc)
	for ; maxIter <= 0 || s.iters < maxIter; s.iters++ {
		if ctx.Err() != nil {
			return
		}
		if s.obj == ObjectiveMakespan && s.bestSc.mk <= m.lb {
			return
		}
		if s.pure {
			s.tails()
		}
		path := s.criticalPath(s.target())
		mvs := s.neighbours(path)
		s.rng.Shuffle(len(mvs), func(i, j int) { mvs[i], mvs[j] = mvs[j], mvs[i] })
		if !s.pure && len(mvs) > maxN {
			mvs = mvs[:maxN]
		}
		// evaluate; order: allowed moves (not tabu, or better than the best
		// so far) by score, then tabu ones by score
		ord := s.order[:0]
		for i := range mvs {
			if i > 0 && i%8 == 0 && !s.pure && ctx.Err() != nil {
				return
			}
			mv := &mvs[i]
			if !s.feasible(mv) {
				continue
			}
			if s.pure {
				mv.sc = s.curT.sc
				mv.sc.mk = s.estimate(mv)
			} else {
				m.apply(s.cur, mv)
				ok := m.decode(s.cur, s.scratch)
				m.undo(s.cur, mv)
				if !ok {
					continue
				}
				mv.sc = s.scratch.sc
			}
			ord = append(ord, int32(i))
		}
		s.order = ord
		for _, i := range ord {
			mvs[i].tabu = s.isTabu(&mvs[i]) && !mvs[i].sc.less(s.bestSc, s.obj)
		}
		applied := false
		for len(ord) > 0 {
			bk := 0
			for k := 1; k < len(ord); k++ {
				if better(&mvs[ord[k]], &mvs[ord[bk]], s.obj) {
					bk = k
				}
			}
			i := ord[bk]
			ord[bk] = ord[len(ord)-1]
			ord = ord[:len(ord)-1]
			mv := mvs[i]
			s.pendingTabu(&mv)
			m.apply(s.cur, &mv)
			if m.decode(s.cur, s.curT) {
				t := s.iters + tenure + s.rng.IntN(tenure/2+1)
				for _, k := range s.pending {
					s.tabu.set(k, t)
				}
				applied = true
				break
			}
			m.undo(s.cur, &mv)
		}
		if !applied {
			m.decode(s.cur, s.curT)
			s.restart()
			stall = 0
			continue
		}
		if s.curT.sc.less(s.runSc, s.obj) {
			s.runBest.copyFrom(s.cur)
			s.runSc = s.curT.sc
		}
		if s.curT.sc.less(s.bestSc, s.obj) {
			s.best.copyFrom(s.cur)
			s.bestSc = s.curT.sc
			s.found = true
			stall = 0
			s.improved()
		} else if stall++; stall > stallMax {
			s.restart()
			stall = 0
		}
	}
}

// better orders candidate moves: allowed before tabu, then by score.
func better(a, b *move, obj Objective) bool {
	if a.tabu != b.tabu {
		return !a.tabu
	}
	return a.sc.less(b.sc, obj)
}

func (s *searcher) improved() {
	if s.onImprove != nil {
		s.onImprove(s.bestSc)
	}
}
