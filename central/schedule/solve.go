package schedule

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Objective selects what the search minimises (see the package comment).
type Objective int

const (
	// ObjectivePlant: weighted tardiness, then setup time, then makespan.
	ObjectivePlant Objective = iota
	// ObjectiveMakespan: makespan, then weighted tardiness, then setup time.
	ObjectiveMakespan
)

// Options tunes a Solve call. The zero value is usable.
type Options struct {
	Objective Objective
	// Budget bounds the search's wall time (through a context timer; the
	// clock is never read). Zero means no time limit.
	Budget time.Duration
	// MaxIterations bounds the tabu search; use it, not Budget, when the
	// result must be reproducible. When both are zero, 2000 is used.
	MaxIterations int
	// Seed makes the search's random choices reproducible.
	Seed uint64
	// Initial warm-starts the search from an earlier plan (repair after a
	// breakdown, rush-order insertion): its line sequences are kept where
	// still valid and dispatch rules are only run if it cannot be decoded.
	Initial *Plan
	// OnImprove, if set, is called with the score of each new best plan
	// found by the search (for progress curves; it must be quick).
	OnImprove func(Score)
	// Threads runs that many independent searches (seeds derived from
	// Seed) from the same starting plan in parallel and keeps the best;
	// 0 or 1 means one. With MaxIterations the result depends only on Seed
	// and Threads.
	Threads int
	// RightShift, with Initial, returns the earlier plan's sequences
	// decoded again, without any search: the naive repair, a baseline.
	RightShift bool
}

// PlannedOp is where and when one operation runs. Step is 1-based.
type PlannedOp struct {
	Order      string
	Step       int
	Line       string
	SetupStart time.Time
	Start, End time.Time
	Frozen     bool
}

// OrderResult is an order's completion against its due date.
type OrderResult struct {
	Order      string
	Due        time.Time
	Completion time.Time
	Lateness   time.Duration // completion − due, may be negative
	Tardiness  time.Duration // max(0, lateness)
}

// Score holds the objective's parts.
type Score struct {
	WeightedTardiness float64 // Σ weight × tardiness, in hours
	TotalSetup        time.Duration
	Makespan          time.Duration // from Problem.Now to the last end
	LateOrders        int
}

// Plan is the scheduler's result.
type Plan struct {
	Ops    []PlannedOp // by order, then step
	Orders []OrderResult
	Score  Score
	// How it was found.
	Rule       string // dispatch rule of the starting plan; for a repair "gap-fill", "initial" (the earlier sequences) or "keep"
	Iterations int
}

// Op returns the planned operation of order at step (1-based), or nil.
func (p *Plan) Op(order string, step int) *PlannedOp {
	for i := range p.Ops {
		if p.Ops[i].Order == order && p.Ops[i].Step == step {
			return &p.Ops[i]
		}
	}
	return nil
}

// Solve validates p and plans it. It returns the best plan found when the
// budget, the iteration limit or ctx ends; it returns an error only for an
// invalid or unplannable problem (or a context that ended before any plan
// existed).
func Solve(ctx context.Context, p *Problem, opt Options) (*Plan, error) {
	if err := Validate(p); err != nil {
		return nil, fmt.Errorf("invalid problem: %w", err)
	}
	if opt.Budget > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opt.Budget)
		defer cancel()
	}
	maxIter := opt.MaxIterations
	if maxIter <= 0 && opt.Budget <= 0 {
		maxIter = 2000
	}
	m := compile(p)
	s := &searcher{m: m, obj: opt.Objective, rng: rand.New(rand.NewPCG(opt.Seed, 0x6c696e65))}
	s.tabu = newTabuList(m.n(), m.nLines)
	s.curT, s.scratch = newTimes(m), newTimes(m)
	s.pure = opt.Objective == ObjectiveMakespan && m.isPure()
	s.insertions = s.pure
	var start *solution
	ruleName := ""
	var bestSc score
	if opt.Initial != nil {
		// Repair: the earlier line sequences decoded again (a right-shift);
		// unless only that is asked, the gap-filling repair (only what the
		// change displaces moves, into idle gaps) and an active schedule
		// that keeps each operation on its line and not before its earlier
		// start compete; the best by the objective, which now counts what
		// moved, is the start.
		m.setInitial(opt.Initial)
		if !opt.RightShift {
			// cheap (one sweep); it runs even when the budget is already
			// spent, so that a repair always has it
			// ejection chains get half the budget: the rest is for the
			// fresh-plan rules that compete when orders stay newly late
			deep := ctx
			if opt.Budget > 0 {
				var cancel context.CancelFunc
				deep, cancel = context.WithTimeout(ctx, opt.Budget/2)
				defer cancel()
			}
			if sol := m.gapFill(context.Background(), deep); sol != nil && m.decode(sol, s.curT) {
				start, ruleName, bestSc = sol, "gap-fill", s.curT.sc
				if m.fixLate(deep, sol, s.curT, s.scratch, opt.Objective) {
					ruleName, bestSc = "gap-fill+late-fix", s.curT.sc
				}
			}
		}
		if sol := m.fromPlan(opt.Initial); m.decode(sol, s.curT) && (start == nil || s.curT.sc.less(bestSc, opt.Objective)) {
			start, ruleName, bestSc = sol, "initial", s.curT.sc
		}
		if !opt.RightShift && ctx.Err() == nil {
			if sol, err := m.construct(ctx, ruleKeep); err == nil && m.decode(sol, s.curT) && (start == nil || s.curT.sc.less(bestSc, opt.Objective)) {
				start, ruleName, bestSc = sol, "keep", s.curT.sc
			}
		} else if opt.RightShift && start != nil {
			maxIter = -1
		}
	}
	// A repair that leaves orders newly late also tries the dispatch rules
	// of a fresh plan, when time allows: avoiding new lateness comes first.
	if start == nil || (opt.Initial != nil && !opt.RightShift && bestSc.newLate > 0) {
		var firstErr error
		rules := []rule{ruleATCS, ruleEDD, ruleSetupEDD, ruleECT, ruleMWKR}
		if opt.Objective == ObjectiveMakespan {
			rules = []rule{ruleMWKR, ruleECT, ruleATCS, ruleEDD, ruleSetupEDD}
		}
		for _, r := range rules {
			if start != nil && ctx.Err() != nil {
				break
			}
			cctx := ctx
			if start == nil {
				cctx = context.Background() // a plan must exist
			}
			sol, err := m.construct(cctx, r)
			if err == nil && !m.decode(sol, s.curT) {
				err = m.opErr(int(s.curT.failOp), "fits in no working window of its eligible lines")
			}
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			if start == nil || s.curT.sc.less(bestSc, opt.Objective) {
				start, bestSc, ruleName = sol, s.curT.sc, ruleNames[r]
			}
		}
		if start == nil {
			return nil, firstErr
		}
	}
	s.cur = start
	m.decode(s.cur, s.curT)
	s.best = newSolution(m)
	s.best.copyFrom(s.cur)
	s.bestSc = s.curT.sc
	if opt.OnImprove != nil {
		var mu sync.Mutex
		var shown *score
		s.onImprove = func(sc score) {
			mu.Lock()
			defer mu.Unlock()
			if shown == nil || sc.less(*shown, opt.Objective) {
				shown = &sc
				opt.OnImprove(Score{WeightedTardiness: sc.wt, TotalSetup: time.Duration(sc.setup), Makespan: time.Duration(sc.mk), LateOrders: sc.late})
			}
		}
	}
	s.improved()
	workers := []*searcher{s}
	for k := 1; k < opt.Threads && maxIter >= 0; k++ {
		w := &searcher{m: m, obj: s.obj, rng: rand.New(rand.NewPCG(opt.Seed+uint64(k)*0x9e3779b97f4a7c15, 0x6c696e65)),
			pure: s.pure, insertions: s.insertions, onImprove: s.onImprove}
		w.tabu = newTabuList(m.n(), m.nLines)
		w.curT, w.scratch = newTimes(m), newTimes(m)
		w.cur, w.best = newSolution(m), newSolution(m)
		w.cur.copyFrom(start)
		w.best.copyFrom(start)
		m.decode(w.cur, w.curT)
		w.bestSc = w.curT.sc
		workers = append(workers, w)
	}
	if maxIter >= 0 {
		var wg sync.WaitGroup
		for _, w := range workers[1:] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.run(ctx, maxIter)
			}()
		}
		s.run(ctx, maxIter)
		wg.Wait()
	}
	iters := 0
	for _, w := range workers {
		iters += w.iters
		if w.bestSc.less(s.bestSc, s.obj) {
			s.best, s.bestSc = w.best, w.bestSc
		}
	}
	bt := newTimes(m)
	if !m.decode(s.best, bt) {
		return nil, fmt.Errorf("internal error: best plan no longer decodes")
	}
	pl := m.plan(s.best, bt)
	pl.Rule, pl.Iterations = ruleName, iters
	return pl, nil
}

func (m *model) plan(sol *solution, d *times) *Plan {
	pl := &Plan{Ops: make([]PlannedOp, 0, m.n()+len(m.frozenOps))}
	frozen := make(map[[2]int]frozenOp, len(m.frozenOps))
	for _, f := range m.frozenOps {
		frozen[[2]int{f.order, f.step}] = f
	}
	for oi := range m.p.Orders {
		id := m.p.Orders[oi].ID
		for s := range m.p.Orders[oi].Ops {
			if v, ok := m.opIndex[[2]int{oi, s}]; ok {
				pl.Ops = append(pl.Ops, PlannedOp{Order: id, Step: s + 1, Line: m.p.Lines[sol.line[v]].ID,
					SetupStart: m.at(d.ss[v]), Start: m.at(d.st[v]), End: m.at(d.en[v])})
				continue
			}
			f := frozen[[2]int{oi, s}]
			pl.Ops = append(pl.Ops, PlannedOp{Order: id, Step: s + 1, Line: m.p.Lines[f.line].ID,
				SetupStart: m.at(f.ss), Start: m.at(f.st), End: m.at(f.en), Frozen: true})
		}
	}
	for o, ord := range m.p.Orders {
		c := m.at(m.completion(d, o))
		late := c.Sub(ord.Due)
		pl.Orders = append(pl.Orders, OrderResult{Order: ord.ID, Due: ord.Due, Completion: c, Lateness: late, Tardiness: max(0, late)})
	}
	sc := d.sc
	pl.Score = Score{WeightedTardiness: sc.wt, TotalSetup: time.Duration(sc.setup), Makespan: time.Duration(sc.mk), LateOrders: sc.late}
	return pl
}

// FreezeBefore returns the operations of pl that start (setup included)
// before until: what a re-plan must keep as it is.
func FreezeBefore(pl *Plan, until time.Time) []Frozen {
	var out []Frozen
	for _, op := range pl.Ops {
		if op.SetupStart.Before(until) {
			out = append(out, Frozen{Order: op.Order, Step: op.Step, Line: op.Line, SetupStart: op.SetupStart, Start: op.Start, End: op.End})
		}
	}
	return out
}
