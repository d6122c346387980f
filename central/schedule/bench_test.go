package schedule_test

// The benchmark is a pair of tests gated by LINEWISE_BENCH=1 (run with -v to
// see the tables):
//
//	LINEWISE_BENCH=1 go test -run 'TestBench' -v -timeout 30m ./central/schedule/
//
// LINEWISE_BENCH_BUDGET (default 1s) is the search budget per classic
// instance, LINEWISE_BENCH_INSTANCES (comma list) restricts the instances,
// LINEWISE_BENCH_LARGE_BUDGET (default 900ms, so that the whole call stays within 1 s) and LINEWISE_BENCH_REPAIR_BUDGET
// (default 60ms) are the budgets of the 10,000-operation plan and repair.

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/schedule"
	"github.com/linewise/linewise/central/schedule/check"
)

func benchEnabled(t *testing.T) {
	if os.Getenv("LINEWISE_BENCH") != "1" {
		t.Skip("set LINEWISE_BENCH=1 to run the benchmark")
	}
}

func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	if v := os.Getenv(name); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return d
	}
	return def
}

func classicNames() []string {
	names := []string{"ft06", "ft10", "ft20"}
	for i := 1; i <= 40; i++ {
		names = append(names, fmt.Sprintf("la%02d", i))
	}
	return names
}

// firstFit is the baseline of common open-source MRP planners: orders one by
// one, each operation in routing order takes the first free slot on its
// machine after its predecessor ends. It returns a plan for the checker.
func firstFit(in *jsInstance, p *schedule.Problem) *schedule.Plan {
	type iv struct{ s, e int }
	busy := make([][]iv, in.machines)
	pl := &schedule.Plan{}
	mk := 0
	for j, job := range in.jobs {
		ready := 0
		for k, op := range job {
			b := busy[op.machine]
			t := ready
			i := 0
			for ; i < len(b); i++ {
				if t+op.dur <= b[i].s {
					break
				}
				t = max(t, b[i].e)
			}
			b = append(b, iv{})
			copy(b[i+1:], b[i:])
			b[i] = iv{t, t + op.dur}
			busy[op.machine] = b
			ready = t + op.dur
			mk = max(mk, ready)
			st := p.Now.Add(time.Duration(t) * jsUnit)
			pl.Ops = append(pl.Ops, schedule.PlannedOp{Order: fmt.Sprintf("J%d", j), Step: k + 1, Line: fmt.Sprintf("M%d", op.machine),
				SetupStart: st, Start: st, End: st.Add(time.Duration(op.dur) * jsUnit)})
		}
	}
	pl.Score.Makespan = time.Duration(mk) * jsUnit
	return pl
}

func TestBenchJobShop(t *testing.T) {
	benchEnabled(t)
	dir := jobshopDir(t)
	best := bestKnown(t, dir)
	budget := envDuration(t, "LINEWISE_BENCH_BUDGET", time.Second)
	names := classicNames()
	if v := os.Getenv("LINEWISE_BENCH_INSTANCES"); v != "" {
		names = strings.Split(v, ",")
	}
	fmt.Printf("classic job shop, budget %s per instance\n", budget)
	fmt.Printf("%-6s %5s %6s %6s %7s %8s %7s %7s %8s\n", "inst", "size", "ours", "best", "gap%", "iters", "ff", "ffgap%", "ff/ours")
	var sum, worst, ffSum, ffWorst float64
	worstName := ""
	for _, name := range names {
		in, err := parseJobshop(filepath.Join(dir, name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		p := in.problem()
		pl, err := schedule.Solve(context.Background(), p, schedule.Options{Objective: schedule.ObjectiveMakespan, Budget: budget, Seed: 1})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := check.Check(p, pl); err != nil {
			t.Fatalf("%s: plan fails the checker: %v", name, err)
		}
		ff := firstFit(in, p)
		if err := check.Check(p, ff); err != nil {
			t.Fatalf("%s: first-fit plan fails the checker: %v", name, err)
		}
		ours := int(pl.Score.Makespan / jsUnit)
		ffm := int(ff.Score.Makespan / jsUnit)
		bk := best[name]
		gap := 100 * (float64(ours)/float64(bk) - 1)
		ffGap := 100 * (float64(ffm)/float64(bk) - 1)
		sum += gap
		ffSum += ffGap
		if gap > worst || worstName == "" {
			worst, worstName = gap, name
		}
		ffWorst = math.Max(ffWorst, ffGap)
		fmt.Printf("%-6s %2dx%-2d %6d %6d %7.2f %8d %7d %7.2f %8.2f\n", name, len(in.jobs), in.machines, ours, bk, gap, pl.Iterations, ffm, ffGap, float64(ffm)/float64(ours))
	}
	n := float64(len(names))
	fmt.Printf("ours:      mean gap %.2f%%, worst %.2f%% (%s)\n", sum/n, worst, worstName)
	fmt.Printf("first-fit: mean gap %.2f%%, worst %.2f%%\n", ffSum/n, ffWorst)
}

func TestBenchLarge(t *testing.T) {
	benchEnabled(t)
	budget := envDuration(t, "LINEWISE_BENCH_LARGE_BUDGET", 900*time.Millisecond)
	repairBudget := envDuration(t, "LINEWISE_BENCH_REPAIR_BUDGET", 60*time.Millisecond)
	p := genPlant(2026, genSpec{orders: 2000, opsPerOrder: 5, lines: 50, families: 6, shifts: true, flexible: 2})
	fmt.Printf("large: %d orders, %d operations, %d lines, two shifts with breaks, 6 families\n", len(p.Orders), len(p.Orders)*5, len(p.Lines))

	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	start := time.Now()
	pl, err := schedule.Solve(context.Background(), p, schedule.Options{Budget: budget, Seed: 1})
	full := time.Since(start)
	runtime.ReadMemStats(&ms1)
	if err != nil {
		t.Fatal(err)
	}
	if err := check.Check(p, pl); err != nil {
		t.Fatalf("plan fails the checker: %v", err)
	}
	fmt.Printf("full plan:  %v (budget %v), start rule %s, %d iterations, weighted tardiness %.1f h, %d late, setups %v, makespan %v\n",
		full.Round(time.Millisecond), budget, pl.Rule, pl.Iterations, pl.Score.WeightedTardiness, pl.Score.LateOrders, pl.Score.TotalSetup, pl.Score.Makespan.Round(time.Minute))
	fmt.Printf("            allocated %.1f MB in %d allocations, heap in use after %.1f MB\n",
		float64(ms1.TotalAlloc-ms0.TotalAlloc)/1e6, ms1.Mallocs-ms0.Mallocs, float64(ms1.HeapInuse)/1e6)

	// Breakdown: one day in, line L07 is down for 6 hours; the next hour is
	// frozen.
	q := *p
	q.Now = p.Now.Add(24 * time.Hour)
	q.Lines = append([]schedule.Line(nil), p.Lines...)
	q.Lines[7].Unavailable = []schedule.Window{{Start: q.Now, End: q.Now.Add(6 * time.Hour)}}
	q.Frozen = schedule.FreezeBefore(pl, q.Now.Add(time.Hour))
	sort.Slice(q.Frozen, func(i, j int) bool { return q.Frozen[i].Order < q.Frozen[j].Order })
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	start = time.Now()
	re, err := schedule.Solve(context.Background(), &q, schedule.Options{Budget: repairBudget, Seed: 1, Initial: pl})
	repair := time.Since(start)
	runtime.ReadMemStats(&ms1)
	if err != nil {
		t.Fatal(err)
	}
	if err := check.Check(&q, re); err != nil {
		t.Fatalf("repaired plan fails the checker: %v", err)
	}
	fmt.Printf("repair after L07 is down 6 h (%d operations frozen), against the plan before:\n", len(q.Frozen))
	fmt.Printf("  %-22s %8s %6s %8s %8s %7s %7s %8s %10s\n", "", "time", "iters", "moved", "to line", "later", "n.late", "wt h", "shift h")
	row := func(name string, pl2 *schedule.Plan, took time.Duration) {
		d := schedule.Compare(pl, pl2)
		lines, shift := 0, time.Duration(0)
		for _, c := range d.Moved {
			if c.FromLine != c.ToLine {
				lines++
			}
			shift += max(c.Shift, -c.Shift)
		}
		fmt.Printf("  %-22s %8v %6d %8d %8d %7d %7d %8.1f %10.0f\n", name, took.Round(time.Millisecond), pl2.Iterations, len(d.Moved), lines, len(d.Later), len(d.NewlyLate), pl2.Score.WeightedTardiness, shift.Hours())
	}
	start = time.Now()
	rs, err := schedule.Solve(context.Background(), &q, schedule.Options{Seed: 1, Initial: pl, RightShift: true})
	rsTook := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if err := check.Check(&q, rs); err != nil {
		t.Fatalf("right-shifted plan fails the checker: %v", err)
	}
	row("right-shift baseline", rs, rsTook)
	row(fmt.Sprintf("repair (%s, %v)", re.Rule, repairBudget), re, repair)
	for _, b := range []time.Duration{time.Second, 5 * time.Second} {
		if b <= repairBudget {
			continue
		}
		start = time.Now()
		r2, err := schedule.Solve(context.Background(), &q, schedule.Options{Budget: b, Seed: 1, Initial: pl})
		took := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		if err := check.Check(&q, r2); err != nil {
			t.Fatalf("repaired plan fails the checker: %v", err)
		}
		row(fmt.Sprintf("repair (%s, %v)", r2.Rule, b), r2, took)
	}
	start = time.Now()
	fp, err := schedule.Solve(context.Background(), &q, schedule.Options{Budget: budget, Seed: 1})
	fpTook := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if err := check.Check(&q, fp); err != nil {
		t.Fatalf("re-planned plan fails the checker: %v", err)
	}
	row(fmt.Sprintf("full re-plan (%v)", budget), fp, fpTook)
	fmt.Printf("  repair allocated %.1f MB in %d allocations\n", float64(ms1.TotalAlloc-ms0.TotalAlloc)/1e6, ms1.Mallocs-ms0.Mallocs)
}

func largeRepairCase(b *testing.B) (*schedule.Problem, *schedule.Plan) {
	p := genPlant(2026, genSpec{orders: 2000, opsPerOrder: 5, lines: 50, families: 6, shifts: true, flexible: 2})
	pl, err := schedule.Solve(context.Background(), p, schedule.Options{MaxIterations: 1, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	q := *p
	q.Now = p.Now.Add(24 * time.Hour)
	q.Lines = append([]schedule.Line(nil), p.Lines...)
	q.Lines[7].Unavailable = []schedule.Window{{Start: q.Now, End: q.Now.Add(6 * time.Hour)}}
	q.Frozen = schedule.FreezeBefore(pl, q.Now.Add(time.Hour))
	return &q, pl
}

// BenchmarkRepair10k times a warm-started re-plan of 10,000 operations after
// a breakdown, with a fixed small iteration budget.
func BenchmarkRepair10k(b *testing.B) {
	q, pl := largeRepairCase(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := schedule.Solve(context.Background(), q, schedule.Options{MaxIterations: 5, Seed: 1, Initial: pl}); err != nil {
			b.Fatal(err)
		}
	}
}
