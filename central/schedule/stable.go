package schedule

import "time"

// Stable repair: when a search starts from an earlier plan (Options.Initial)
// the score also counts what the repair changes, and a plant-objective
// repair compares, in this order: orders newly late (late now, on time in
// the earlier plan, or new), weighted by their priority, so that a heavy
// rush order is not made late to keep two light ones on time; then weighted
// tardiness, operations moved (a move to another
// line counts twice), total start-time shift, then setup time and makespan.

// initial is the earlier plan, per unfrozen operation and per order.
type initial struct {
	st   []int64 // earlier start, or far for an operation it did not plan
	line []int32 // earlier line, or -1
	late []bool  // per order: late in the earlier plan against today's due date
	comp []int64 // per order: completion in the earlier plan, or far
}

func (m *model) setInitial(pl *Plan) {
	in := &initial{st: make([]int64, m.n()), line: make([]int32, m.n()), late: make([]bool, len(m.p.Orders)), comp: make([]int64, len(m.p.Orders))}
	for o := range in.comp {
		in.comp[o] = far
	}
	for v := range in.st {
		in.st[v], in.line[v] = far, -1
	}
	orderIdx := make(map[string]int, len(m.p.Orders))
	for i, o := range m.p.Orders {
		orderIdx[o.ID] = i
	}
	for _, po := range pl.Ops {
		oi, ok := orderIdx[po.Order]
		if !ok {
			continue
		}
		if v, ok := m.opIndex[[2]int{oi, po.Step - 1}]; ok {
			in.st[v] = m.t(po.Start)
			if l, ok := m.lineIdx[po.Line]; ok {
				in.line[v] = int32(l)
			}
		}
	}
	// The gap-filling repair never starts an operation before its earlier
	// start (its anchor): work not affected keeps its times instead of
	// sliding into the gaps the change opened.
	m.anchor = make([]int64, m.n())
	for v := range in.st {
		m.anchor[v] = m.ready[v]
		if in.st[v] < far {
			m.anchor[v] = max(m.ready[v], in.st[v])
		}
	}
	for _, r := range pl.Orders {
		if oi, ok := orderIdx[r.Order]; ok {
			in.late[oi] = r.Completion.After(m.p.Orders[oi].Due)
			in.comp[oi] = m.t(r.Completion)
		}
	}
	m.init = in
}

// stability adds the repair's figures to sc.
func (m *model) stability(s *solution, d *times, sc *score) {
	in := m.init
	if in == nil {
		return
	}
	for v := range m.n() {
		if in.line[v] < 0 {
			continue
		}
		if s.line[v] != in.line[v] {
			sc.moved += 2
		} else if d.st[v] != in.st[v] {
			sc.moved++
		}
		x := d.st[v] - in.st[v]
		sc.shift += max(x, -x) / int64(time.Second)
	}
	for o := range m.due {
		if !in.late[o] && m.completion(d, o) > m.due[o] {
			sc.newLate += m.weight[o]
		}
	}
}
