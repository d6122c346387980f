package httpapi

import (
	"context"
	"testing"

	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/pgtest"
)

// onAnotherReplica makes newEnv a replicated env (newReplicaEnv); only
// TestRoleMatrixAndSecurityOnAnotherReplica sets it, and the package's
// tests do not run in parallel.
var onAnotherReplica bool

// newReplicaEnv is newEnv on PostgreSQL where every client signed in on one
// API server (replica A) and every request then goes to another server on
// its own connection pool to the same database (replica B): nothing of a
// session may live in A's memory.
func newReplicaEnv(t *testing.T) *env {
	t.Helper()
	dsn := pgtest.Schema(t)
	e := newEnvDSN(t, store.DriverPostgres, dsn)
	st, err := store.Open(context.Background(), store.DriverPostgres, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	first := e.srv.URL
	e.api, e.srv = e.serve(st)
	if e.srv.URL == first {
		t.Fatal("replica B listens where A does")
	}
	return e
}

// TestRoleMatrixAndSecurityOnAnotherReplica runs the role matrices and the
// security tests with sessions issued by replica A and every request
// served by replica B (cookie jars, like browsers, ignore the port).
func TestRoleMatrixAndSecurityOnAnotherReplica(t *testing.T) {
	pgtest.Schema(t) // skipped without PostgreSQL (failed with CI=true) before anything runs
	onAnotherReplica = true
	defer func() { onAnotherReplica = false }()
	for _, tt := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"transitions", TestTransitionsWalkRoleMatrix},
		{"exceptions", TestExceptionRoutesWalkRoleMatrix},
		{"masterdata", TestMasterDataWalksRoleMatrix},
		{"materials", TestMaterialsWalkRoleMatrix},
		{"purchasing", TestPurchasingWalkRoleMatrix},
		{"badge-no-admin", TestAttackBadgeIsNoAdminCredential},
		{"badge-other-line", TestAttackBadgeOnAnotherLine},
		{"csrf", TestAttackCSRF},
		{"open-redirect", TestAttackOpenRedirect},
		{"tokens", TestTokensLifecycle},
		{"kiosk", TestKioskToken},
		{"anonymous", TestAnonymousReads},
	} {
		t.Run(tt.name, tt.fn)
	}
}
