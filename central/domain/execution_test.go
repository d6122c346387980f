package domain

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMatchETag(t *testing.T) {
	for _, c := range []struct {
		header, current string
		want            bool
	}{
		{"", `"a"`, true}, {"*", `"a"`, true}, {`"a"`, `"a"`, true}, {`W/"a"`, `"a"`, true},
		{`"b", "a"`, `"a"`, true}, {`"b"`, `"a"`, false}, {`"a,b"`, `"a"`, false},
	} {
		if got := MatchETag(c.header, c.current); got != c.want {
			t.Errorf("MatchETag(%q, %q) = %v", c.header, c.current, got)
		}
	}
}

func TestExecutionRules(t *testing.T) {
	r := DefaultExecutionRules()
	if r.OverrunLimit(300) != 315 || r.Overrun(300, 315) || !r.Overrun(300, 316) || r.Overrun(0, 5) {
		t.Errorf("overrun of 300 at 5 %%: limit %d", r.OverrunLimit(300))
	}
	bad := ExecutionRules{ScanRepeatWindow: -time.Second, OverlapQuantity: -1, OverrunTolerancePct: -5}
	err := bad.Validate("execution")
	for _, k := range []string{"execution.scan_repeat_window", "execution.overlap_quantity", "execution.overrun_tolerance_pct"} {
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s not named in %v", k, err)
		}
	}
	if err := r.Validate("execution"); err != nil {
		t.Error(err)
	}
}

// The order's second operation may not start before its first has.
func TestCheckPredecessor(t *testing.T) {
	now := time.Now()
	rec := OrderRecord{}
	rec.Number = "PO-1"
	rec.WorkOrders = []WorkOrder{{ID: "A", OperationSeq: 10, Status: StatusReleased}, {ID: "B", OperationSeq: 20, Status: StatusReleased}}
	if err := CheckPredecessor(rec, "A", 0); err != nil {
		t.Errorf("first operation: %v", err)
	}
	if err := CheckPredecessor(rec, "B", 0); !errors.Is(err, ErrConflict) {
		t.Errorf("second before first: %v", err)
	}
	rec.WorkOrders[0].ActualStart, rec.WorkOrders[0].Good = &now, 3
	if err := CheckPredecessor(rec, "B", 0); err != nil {
		t.Errorf("after the first started: %v", err)
	}
	if err := CheckPredecessor(rec, "B", 5); !errors.Is(err, ErrConflict) {
		t.Errorf("overlap 5 with 3 made: %v", err)
	}
}
