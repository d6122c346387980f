package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// lifecycleFixture: lines L1, L2; product P routed on L1 (seq 10) and L2 (seq 20).
func lifecycleFixture(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	for _, err := range []error{
		s.CreateLine(ctx, domain.Line{ID: "L1", Name: "Line 1"}),
		s.CreateLine(ctx, domain.Line{ID: "L2", Name: "Line 2"}),
		s.CreateProduct(ctx, domain.Product{Code: "P", Name: "Brake disc", Unit: "pcs", IdealCycle: time.Second}),
		s.SetRouting(ctx, "P", []domain.RoutingOp{{Seq: 10, Name: "press", LineID: "L1"}, {Seq: 20, Name: "pack", LineID: "L2"}}),
		s.CreateStation(ctx, domain.Station{ID: "ST-L1", LineID: "L1"}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
}

var planner = domain.Actor{Name: "plan", Role: domain.RolePlanner}

func TestOrderLifecycleStore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		lifecycleFixture(t, s)
		ctx := context.Background()
		o, err := s.CreateDraftOrder(ctx, domain.Order{ProductCode: "P", Quantity: 50, CustomerRef: "ACME_1"}, planner)
		if err != nil || o.Number != "PO-1001" || o.Status != domain.StatusDraft || o.Unit != "pcs" || o.OrderType != "standard" {
			t.Fatalf("create: %+v %v", o, err)
		}
		if _, err := s.CreateDraftOrder(ctx, domain.Order{Number: "PO-1002", ProductCode: "P", Quantity: 1}, planner); err != nil {
			t.Fatal(err)
		}
		// The sequence skips numbers taken by hand.
		o3, err := s.CreateDraftOrder(ctx, domain.Order{ProductCode: "P", Quantity: 1}, planner)
		if err != nil || o3.Number != "PO-1003" {
			t.Fatalf("third: %+v %v", o3, err)
		}
		var fe *domain.FieldError
		if _, err := s.CreateDraftOrder(ctx, domain.Order{ProductCode: "NOPE", Quantity: 1}, planner); !errors.As(err, &fe) || fe.Field != "product" {
			t.Errorf("unknown product: %v", err)
		}
		if _, err := s.CreateDraftOrder(ctx, domain.Order{Number: "PO-1002", ProductCode: "P", Quantity: 1}, planner); !errors.As(err, &fe) || fe.Field != "number" {
			t.Errorf("duplicate number: %v", err)
		}

		// Submit, sign off, approve, schedule, release: each in one transaction with its audit.
		now := t0
		step := func(action domain.Action, sign ...domain.SignoffKind) {
			t.Helper()
			_, err := s.ChangeOrder(ctx, o.Number, planner, func(rec *domain.OrderRecord) (domain.OrderChange, error) {
				for _, k := range sign {
					rec.Signoffs = append(rec.Signoffs, domain.Signoff{Kind: k, Round: rec.ReviewRound, By: "plan", Role: domain.RolePlanner, At: now, Comment: "ok"})
				}
				if action == "" {
					return domain.OrderChange{Action: "signoff"}, nil
				}
				tr, err := domain.Next(action, rec.Status)
				if err != nil {
					return domain.OrderChange{}, err
				}
				return domain.OrderChange{Action: string(action)}, domain.ApplyTransition(rec, tr, now)
			})
			if err != nil {
				t.Fatalf("%s: %v", action, err)
			}
		}
		step(domain.ActionSubmit)
		step("", domain.SignoffMaterial, domain.SignoffCapacity, domain.SignoffQuality)
		// Signing an aspect twice in one round is a conflict from the key.
		_, err = s.ChangeOrder(ctx, o.Number, planner, func(rec *domain.OrderRecord) (domain.OrderChange, error) {
			rec.Signoffs = append(rec.Signoffs, domain.Signoff{Kind: domain.SignoffQuality, Round: rec.ReviewRound, By: "x", At: now})
			return domain.OrderChange{Action: "signoff"}, nil
		})
		if !errors.Is(err, domain.ErrConflict) {
			t.Errorf("double sign-off: %v", err)
		}
		step(domain.ActionApprove)
		step(domain.ActionSchedule)
		step(domain.ActionRelease)
		rec, err := s.GetOrderRecord(ctx, o.Number)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Status != domain.StatusReleased || rec.ReviewRound != 1 || len(rec.Signoffs) != 3 || len(rec.WorkOrders) != 2 ||
			rec.WorkOrders[0].ID != "WO-1001-10" || rec.WorkOrders[1].LineID != "L2" || rec.WorkOrders[0].Status != domain.StatusReleased {
			t.Fatalf("after release: %+v", rec)
		}

		// An error from the change function rolls back everything.
		_, err = s.ChangeOrder(ctx, o.Number, planner, func(rec *domain.OrderRecord) (domain.OrderChange, error) {
			rec.Quantity = 999
			return domain.OrderChange{}, errors.New("no")
		})
		if err == nil || mustOrder(t, s, o.Number).Quantity != 50 {
			t.Errorf("rolled back change: %v", err)
		}

		// Start and stop through the audited wrappers; scrap by increment.
		op := domain.Actor{Name: "op1", Role: domain.RoleOperator}
		if _, err := s.StartWorkOrderAs(ctx, "WO-1001-10", t0, op, "start"); err != nil {
			t.Fatal(err)
		}
		if got := mustOrder(t, s, o.Number).Status; got != domain.StatusInProgress {
			t.Errorf("order %s after start", got)
		}
		w, err := s.RecordScrap(ctx, "WO-1001-10", 3, "burr", op)
		if err != nil || w.Reject != 3 {
			t.Fatalf("scrap: %+v %v", w, err)
		}
		if _, err := s.StopWorkOrderAs(ctx, "WO-1001-10", t0.Add(time.Minute), op, "pause"); err != nil {
			t.Fatal(err)
		}

		entries, err := s.ListAudit(ctx, domain.AuditFilter{Entity: "order", EntityID: o.Number, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
		}
		// "start" moved the order too; the failed and rolled-back changes left nothing.
		if got := strings.Join(actions, ","); got != "start,release,schedule,approve,signoff,submit,create" {
			t.Errorf("order audit: %s", got)
		}
		wEntries, _ := s.ListAudit(ctx, domain.AuditFilter{Entity: "work_order", EntityID: "WO-1001-10", Actor: "op1"})
		if len(wEntries) != 3 || wEntries[0].Action != "pause" || wEntries[1].Reason != "burr" {
			t.Errorf("work order audit: %+v", wEntries)
		}
		from := t0.Add(-time.Hour)
		if e, _ := s.ListAudit(ctx, domain.AuditFilter{From: &from, To: &from}); len(e) != 0 {
			t.Errorf("empty time window returned %d", len(e))
		}

		// Only drafts are deleted (the rule is the caller's; the store refuses orders with work orders).
		if err := s.DeleteOrder(ctx, o.Number, planner, func(domain.OrderRecord) error { return nil }); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("delete released: %v", err)
		}
		if err := s.DeleteOrder(ctx, "PO-1002", planner, func(domain.OrderRecord) error { return nil }); err != nil {
			t.Errorf("delete draft: %v", err)
		}
		if _, err := s.GetOrderRecord(ctx, "PO-1002"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("deleted: %v", err)
		}
	})
}

func mustOrder(t *testing.T, s *Store, number string) domain.OrderRecord {
	t.Helper()
	rec, err := s.GetOrderRecord(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestSearchOrders(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		lifecycleFixture(t, s)
		ctx := context.Background()
		due := func(d int) *time.Time { x := t0.AddDate(0, 0, d); return &x }
		for _, o := range []domain.Order{
			{Number: "A-1", ProductCode: "P", Quantity: 1, Due: due(1), CustomerRef: "100%_ACME"},
			{Number: "A-2", ProductCode: "P", Quantity: 1, Due: due(5)},
			{Number: "B-1", ProductCode: "P", Quantity: 1},
		} {
			if _, err := s.CreateDraftOrder(ctx, o, planner); err != nil {
				t.Fatal(err)
			}
		}
		names := func(f domain.OrderFilter) string {
			t.Helper()
			os, err := s.SearchOrders(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var n []string
			for _, o := range os {
				n = append(n, o.Number)
			}
			return strings.Join(n, ",")
		}
		tests := []struct {
			f    domain.OrderFilter
			want string
		}{
			{domain.OrderFilter{}, "A-1,A-2,B-1"},
			{domain.OrderFilter{Query: "%_a"}, "A-1"},
			{domain.OrderFilter{Query: "brake"}, "A-1,A-2,B-1"},
			{domain.OrderFilter{Query: "b-"}, "B-1"},
			{domain.OrderFilter{DueFrom: due(2)}, "A-2"},
			{domain.OrderFilter{DueTo: due(2)}, "A-1"},
			{domain.OrderFilter{Line: "L2"}, "A-1,A-2,B-1"},
			{domain.OrderFilter{Line: "L9"}, ""},
			{domain.OrderFilter{Status: []domain.OrderStatus{domain.StatusDraft}, Limit: 2}, "A-1,A-2"},
			{domain.OrderFilter{After: "A-2"}, "B-1"},
			{domain.OrderFilter{Offset: 1, Limit: 1}, "A-2"},
		}
		for _, tt := range tests {
			if got := names(tt.f); got != tt.want {
				t.Errorf("%+v: %s, want %s", tt.f, got, tt.want)
			}
		}
	})
}

// TestOrderNumbersUnderConcurrency: drafts created at once get distinct numbers.
func TestOrderNumbersUnderConcurrency(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		lifecycleFixture(t, s)
		var mu sync.Mutex
		seen := map[string]bool{}
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o, err := s.CreateDraftOrder(context.Background(), domain.Order{ProductCode: "P", Quantity: 1}, planner)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if seen[o.Number] {
					t.Errorf("number %s handed out twice", o.Number)
				}
				seen[o.Number] = true
			}()
		}
		wg.Wait()
	})
}

func TestUsersSessionsTokens(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		lifecycleFixture(t, s)
		ctx := context.Background()
		admin := domain.Actor{Name: "admin", Role: domain.RoleAdmin}
		if err := s.CreateUser(ctx, domain.User{Username: "op1", DisplayName: "Op", Role: domain.RoleOperator, PasswordHash: "h", Badge: "B-1"}, admin); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateUser(ctx, domain.User{Username: "qa", Role: domain.RoleQuality, PasswordHash: "h"}, admin); err != nil {
			t.Fatal(err) // no badge: NULL, so several users without badges coexist
		}
		if err := s.CreateUser(ctx, domain.User{Username: "op2", Role: domain.RoleOperator, Badge: "B-1"}, admin); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("duplicate badge: %v", err)
		}
		if u, err := s.UserByBadge(ctx, "B-1"); err != nil || u.Username != "op1" {
			t.Errorf("badge: %+v %v", u, err)
		}
		if _, err := s.UserByBadge(ctx, ""); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("empty badge: %v", err)
		}
		if err := s.CreateSession(ctx, domain.Session{TokenHash: "abc", Username: "op1", StationID: "ST-L1", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		p, err := s.SessionPrincipal(ctx, "abc", t0.Add(time.Minute))
		if err != nil || p.Username != "op1" || p.Role != domain.RoleOperator || p.StationID != "ST-L1" {
			t.Errorf("session: %+v %v", p, err)
		}
		if _, err := s.SessionPrincipal(ctx, "abc", t0.Add(2*time.Hour)); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("expired session: %v", err)
		}
		if err := s.DeleteSession(ctx, "abc"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionPrincipal(ctx, "abc", t0); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("deleted session: %v", err)
		}
		if err := s.CreateAPIToken(ctx, domain.APIToken{ID: "t1", Name: "scanner", Role: domain.RoleOperator, LineID: "L1", TokenHash: "th", CreatedAt: t0}, admin); err != nil {
			t.Fatal(err)
		}
		p, err = s.TokenPrincipal(ctx, "th", t0)
		if err != nil || p.Username != "token:scanner" || p.LineScope != "L1" || p.Via != "token" {
			t.Errorf("token: %+v %v", p, err)
		}
		us, err := s.ListUsers(ctx)
		if err != nil || len(us) != 2 {
			t.Errorf("users: %+v %v", us, err)
		}
		st, err := s.GetStation(ctx, "ST-L1")
		if err != nil || st.LineID != "L1" {
			t.Errorf("station: %+v %v", st, err)
		}
	})
}
