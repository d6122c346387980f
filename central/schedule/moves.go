package schedule

type moveKind uint8

const (
	moveSwap     moveKind = iota // swap seq[l][i] and seq[l][i+1] (a, b)
	moveInsert                   // move op a on line l from oldI to i
	moveReassign                 // move op a from line b (at oldI) to line l at i
)

type move struct {
	kind moveKind
	a, b int32 // swap: the pair (a before b); reassign: op, its old line
	l    int32
	i    int32
	oldI int32
	sc   score // evaluation (estimate or exact)
	tabu bool  // tabu and not aspirated
}

func (m *model) apply(s *solution, mv *move) {
	switch mv.kind {
	case moveSwap:
		q := s.seq[mv.l]
		q[mv.i], q[mv.i+1] = q[mv.i+1], q[mv.i]
		s.pos[q[mv.i]], s.pos[q[mv.i+1]] = mv.i, mv.i+1
	case moveInsert:
		m.relocate(s, mv.a, mv.l, mv.oldI, mv.l, mv.i)
	case moveReassign:
		m.relocate(s, mv.a, mv.b, mv.oldI, mv.l, mv.i)
	}
}

func (m *model) undo(s *solution, mv *move) {
	switch mv.kind {
	case moveSwap:
		m.apply(s, mv)
	case moveInsert:
		m.relocate(s, mv.a, mv.l, mv.i, mv.l, mv.oldI)
	case moveReassign:
		m.relocate(s, mv.a, mv.l, mv.i, mv.b, mv.oldI)
	}
}

// relocate removes v from line from at fromI and inserts it on line to so
// that it ends up at index toI.
func (m *model) relocate(s *solution, v, from, fromI, to, toI int32) {
	if from == to {
		q := s.seq[from]
		lo, hi := min(fromI, toI), max(fromI, toI)
		if fromI < toI {
			copy(q[fromI:], q[fromI+1:toI+1])
		} else {
			copy(q[toI+1:], q[toI:fromI])
		}
		q[toI] = v
		for i := lo; i <= hi; i++ {
			s.pos[q[i]] = i
		}
		return
	}
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

// Tabu attributes are arcs of a line sequence: key(x, y) tabu means that x
// may not lose its place before y. A move that puts y before x is tabu when
// key(x, y) is.
func swapKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }
func lineKey(a, l int32) uint64 { return 1<<63 | uint64(uint32(a))<<32 | uint64(uint32(l)) }

// flipped calls f for every pair (x before y) that mv reverses, until f
// returns true.
func (s *searcher) flipped(mv *move, f func(x, y int32) bool) bool {
	switch mv.kind {
	case moveSwap:
		return f(mv.a, mv.b)
	case moveInsert:
		q := s.cur.seq[mv.l]
		if mv.oldI < mv.i {
			for k := mv.oldI + 1; k <= mv.i; k++ {
				if f(mv.a, q[k]) {
					return true
				}
			}
		} else {
			for k := mv.i; k < mv.oldI; k++ {
				if f(q[k], mv.a) {
					return true
				}
			}
		}
	}
	return false
}

func (s *searcher) isTabu(mv *move) bool {
	if mv.kind == moveReassign {
		return s.tabu.get(lineKey(mv.a, mv.l)) > s.iters
	}
	return s.flipped(mv, func(x, y int32) bool { return s.tabu.get(swapKey(x, y)) > s.iters })
}

// pendingTabu collects the attributes that forbid undoing mv (called
// before mv is applied).
func (s *searcher) pendingTabu(mv *move) {
	s.pending = s.pending[:0]
	if mv.kind == moveReassign {
		s.pending = append(s.pending, lineKey(mv.a, mv.b))
		return
	}
	s.flipped(mv, func(x, y int32) bool { s.pending = append(s.pending, swapKey(y, x)); return false })
}

// neighbours lists the moves around a critical path: for each block (a run
// of path operations adjacent on one line) the swaps of its first and last
// pairs, the moves of an inner operation to the block's start or end and
// of the first or last operation into the block (N5/N7); and for each path
// operation with other eligible lines its reassignment to each of them.
func (s *searcher) neighbours(path []int32) []move {
	m, sol := s.m, s.cur
	mv := s.moves[:0]
	for i := 0; i < len(path); {
		j := i
		for j+1 < len(path) && sol.line[path[j+1]] == sol.line[path[i]] && sol.pos[path[j+1]] == sol.pos[path[j]]+1 {
			j++
		}
		if j > i {
			l := sol.line[path[i]]
			p0, p1 := sol.pos[path[i]], sol.pos[path[j]]
			mv = append(mv, move{kind: moveSwap, a: path[i], b: path[i+1], l: l, i: p0})
			if j-1 > i {
				mv = append(mv, move{kind: moveSwap, a: path[j-1], b: path[j], l: l, i: p1 - 1})
			}
			if s.insertions {
				for k := i + 1; k < j; k++ {
					pk := sol.pos[path[k]]
					// inner operation to the block's start and end
					mv = append(mv, move{kind: moveInsert, a: path[k], l: l, oldI: pk, i: p0})
					mv = append(mv, move{kind: moveInsert, a: path[k], l: l, oldI: pk, i: p1})
					// first operation right after it, last right before it
					if k > i+1 {
						mv = append(mv, move{kind: moveInsert, a: path[i], l: l, oldI: p0, i: pk})
					}
					if k < j-1 {
						mv = append(mv, move{kind: moveInsert, a: path[j], l: l, oldI: p1, i: pk})
					}
				}
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
			i := s.insertAt(v, e.line, e.dur)
			mv = append(mv, move{kind: moveReassign, a: v, b: from, l: e.line, i: i, oldI: sol.pos[v]})
		}
	}
	s.moves = mv
	return mv
}

// insertAt picks where v goes on line l. Positions between the first
// operation ending after v starts and the first starting after v ends keep
// the sequences acyclic; in pure mode the one with the best estimate is
// taken, otherwise the first one by start time.
func (s *searcher) insertAt(v, l int32, dur int64) int32 {
	d, q := s.curT, s.cur.seq[l]
	i0 := 0
	for i0 < len(q) && d.en[q[i0]] <= d.st[v] {
		i0++
	}
	i1 := i0
	for i1 < len(q) && d.st[q[i1]] < d.en[v] {
		i1++
	}
	if !s.pure || i1 == i0 {
		i := i0
		for i < i1 && d.st[q[i]] < d.st[v] {
			i++
		}
		return int32(i)
	}
	best, bi := int64(far), i0
	for i := i0; i <= i1; i++ {
		if e := s.estimateSeg(l, int32(i), int32(i-1), []int32{v}, v, dur); e < best {
			best, bi = e, i
		}
	}
	return int32(bi)
}

// feasible reports whether an insertion on a line surely keeps the
// sequences acyclic: no operation it jumps depends on the moved one's
// routing successor (forward) or is needed by its routing predecessor
// (backward): an operation reachable from x starts no earlier than x.
func (s *searcher) feasible(mv *move) bool {
	if mv.kind != moveInsert {
		return true
	}
	m, d, q := s.m, s.curT, s.cur.seq[mv.l]
	if mv.oldI < mv.i {
		js := m.jobSucc[mv.a]
		return js < 0 || d.st[q[mv.i]] < d.st[js]
	}
	jp := m.jobPred[mv.a]
	return jp < 0 || d.en[jp] < d.en[q[mv.i]]
}

// estimateSeg estimates the makespan after the operations at positions
// lo..hi of line l are replaced by order (hi = lo-1: inserted before lo):
// heads and tails of everything else are kept, the segment's are recomputed
// along it (Nowicki–Smutnicki / Balas–Vazacopoulos). Operation x gets
// duration dx, all others their current one.
func (s *searcher) estimateSeg(l, lo, hi int32, order []int32, x int32, dx int64) int64 {
	m, seq, en, q, p := s.m, s.cur.seq[l], s.curT.en, s.tail, s.cur.dur
	dur := func(v int32) int64 {
		if v == x {
			return dx
		}
		return p[v]
	}
	r := s.heads[:0]
	prev := int64(0)
	if lo > 0 {
		prev = en[seq[lo-1]]
	}
	for _, v := range order {
		h := max(m.ready[v], prev)
		if jp := m.jobPred[v]; jp >= 0 {
			h = max(h, en[jp])
		}
		r = append(r, h)
		prev = h + dur(v)
	}
	s.heads = r
	next := int64(0)
	if int(hi)+1 < len(seq) {
		w := seq[hi+1]
		next = q[w] + p[w]
	}
	est := int64(0)
	for k := len(order) - 1; k >= 0; k-- {
		v := order[k]
		t := next
		if js := m.jobSucc[v]; js >= 0 {
			t = max(t, q[js]+p[js])
		}
		est = max(est, r[k]+dur(v)+t)
		next = t + dur(v)
	}
	return est
}

// estimate is the makespan after mv by the head/tail estimate.
func (s *searcher) estimate(mv *move) int64 {
	sol := s.cur
	switch mv.kind {
	case moveSwap:
		return s.estimateSeg(mv.l, mv.i, mv.i+1, append(s.buf[:0], mv.b, mv.a), -1, 0)
	case moveInsert:
		q := sol.seq[mv.l]
		b := s.buf[:0]
		if mv.oldI < mv.i {
			b = append(append(b, q[mv.oldI+1:mv.i+1]...), mv.a)
			s.buf = b
			return s.estimateSeg(mv.l, mv.oldI, mv.i, b, -1, 0)
		}
		b = append(append(b, mv.a), q[mv.i:mv.oldI]...)
		s.buf = b
		return s.estimateSeg(mv.l, mv.i, mv.oldI, b, -1, 0)
	default:
		return s.estimateSeg(mv.l, mv.i, mv.i-1, append(s.buf[:0], mv.a), mv.a, s.m.durOn(int(mv.a), mv.l))
	}
}
