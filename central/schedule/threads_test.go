package schedule_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/linewise/linewise/central/schedule"
)

// Two searches in parallel give the same plan for the same seed and thread
// count, and a plan at least as good as the first search alone (it is one
// of the two).
func TestThreadsDeterministic(t *testing.T) {
	in, err := parseJobshop(filepath.Join(jobshopDir(t), "ft10.txt"))
	if err != nil {
		t.Fatal(err)
	}
	p := in.problem()
	opt := schedule.Options{Objective: schedule.ObjectiveMakespan, MaxIterations: 3000, Seed: 7, Threads: 2}
	a, err := schedule.Solve(context.Background(), p, opt)
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, p, a)
	b, err := schedule.Solve(context.Background(), p, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Ops, b.Ops) {
		t.Fatal("two runs with the same seed and thread count differ")
	}
	opt.Threads = 1
	one, err := schedule.Solve(context.Background(), p, opt)
	if err != nil {
		t.Fatal(err)
	}
	if a.Score.Makespan > one.Score.Makespan {
		t.Fatalf("two threads %v, one thread %v", a.Score.Makespan, one.Score.Makespan)
	}
}
