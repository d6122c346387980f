package planning_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/planning"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/pgtest"
)

// newEnvOn is newEnv on SQLite or a private PostgreSQL schema.
func newEnvOn(t *testing.T, driver string, cfg planning.Config) *env {
	t.Helper()
	ctx := context.Background()
	dsn := store.SQLiteDSN(filepath.Join(t.TempDir(), "c.db"))
	if driver == store.DriverPostgres {
		dsn = pgtest.Schema(t)
	}
	st, err := store.Open(ctx, driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &clock{t: t0}
	svc, err := planning.New(planning.Options{Config: cfg, Store: st, Now: c.now, Log: slog.New(slog.NewTextHandler(testWriter(t), nil))})
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, svc: svc, clock: c, ctx: ctx}
}

// A breakdown proposal nobody decided is 40 minutes old when the line
// breaks down again: the new breakdown gets its proposal; the old one can
// no longer be approved. A manual proposal left pending past the TTL
// expires and cannot be approved either.
func TestStalePendingProposalDoesNotBlockABreakdown(t *testing.T) {
	for _, d := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(d, func(t *testing.T) {
			cfg := testConfig()
			cfg.Auto = true
			e := newEnvOn(t, d, cfg)
			shop(t, e)
			approveFirst(t, e)
			pat := domain.Actor{Name: "pat", Role: domain.RolePlanner}
			e.must(t, e.st.SetLineState(e.ctx, "L2", "down", "F7", t0))
			ps, err := e.svc.CheckTriggers(e.ctx)
			e.must(t, err)
			if len(ps) != 1 {
				t.Fatalf("first breakdown: %+v", ps)
			}
			old := ps[0]
			e.clock.t = t0.Add(38 * time.Minute)
			e.must(t, e.st.SetLineState(e.ctx, "L2", "running", "", e.clock.t))
			_, err = e.svc.CheckTriggers(e.ctx)
			e.must(t, err)
			e.clock.t = t0.Add(40 * time.Minute)
			e.must(t, e.st.SetLineState(e.ctx, "L2", "down", "F9", e.clock.t))
			ps, err = e.svc.CheckTriggers(e.ctx)
			e.must(t, err)
			if len(ps) != 1 || ps[0].ID == old.ID || ps[0].Kind != domain.ProposalLineDown {
				t.Fatalf("second breakdown got %+v", ps)
			}
			got, err := e.svc.Get(e.ctx, old.ID)
			e.must(t, err)
			if got.Status != domain.ProposalExpired && got.Status != domain.ProposalSuperseded {
				t.Errorf("the old proposal is %s", got.Status)
			}
			if _, err := e.svc.Approve(e.ctx, old.ID, pat); !errors.Is(err, domain.ErrConflict) {
				t.Errorf("approving the old proposal: %v, want conflict", err)
			}

			// A newer breakdown proposal of the same line supersedes a pending one.
			e.clock.t = t0.Add(45 * time.Minute)
			e.must(t, e.st.SetLineState(e.ctx, "L2", "down", "F10", e.clock.t))
			ps, err = e.svc.CheckTriggers(e.ctx)
			e.must(t, err)
			if len(ps) != 1 {
				t.Fatalf("third breakdown got %+v", ps)
			}
			second, err := e.svc.List(e.ctx, domain.ProposalSuperseded)
			e.must(t, err)
			if len(second) != 1 || second[0].SupersededBy != ps[0].ID {
				t.Fatalf("superseded proposals %+v", second)
			}
			if _, err := e.svc.Approve(e.ctx, second[0].ID, pat); !errors.Is(err, domain.ErrConflict) || !strings.Contains(err.Error(), "superseded") {
				t.Errorf("approving a superseded proposal: %v", err)
			}

			m, err := e.svc.Propose(e.ctx, planning.Request{Reason: "manual"})
			e.must(t, err)
			e.clock.t = e.clock.t.Add(cfg.ProposalTTL + time.Minute)
			if _, err := e.svc.Approve(e.ctx, m.ID, pat); !errors.Is(err, domain.ErrConflict) || !strings.Contains(err.Error(), "expired") {
				t.Errorf("approving an expired proposal: %v", err)
			}
		})
	}
}
