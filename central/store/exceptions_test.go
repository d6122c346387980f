package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// TestExceptionsLifecycle: raise, one open per (line, kind, work order),
// repeats counted once per occurrence, acknowledge and resolve with their
// conflicts, the audit trail, filters and paging; on both databases.
func TestExceptionsLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		fixture(t, s)
		ctx := context.Background()
		sys := domain.Actor{Name: domain.SystemActor}
		super := domain.Actor{Name: "super", Role: domain.RoleSupervisor}
		raise := func(kind domain.ExceptionKind, wo string, at time.Time, occ string) (domain.Exception, domain.RaiseOutcome) {
			t.Helper()
			x, o, err := s.RaiseException(ctx, domain.Exception{Line: "L1", WorkOrder: wo, Kind: kind, OpenedAt: at, LastAt: at,
				Detail: string(kind) + " at " + at.Format(time.TimeOnly)}, occ, sys)
			if err != nil {
				t.Fatalf("raise %s: %v", kind, err)
			}
			return x, o
		}

		q1, o := raise(domain.ExceptionQualityFailure, "WO-1", t0.Add(time.Minute), "e1/1")
		if o != domain.RaiseCreated || q1.Status != domain.ExceptionOpen || q1.Severity != domain.SeverityWarning || q1.Occurrences != 1 || q1.RaisedBy != "system" {
			t.Fatalf("first raise: %v %+v", o, q1)
		}
		// The same event again (a resend): nothing changes.
		if _, o := raise(domain.ExceptionQualityFailure, "WO-1", t0.Add(time.Minute), "e1/1"); o != domain.RaiseUnchanged {
			t.Errorf("resent event: %v", o)
		}
		// A later failure while it is open: one more occurrence, not a new exception.
		q2, o := raise(domain.ExceptionQualityFailure, "WO-1", t0.Add(2*time.Minute), "e1/2")
		if o != domain.RaiseRepeated || q2.ID != q1.ID || q2.Occurrences != 2 || !q2.LastAt.Equal(t0.Add(2*time.Minute)) || !q2.OpenedAt.Equal(q1.OpenedAt) {
			t.Errorf("repeat: %v %+v", o, q2)
		}
		if _, o := raise(domain.ExceptionQualityFailure, "WO-1", t0.Add(2*time.Minute), "e1/2"); o != domain.RaiseUnchanged {
			t.Errorf("resent repeat: %v", o)
		}
		// Another kind on the same line is its own exception.
		d, o := raise(domain.ExceptionMachineDown, "WO-1", t0.Add(3*time.Minute), "3")
		if o != domain.RaiseCreated || d.ID == q1.ID || d.Severity != domain.SeverityCritical {
			t.Fatalf("down: %v %+v", o, d)
		}

		// Acknowledge, then not twice; resolve, then not twice.
		a, err := s.AcknowledgeException(ctx, d.ID, super, "on my way")
		if err != nil || a.Status != domain.ExceptionAcknowledged || a.AcknowledgedBy != "super" || a.AcknowledgedAt == nil {
			t.Fatalf("acknowledge: %v %+v", err, a)
		}
		if _, err := s.AcknowledgeException(ctx, d.ID, super, ""); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("second acknowledge: %v", err)
		}
		r, err := s.ResolveException(ctx, d.ID, super, "belt replaced", t0.Add(10*time.Minute))
		if err != nil || r.Status != domain.ExceptionResolved || r.ResolvedBy != "super" || r.Resolution != "belt replaced" {
			t.Fatalf("resolve: %v %+v", err, r)
		}
		if _, err := s.ResolveException(ctx, d.ID, super, "", t0); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("second resolve: %v", err)
		}
		if _, err := s.AcknowledgeException(ctx, "nope", super, ""); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("acknowledge a missing one: %v", err)
		}
		got, err := s.GetException(ctx, d.ID)
		if err != nil || got.Status != domain.ExceptionResolved || got.AcknowledgedBy != "super" || !got.ResolvedAt.Equal(t0.Add(10*time.Minute)) {
			t.Errorf("get: %v %+v", err, got)
		}
		// Resolved by hand: the same stop is not raised again; a new stop is.
		if _, o := raise(domain.ExceptionMachineDown, "WO-1", t0.Add(3*time.Minute), "3"); o != domain.RaiseUnchanged {
			t.Errorf("the stop resolved by hand came back: %v", o)
		}
		if _, o := raise(domain.ExceptionMachineDown, "WO-1", t0.Add(20*time.Minute), "20"); o != domain.RaiseCreated {
			t.Errorf("a new stop: %v", o)
		}
		// Resolved by the system (the condition cleared): the same
		// occurrence may be raised again (the condition came back).
		b, _ := raise(domain.ExceptionBehindPlan, "WO-1", t0.Add(21*time.Minute), "")
		if _, err := s.ResolveException(ctx, b.ID, sys, "attainment recovered", t0.Add(22*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, o := raise(domain.ExceptionBehindPlan, "WO-1", t0.Add(23*time.Minute), ""); o != domain.RaiseCreated {
			t.Errorf("behind again after recovering: %v", o)
		}

		// Filters and paging, newest first.
		list := func(f domain.ExceptionFilter) []domain.Exception {
			t.Helper()
			xs, err := s.ListExceptions(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			return xs
		}
		all := list(domain.ExceptionFilter{})
		if len(all) != 5 {
			t.Fatalf("%d exceptions, want 5: %+v", len(all), all)
		}
		for i := 1; i < len(all); i++ {
			if all[i-1].ID <= all[i].ID {
				t.Errorf("not newest first: %s then %s", all[i-1].ID, all[i].ID)
			}
		}
		if xs := list(domain.ExceptionFilter{Status: []domain.ExceptionStatus{domain.ExceptionOpen, domain.ExceptionAcknowledged}}); len(xs) != 3 {
			t.Errorf("open: %d, want 3 (quality, down, behind)", len(xs))
		}
		if xs := list(domain.ExceptionFilter{Kind: []domain.ExceptionKind{domain.ExceptionMachineDown}, Line: "L1"}); len(xs) != 2 {
			t.Errorf("machine_down: %d, want 2", len(xs))
		}
		if xs := list(domain.ExceptionFilter{Line: "L2"}); len(xs) != 0 {
			t.Errorf("L2: %+v", xs)
		}
		p1 := list(domain.ExceptionFilter{Limit: 2})
		p2 := list(domain.ExceptionFilter{Limit: 2, After: p1[1].ID})
		p3 := list(domain.ExceptionFilter{Limit: 2, Offset: 4})
		if len(p1) != 2 || len(p2) != 2 || p2[0].ID != all[2].ID || len(p3) != 1 || p3[0].ID != all[4].ID {
			t.Errorf("paging: %d %d %d", len(p1), len(p2), len(p3))
		}

		// Every state change is audited, by who made it.
		audit, err := s.ListAudit(ctx, domain.AuditFilter{Entity: "exception", EntityID: d.ID})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range audit {
			actions = append(actions, e.Action+":"+e.Actor)
		}
		if len(actions) != 3 || actions[0] != "resolve:super" || actions[1] != "acknowledge:super" || actions[2] != "raise:system" {
			t.Errorf("audit of %s: %v", d.ID, actions)
		}
	})
}

// TestExceptionRaisedOnceUnderRace: replicas evaluating at once raise one.
func TestExceptionRaisedOnceUnderRace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		fixture(t, s)
		ctx := context.Background()
		var wg sync.WaitGroup
		created := make(chan bool, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				at := t0.Add(time.Duration(i) * time.Second)
				_, o, err := s.RaiseException(ctx, domain.Exception{Line: "L1", Kind: domain.ExceptionNoData, OpenedAt: at, Detail: "x"},
					"occ", domain.Actor{Name: domain.SystemActor})
				if err != nil {
					t.Error(err)
				}
				created <- o == domain.RaiseCreated
			}()
		}
		wg.Wait()
		close(created)
		n := 0
		for c := range created {
			if c {
				n++
			}
		}
		xs, err := s.ListExceptions(ctx, domain.ExceptionFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 || len(xs) != 1 {
			t.Errorf("%d created, %d stored; want 1 and 1", n, len(xs))
		}
	})
}
