package schedule

// tabuList maps move attributes to the iteration until which they are tabu:
// dense arrays for up to 2048 operations, a map beyond.
type tabuList struct {
	n, nLines int
	pairs     []int32 // x*n + y
	lines     []int32 // a*nLines + l
	touched   []uint64
	m         map[uint64]int
}

func newTabuList(n, nLines int) *tabuList {
	t := &tabuList{n: n, nLines: nLines}
	if n <= 2048 {
		t.pairs = make([]int32, n*n)
		t.lines = make([]int32, n*nLines)
	} else {
		t.m = map[uint64]int{}
	}
	return t
}

func (t *tabuList) slot(k uint64) *int32 {
	a, b := int(uint32(k>>32)&0x7fffffff), int(uint32(k))
	if k>>63 == 1 {
		return &t.lines[a*t.nLines+b]
	}
	return &t.pairs[a*t.n+b]
}

func (t *tabuList) get(k uint64) int {
	if t.m != nil {
		return t.m[k]
	}
	return int(*t.slot(k))
}

func (t *tabuList) set(k uint64, until int) {
	if t.m != nil {
		t.m[k] = until
		return
	}
	*t.slot(k) = int32(until)
	t.touched = append(t.touched, k)
}

func (t *tabuList) reset() {
	if t.m != nil {
		clear(t.m)
		return
	}
	for _, k := range t.touched {
		*t.slot(k) = 0
	}
	t.touched = t.touched[:0]
}
