package schedule

// solution is a line assignment and a sequence per line of the unfrozen
// operations; times follow from decoding it.
type solution struct {
	line []int32
	dur  []int64
	seq  [][]int32
	pos  []int32
	// anchored: no operation starts before model.anchor (a gap-filling
	// repair and the search from it)
	anchored bool
}

func newSolution(m *model) *solution {
	return &solution{
		line: make([]int32, m.n()),
		dur:  make([]int64, m.n()),
		seq:  make([][]int32, m.nLines),
		pos:  make([]int32, m.n()),
	}
}

func (s *solution) copyFrom(o *solution) {
	copy(s.line, o.line)
	copy(s.dur, o.dur)
	copy(s.pos, o.pos)
	s.anchored = o.anchored
	for l := range o.seq {
		s.seq[l] = append(s.seq[l][:0], o.seq[l]...)
	}
}

func (s *solution) renumber(l int32) {
	for i, v := range s.seq[l] {
		s.pos[v] = int32(i)
	}
}

// score is the objective; which part counts first depends on Objective.
type score struct {
	wt    float64 // Σ weight × tardiness in hours
	setup int64
	mk    int64
	late  int
	// repair (Options.Initial): see stable.go
	newLate float64 // Σ weight of orders newly late
	moved   int
	shift   int64 // seconds
	failed  bool
}

func (a score) less(b score, obj Objective) bool {
	if a.failed != b.failed {
		return !a.failed
	}
	if obj == ObjectiveMakespan {
		if a.mk != b.mk {
			return a.mk < b.mk
		}
		if a.wt != b.wt {
			return a.wt < b.wt
		}
		if a.setup != b.setup {
			return a.setup < b.setup
		}
		return a.stabler(b)
	}
	if a.newLate != b.newLate {
		return a.newLate < b.newLate
	}
	if a.wt != b.wt {
		return a.wt < b.wt
	}
	if a.moved != b.moved || a.shift != b.shift {
		return a.stabler(b)
	}
	if a.setup != b.setup {
		return a.setup < b.setup
	}
	return a.mk < b.mk
}

func (a score) stabler(b score) bool {
	if a.newLate != b.newLate {
		return a.newLate < b.newLate
	}
	if a.moved != b.moved {
		return a.moved < b.moved
	}
	return a.shift < b.shift
}

// times is a decoded schedule.
type times struct {
	ss, st, en []int64
	indeg      []int32
	stack      []int32
	topo       []int32 // operations in the order they were timed
	lineFree   []int64
	lastEnd    []int64
	lastFam    []int32
	failOp     int32
	sc         score
}

func newTimes(m *model) *times {
	n := m.n()
	return &times{
		ss: make([]int64, n), st: make([]int64, n), en: make([]int64, n),
		indeg: make([]int32, n), stack: make([]int32, 0, n), topo: make([]int32, 0, n),
		lineFree: make([]int64, m.nLines), lastEnd: make([]int64, m.nLines), lastFam: make([]int32, m.nLines),
	}
}

// decode computes the semi-active schedule of s: every operation starts as
// early as its routing predecessor, its line predecessor, its setup and the
// line calendar allow. It fails if the sequences contain a cycle or an
// operation fits in no window.
func (m *model) decode(s *solution, d *times) bool {
	n := m.n()
	for v := range n {
		k := int32(0)
		if m.jobPred[v] >= 0 {
			k++
		}
		if s.pos[v] > 0 {
			k++
		}
		d.indeg[v] = k
	}
	st := d.stack[:0]
	for v := n - 1; v >= 0; v-- {
		if d.indeg[v] == 0 {
			st = append(st, int32(v))
		}
	}
	for l := range m.nLines {
		d.lineFree[l] = 0
		d.lastEnd[l] = before
		d.lastFam[l] = m.initFam[l]
	}
	done := 0
	d.failOp = -1
	d.topo = d.topo[:0]
	for len(st) > 0 {
		v := st[len(st)-1]
		st = st[:len(st)-1]
		done++
		l := s.line[v]
		t0 := m.ready[v]
		if s.anchored {
			t0 = m.anchor[v]
		}
		if jp := m.jobPred[v]; jp >= 0 {
			t0 = max(t0, d.en[jp])
		}
		ss, a, e, ok := m.place(int(l), m.opFam[v], d.lineFree[l], d.lastEnd[l], d.lastFam[l], t0, s.dur[v])
		if !ok {
			d.failOp = v
			d.stack = st
			d.sc = score{failed: true}
			return false
		}
		d.ss[v], d.st[v], d.en[v] = ss, a, e
		d.topo = append(d.topo, v)
		d.lineFree[l], d.lastEnd[l], d.lastFam[l] = e, e, m.opFam[v]
		if js := m.jobSucc[v]; js >= 0 {
			d.indeg[js]--
			if d.indeg[js] == 0 {
				st = append(st, js)
			}
		}
		if p := s.pos[v] + 1; int(p) < len(s.seq[l]) {
			ms := s.seq[l][p]
			d.indeg[ms]--
			if d.indeg[ms] == 0 {
				st = append(st, ms)
			}
		}
	}
	d.stack = st
	if done < n {
		d.sc = score{failed: true}
		return false
	}
	d.sc = m.evaluate(s, d)
	return true
}

func (m *model) evaluate(s *solution, d *times) score {
	var sc score
	for _, f := range m.frozenOps {
		sc.mk = max(sc.mk, f.en)
	}
	for v := range m.n() {
		sc.mk = max(sc.mk, d.en[v])
		sc.setup += d.st[v] - d.ss[v]
	}
	for o := range m.due {
		c := m.completion(d, o)
		if t := c - m.due[o]; t > 0 {
			sc.wt += m.weight[o] * float64(t) / 3600e9
			sc.late++
		}
	}
	m.stability(s, d, &sc)
	return sc
}

func (m *model) completion(d *times, o int) int64 {
	c := m.frozenDone[o]
	if v := m.lastOp[o]; v >= 0 {
		c = max(c, d.en[v])
	}
	return c
}
