package schedule

// eliteSol is one plan of the elite pool.
type eliteSol struct {
	sol *solution
	sc  score
}

const eliteSize = 8

// remember offers a plan to the elite pool: it joins if the pool has room or
// it beats the worst member, and no member has the same score and sequences.
func (s *searcher) remember(sol *solution, sc score) {
	worst := -1
	for i := range s.elite {
		e := &s.elite[i]
		if e.sc == sc && sameSeq(e.sol, sol) {
			return
		}
		if worst < 0 || s.elite[worst].sc.less(e.sc, s.obj) {
			worst = i
		}
	}
	if len(s.elite) < eliteSize {
		c := newSolution(s.m)
		c.copyFrom(sol)
		s.elite = append(s.elite, eliteSol{c, sc})
		return
	}
	if sc.less(s.elite[worst].sc, s.obj) {
		s.elite[worst].sol.copyFrom(sol)
		s.elite[worst].sc = sc
	}
}

func sameSeq(a, b *solution) bool {
	for l := range a.seq {
		x, y := a.seq[l], b.seq[l]
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
	}
	return true
}

// restart ends a stagnating run: its best plan is offered to the elite pool,
// and the search continues from an elite plan (the best one after a run that
// improved the best, else one at random) perturbed by strength random moves
// on its critical paths. The strength grows by one after each restart that
// found nothing better, back to two when it reaches its cap or after an
// improvement.
func (s *searcher) restart() {
	m := s.m
	s.remember(s.runBest, s.runSc)
	maxStrength := max(6, min(30, m.n()/20))
	if s.found {
		s.strength = 2
	} else if s.strength++; s.strength > maxStrength {
		s.strength = 2
	}
	from := s.best
	if !s.found && len(s.elite) > 0 {
		from = s.elite[s.rng.IntN(len(s.elite))].sol
	}
	s.found = false
	s.cur.copyFrom(from)
	m.decode(s.cur, s.curT)
	clear(s.tabu)
	for range s.strength {
		if s.pure {
			s.tails()
		}
		path := s.criticalPath(s.target())
		mvs := s.neighbours(path)
		if len(mvs) == 0 {
			break
		}
		mv := mvs[s.rng.IntN(len(mvs))]
		if !s.feasible(&mv) {
			continue
		}
		m.apply(s.cur, &mv)
		if !m.decode(s.cur, s.curT) {
			m.undo(s.cur, &mv)
			m.decode(s.cur, s.curT)
		}
	}
	s.runBest.copyFrom(s.cur)
	s.runSc = s.curT.sc
}
