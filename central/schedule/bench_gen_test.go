package schedule_test

// Generated instances for the benchmark: Taillard's job-shop generator (the
// published Lehmer generator and construction, E. Taillard, "Benchmarks for
// basic scheduling problems", EJOR 64, 1993) with seeds of our own, so that
// the published instances stay a held-out test, and Brandimarte-style
// flexible job shops. Gaps are to a lower bound computed here (machine and
// job bounds and Jackson's preemptive one-machine relaxation), so they
// overstate the gap to the optimum.
//
//	LINEWISE_BENCH=1 go test -run 'TestBenchGenerated' -v -timeout 30m ./central/schedule/
//
// LINEWISE_BENCH_GEN_BUDGET (default 10s) is the budget per instance of the
// sizes up to 30×20 and of the flexible ones; larger sizes get
// LINEWISE_BENCH_GEN_LARGE_BUDGET (default 1s). LINEWISE_BENCH_GEN_N
// (default 3) instances per size, LINEWISE_BENCH_GEN_SIZES restricts the
// sizes (e.g. "20x15,30x15,fjs20x10"), LINEWISE_BENCH_THREADS (default 1)
// runs that many parallel searches per instance. Gaps at earlier times come from the
// same run: the search does not depend on its budget, so its best plan at
// 1 s is what a 1 s budget returns.

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linewise/linewise/central/schedule"
	"github.com/linewise/linewise/central/schedule/check"
)

// taillardRand is Taillard's generator: Lehmer's x ← 16807 x mod (2^31 − 1)
// computed with Schrage's method, scaled to [low, high].
type taillardRand struct{ seed int64 }

func (r *taillardRand) unif(low, high int) int {
	const m, a, b, c = 2147483647, 16807, 127773, 2836
	k := r.seed / b
	r.seed = a*(r.seed%b) - k*c
	if r.seed < 0 {
		r.seed += m
	}
	return low + int(float64(r.seed)/float64(m)*float64(high-low+1))
}

// taillardJobShop builds an instance as Taillard did: durations U[1,99] job
// by job, then each job's machine order as a random permutation made by
// swapping position j with a position drawn from [j, m).
func taillardJobShop(jobs, machines int, timeSeed, machineSeed int64) *jsInstance {
	tr, mr := &taillardRand{timeSeed}, &taillardRand{machineSeed}
	d := make([][]int, jobs)
	for i := range d {
		d[i] = make([]int, machines)
		for j := range d[i] {
			d[i][j] = tr.unif(1, 99)
		}
	}
	in := &jsInstance{name: fmt.Sprintf("g%dx%d", jobs, machines), machines: machines}
	for i := range jobs {
		perm := make([]int, machines)
		for j := range perm {
			perm[j] = j
		}
		for j := range machines {
			k := mr.unif(j, machines-1)
			perm[j], perm[k] = perm[k], perm[j]
		}
		job := make([]jsOp, machines)
		for j := range machines {
			job[j] = jsOp{perm[j], d[i][j]}
		}
		in.jobs = append(in.jobs, job)
	}
	return in
}

// fjsInstance is a flexible job shop: each operation lists (machine,
// duration) alternatives.
type fjsInstance struct {
	machines int
	jobs     [][][]jsOp
}

// brandimarteLike generates a flexible job shop in the manner of
// Brandimarte's mk instances: ops per job in [m/2, m], 1–6 eligible machines
// per operation, durations U[1,19] per eligible machine.
func brandimarteLike(seed uint64, jobs, machines int) *fjsInstance {
	r := rand.New(rand.NewPCG(seed, 16))
	in := &fjsInstance{machines: machines}
	for range jobs {
		n := machines/2 + r.IntN(machines-machines/2+1)
		var job [][]jsOp
		for range n {
			k := 1 + r.IntN(min(6, machines))
			perm := r.Perm(machines)[:k]
			var alts []jsOp
			for _, mc := range perm {
				alts = append(alts, jsOp{mc, 1 + r.IntN(19)})
			}
			job = append(job, alts)
		}
		in.jobs = append(in.jobs, job)
	}
	return in
}

func (in *fjsInstance) problem() *schedule.Problem {
	p := &schedule.Problem{Now: t0}
	total := 0
	for m := range in.machines {
		p.Lines = append(p.Lines, schedule.Line{ID: fmt.Sprintf("M%d", m)})
	}
	for j, job := range in.jobs {
		o := schedule.Order{ID: fmt.Sprintf("J%d", j), Weight: 1}
		for _, alts := range job {
			var el []schedule.Eligible
			mx := 0
			for _, a := range alts {
				el = append(el, schedule.Eligible{Line: fmt.Sprintf("M%d", a.machine), Duration: time.Duration(a.dur) * jsUnit})
				mx = max(mx, a.dur)
			}
			total += mx
			o.Ops = append(o.Ops, schedule.Operation{Eligible: el})
		}
		p.Orders = append(p.Orders, o)
	}
	p.Horizon = t0.Add(time.Duration(total+1) * jsUnit)
	for i := range p.Orders {
		p.Orders[i].Due = p.Horizon
	}
	return p
}

// lowerBound of a flexible job shop: the longest job (minimal durations),
// the total minimal work spread over all machines, and the load of every
// machine from operations that can run only there.
func (in *fjsInstance) lowerBound() int {
	lb, sum := 0, 0
	load := make([]int, in.machines)
	for _, job := range in.jobs {
		l := 0
		for _, alts := range job {
			d := math.MaxInt
			for _, a := range alts {
				d = min(d, a.dur)
			}
			l += d
			sum += d
			if len(alts) == 1 {
				load[alts[0].machine] += d
			}
		}
		lb = max(lb, l)
	}
	lb = max(lb, (sum+in.machines-1)/in.machines)
	for _, x := range load {
		lb = max(lb, x)
	}
	return lb
}

// lowerBound of a job shop: job lengths, machine loads, and per machine the
// preemptive one-machine bound with heads and tails (Jackson's preemptive
// schedule is optimal for 1|r_j, pmtn, q_j|max C_j + q_j).
func (in *jsInstance) lowerBound() int {
	type task struct{ r, p, q int }
	per := make([][]task, in.machines)
	lb := 0
	for _, job := range in.jobs {
		total := 0
		for _, op := range job {
			total += op.dur
		}
		lb = max(lb, total)
		head := 0
		for _, op := range job {
			per[op.machine] = append(per[op.machine], task{head, op.dur, total - head - op.dur})
			head += op.dur
		}
	}
	for _, ts := range per {
		sort.Slice(ts, func(a, b int) bool { return ts[a].r < ts[b].r })
		rem := make([]int, len(ts))
		for i := range ts {
			rem[i] = ts[i].p
		}
		t, next, left := 0, 0, len(ts)
		for left > 0 {
			if next < len(ts) && ts[next].r > t {
				busy := false
				for i := 0; i < next; i++ {
					busy = busy || rem[i] > 0
				}
				if !busy {
					t = ts[next].r
				}
			}
			for next < len(ts) && ts[next].r <= t {
				next++
			}
			bi := -1
			for i := 0; i < next; i++ {
				if rem[i] > 0 && (bi < 0 || ts[i].q > ts[bi].q) {
					bi = i
				}
			}
			run := rem[bi]
			if next < len(ts) {
				run = min(run, ts[next].r-t)
			}
			t += run
			rem[bi] -= run
			if rem[bi] == 0 {
				left--
				lb = max(lb, t+ts[bi].q)
			}
		}
	}
	return lb
}

type genCase struct {
	size   string
	name   string
	p      *schedule.Problem
	lb     int
	budget time.Duration
	flex   bool
}

func genCases(t *testing.T) []genCase {
	n := 3
	if v := os.Getenv("LINEWISE_BENCH_GEN_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("LINEWISE_BENCH_GEN_N: %q is not a positive number", v)
		}
	}
	budget := envDuration(t, "LINEWISE_BENCH_GEN_BUDGET", 10*time.Second)
	large := envDuration(t, "LINEWISE_BENCH_GEN_LARGE_BUDGET", time.Second)
	want := map[string]bool{}
	if v := os.Getenv("LINEWISE_BENCH_GEN_SIZES"); v != "" {
		for _, s := range strings.Split(v, ",") {
			want[s] = true
		}
	}
	var cs []genCase
	for _, sz := range [][2]int{{15, 15}, {20, 15}, {20, 20}, {30, 15}, {30, 20}, {50, 15}, {50, 20}, {100, 20}} {
		size := fmt.Sprintf("%dx%d", sz[0], sz[1])
		if len(want) > 0 && !want[size] {
			continue
		}
		b := budget
		if sz[0] >= 50 {
			b = large
		}
		for k := range n {
			// our own seeds, not Taillard's published ones
			in := taillardJobShop(sz[0], sz[1], int64(1_000_003*(sz[0]*100+sz[1])+7919*k+1), int64(2_000_029*(sz[0]*100+sz[1])+104_729*k+3))
			cs = append(cs, genCase{size: size, name: fmt.Sprintf("%s-%d", size, k+1), p: in.problem(), lb: in.lowerBound(), budget: b})
		}
	}
	for _, sz := range [][2]int{{10, 6}, {15, 8}, {20, 10}, {20, 15}} {
		size := fmt.Sprintf("fjs%dx%d", sz[0], sz[1])
		if len(want) > 0 && !want[size] {
			continue
		}
		for k := range n {
			in := brandimarteLike(uint64(sz[0]*100+sz[1])*1000+uint64(k), sz[0], sz[1])
			cs = append(cs, genCase{size: size, name: fmt.Sprintf("%s-%d", size, k+1), p: in.problem(), lb: in.lowerBound(), budget: budget, flex: true})
		}
	}
	return cs
}

// curveAt are the times of the progress curve; the last column is the
// result at the full budget.
var curveAt = []time.Duration{100 * time.Millisecond, 300 * time.Millisecond, time.Second, 3 * time.Second, 0}

func TestBenchGenerated(t *testing.T) {
	benchEnabled(t)
	cases := genCases(t)
	iters, threads := 0, 1
	if v := os.Getenv("LINEWISE_BENCH_GEN_ITERS"); v != "" {
		iters, _ = strconv.Atoi(v)
	}
	if v := os.Getenv("LINEWISE_BENCH_THREADS"); v != "" {
		threads, _ = strconv.Atoi(v)
	}
	fmt.Printf("generated instances (Taillard's generator with our seeds; flexible Brandimarte-style), gap %% to a computed lower bound, %d search thread(s)\n", threads)
	fmt.Printf("%-12s %6s %6s %8s", "instance", "lb", "ours", "iters")
	for _, c := range curveAt {
		fmt.Printf(" %7s", label(c))
	}
	fmt.Println()
	type agg struct {
		sum   []float64
		n     []int
		worst float64
	}
	bySize := map[string]*agg{}
	var sizes []string
	for _, c := range cases {
		var mu sync.Mutex
		type pt struct {
			at time.Duration
			mk int
		}
		var pts []pt
		start := time.Now()
		opt := schedule.Options{Objective: schedule.ObjectiveMakespan, Budget: c.budget, Seed: 1, Threads: threads}
		if iters > 0 { // deterministic runs, for tuning on a shared machine
			opt.Budget, opt.MaxIterations = 0, iters
		}
		opt.OnImprove = func(sc schedule.Score) {
			mu.Lock()
			pts = append(pts, pt{time.Since(start), int(sc.Makespan / jsUnit)})
			mu.Unlock()
		}
		pl, err := schedule.Solve(context.Background(), c.p, opt)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := check.Check(c.p, pl); err != nil {
			t.Fatalf("%s: plan fails the checker: %v", c.name, err)
		}
		final := int(pl.Score.Makespan / jsUnit)
		a := bySize[c.size]
		if a == nil {
			a = &agg{sum: make([]float64, len(curveAt)), n: make([]int, len(curveAt))}
			bySize[c.size] = a
			sizes = append(sizes, c.size)
		}
		fmt.Printf("%-12s %6d %6d %8d", c.name, c.lb, final, pl.Iterations)
		for i, at := range curveAt {
			if at == 0 {
				at = c.budget
			}
			if at > c.budget {
				fmt.Printf(" %7s", "-")
				continue
			}
			mk := final
			if at < c.budget {
				mk = -1
				for _, p := range pts {
					if p.at <= at {
						mk = p.mk
					}
				}
			}
			if mk < 0 {
				fmt.Printf(" %7s", "start")
				continue
			}
			g := 100 * (float64(mk)/float64(c.lb) - 1)
			a.sum[i] += g
			a.n[i]++
			if at == c.budget {
				a.worst = max(a.worst, g)
			}
			fmt.Printf(" %7.2f", g)
		}
		fmt.Println()
	}
	fmt.Printf("\nmean gap %% to the lower bound by size (instances with a plan by then; worst at the full budget)\n%-10s", "size")
	for _, c := range curveAt {
		fmt.Printf(" %7s", label(c))
	}
	fmt.Printf(" %7s\n", "worst")
	for _, s := range sizes {
		a := bySize[s]
		fmt.Printf("%-10s", s)
		for i := range curveAt {
			if a.n[i] == 0 {
				fmt.Printf(" %7s", "-")
				continue
			}
			fmt.Printf(" %7.2f", a.sum[i]/float64(a.n[i]))
		}
		fmt.Printf(" %7.2f\n", a.worst)
	}
}

func label(d time.Duration) string {
	if d == 0 {
		return "budget"
	}
	return d.String()
}
