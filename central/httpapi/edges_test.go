package httpapi

import (
	"testing"

	"github.com/linewise/linewise/central/domain"
)

// TestEdgesRouteRoles: GET /api/v1/edges is for supervisors and admins.
func TestEdgesRouteRoles(t *testing.T) {
	e := newEnv(t)
	if res, body := e.do(nil, "GET", "/api/v1/edges", nil); res.StatusCode != 401 {
		t.Errorf("nobody: %d %s", res.StatusCode, body)
	}
	for _, r := range domain.Roles() {
		want := 403
		if r == domain.RoleSupervisor || r == domain.RoleAdmin {
			want = 200
		}
		if res, body := e.do(e.as[r], "GET", "/api/v1/edges", nil); res.StatusCode != want {
			t.Errorf("%s: %d %s, want %d", r, res.StatusCode, body, want)
		}
	}
}
