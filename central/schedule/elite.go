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
	s.tabu.reset()
	if len(s.elite) >= 2 && s.rng.IntN(2) == 0 {
		g := s.elite[s.rng.IntN(len(s.elite))].sol
		if g != from && s.relink(g) {
			s.runBest.copyFrom(s.cur)
			s.runSc = s.curT.sc
			return
		}
	}
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

// relink walks the current plan part of the way towards the guide (path
// relinking): on randomly chosen lines, the first operation out of the
// guide's order is moved to its place. It stops between a third and two
// thirds of the way; it does nothing (false) when the two plans assign some
// operation to different lines.
func (s *searcher) relink(g *solution) bool {
	m, cur := s.m, s.cur
	for v := range cur.line {
		if cur.line[v] != g.line[v] {
			return false
		}
	}
	diff := 0
	for l := range cur.seq {
		for i, v := range cur.seq[l] {
			if g.seq[l][i] != v {
				diff++
			}
		}
	}
	if diff < 4 {
		return false
	}
	steps := diff/3 + s.rng.IntN(diff/3+1)
	lines := make([]int32, 0, len(cur.seq))
	for l := range cur.seq {
		lines = append(lines, int32(l))
	}
	for steps > 0 && len(lines) > 0 {
		k := s.rng.IntN(len(lines))
		l := lines[k]
		q, gq := cur.seq[l], g.seq[l]
		i := 0
		for i < len(q) && q[i] == gq[i] {
			i++
		}
		if i == len(q) {
			lines[k] = lines[len(lines)-1]
			lines = lines[:len(lines)-1]
			continue
		}
		x := gq[i]
		mv := move{kind: moveInsert, a: x, l: l, oldI: cur.pos[x], i: int32(i)}
		m.apply(cur, &mv)
		if !m.decode(cur, s.curT) {
			m.undo(cur, &mv)
			lines[k] = lines[len(lines)-1]
			lines = lines[:len(lines)-1]
			continue
		}
		steps--
	}
	m.decode(cur, s.curT)
	return true
}
