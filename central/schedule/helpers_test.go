package schedule_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/schedule"
)

var t0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // a Monday

// jobshopDir finds the classic instances: $LINEWISE_JOBSHOP_DIR, or
// shared/bench/jobshop in this directory or a parent, or next to the repo.
func jobshopDir(t testing.TB) string {
	if d := os.Getenv("LINEWISE_JOBSHOP_DIR"); d != "" {
		return d
	}
	dir, _ := os.Getwd()
	for {
		for _, c := range []string{filepath.Join(dir, "shared", "bench", "jobshop"), filepath.Join(dir, "..", "shared", "bench", "jobshop")} {
			if st, err := os.Stat(c); err == nil && st.IsDir() {
				return c
			}
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Skip("job-shop instances not found; set LINEWISE_JOBSHOP_DIR")
		}
		dir = up
	}
}

type jsOp struct{ machine, dur int }

type jsInstance struct {
	name     string
	machines int
	jobs     [][]jsOp
}

func parseJobshop(path string) (*jsInstance, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	in := &jsInstance{name: strings.TrimSuffix(filepath.Base(path), ".txt")}
	var nJobs int
	sc := bufio.NewScanner(f)
	header := true
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var nums []int
		for _, w := range strings.Fields(line) {
			x, err := strconv.Atoi(w)
			if err != nil {
				return nil, fmt.Errorf("%s: %q: %w", path, line, err)
			}
			nums = append(nums, x)
		}
		if header {
			if len(nums) != 2 {
				return nil, fmt.Errorf("%s: bad header %q", path, line)
			}
			nJobs, in.machines = nums[0], nums[1]
			header = false
			continue
		}
		if len(nums)%2 != 0 {
			return nil, fmt.Errorf("%s: odd job line %q", path, line)
		}
		var job []jsOp
		for i := 0; i < len(nums); i += 2 {
			job = append(job, jsOp{nums[i], nums[i+1]})
		}
		in.jobs = append(in.jobs, job)
	}
	if len(in.jobs) != nJobs {
		return nil, fmt.Errorf("%s: %d jobs, header says %d", path, len(in.jobs), nJobs)
	}
	return in, sc.Err()
}

func bestKnown(t testing.TB, dir string) map[string]int {
	b, err := os.ReadFile(filepath.Join(dir, "best_known.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, l := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) == 4 {
			out[f[0]], _ = strconv.Atoi(f[3])
		}
	}
	return out
}

const jsUnit = time.Minute

// problem maps a classic instance: machines are always-available lines, one
// time unit is a minute.
func (in *jsInstance) problem() *schedule.Problem {
	p := &schedule.Problem{Now: t0}
	total := 0
	for m := range in.machines {
		p.Lines = append(p.Lines, schedule.Line{ID: fmt.Sprintf("M%d", m)})
	}
	for j, job := range in.jobs {
		o := schedule.Order{ID: fmt.Sprintf("J%d", j), Weight: 1}
		for _, op := range job {
			o.Ops = append(o.Ops, schedule.Operation{Eligible: []schedule.Eligible{{Line: fmt.Sprintf("M%d", op.machine), Duration: time.Duration(op.dur) * jsUnit}}})
			total += op.dur
		}
		p.Orders = append(p.Orders, o)
	}
	p.Horizon = t0.Add(time.Duration(total+1) * jsUnit)
	for i := range p.Orders {
		p.Orders[i].Due = p.Horizon
	}
	return p
}

type genSpec struct {
	orders, opsPerOrder, lines, families int
	shifts                               bool
	flexible                             int // eligible lines per op (≥1)
}

// genPlant generates a plant-like instance: lines in groups, two 8-hour
// shifts a day with breaks, family changeovers, due dates over some days.
func genPlant(seed uint64, g genSpec) *schedule.Problem {
	r := rand.New(rand.NewPCG(seed, 99))
	p := &schedule.Problem{Now: t0.Add(6 * time.Hour), Horizon: t0.Add(120 * 24 * time.Hour)}
	fam := func(i int) string { return fmt.Sprintf("F%d", i) }
	for l := range g.lines {
		ln := schedule.Line{ID: fmt.Sprintf("L%02d", l), Changeover: map[schedule.FamilyPair]time.Duration{}}
		if g.shifts {
			for d := range 120 {
				day := t0.Add(time.Duration(d) * 24 * time.Hour)
				if day.Weekday() == time.Sunday {
					continue
				}
				h := func(x float64) time.Time { return day.Add(time.Duration(x * float64(time.Hour))) }
				ln.Calendar = append(ln.Calendar,
					schedule.Window{Start: h(6), End: h(10)}, schedule.Window{Start: h(10.5), End: h(14)},
					schedule.Window{Start: h(14), End: h(18)}, schedule.Window{Start: h(18.5), End: h(22)})
			}
		}
		for a := range g.families {
			for b := range g.families {
				if a != b {
					ln.Changeover[schedule.FamilyPair{From: fam(a), To: fam(b)}] = time.Duration(5+r.IntN(40)) * time.Minute
				}
			}
		}
		if r.IntN(2) == 0 {
			ln.InitialFamily = fam(r.IntN(g.families))
		}
		p.Lines = append(p.Lines, ln)
	}
	span := float64(g.orders*g.opsPerOrder) * 70 / float64(g.lines) / 60 / 16 * 24 // hours of work per line, in calendar hours
	for o := range g.orders {
		ord := schedule.Order{ID: fmt.Sprintf("PO-%d", o+1), Weight: float64(1 + r.IntN(3))}
		rel := time.Duration(r.Float64()*span*0.3) * time.Hour
		if r.IntN(2) == 0 {
			ord.Release = p.Now.Add(rel)
		}
		ord.Due = p.Now.Add(rel + time.Duration((0.5+r.Float64()*1.2)*span*float64(time.Hour)))
		f := fam(r.IntN(g.families))
		for range g.opsPerOrder {
			k := max(1, min(g.flexible, g.lines))
			perm := r.Perm(g.lines)
			var el []schedule.Eligible
			base := 10 + r.IntN(110)
			for i := range k {
				el = append(el, schedule.Eligible{Line: p.Lines[perm[i]].ID, Duration: time.Duration(base*(10+r.IntN(6))/10) * time.Minute})
			}
			ord.Ops = append(ord.Ops, schedule.Operation{Family: f, Eligible: el})
		}
		p.Orders = append(p.Orders, ord)
	}
	return p
}
