package httpapi

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/throttle"
)

// The env's server throttles with throttle.DefaultConfig (5 per username,
// 20 per address, 15 minutes) on the env's clock e.now, which only the
// test moves.

func (e *env) signIn(user, password string) (int, []byte) {
	e.t.Helper()
	res, body := e.do(e.client(), "POST", "/api/v1/login", map[string]string{"username": user, "password": password})
	if res.StatusCode == 429 {
		if ra := res.Header.Get("Retry-After"); ra == "" {
			e.t.Errorf("429 without Retry-After: %s", body)
		}
	}
	return res.StatusCode, body
}

func (e *env) lockouts(entity, id string) []domain.AuditEntry {
	e.t.Helper()
	all, err := e.st.ListAudit(context.Background(), domain.AuditFilter{Entity: entity, EntityID: id})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []domain.AuditEntry
	for _, a := range all {
		if a.Action == "lockout" {
			out = append(out, a)
		}
	}
	return out
}

func TestLoginLockoutPerUsername(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 5; i++ {
		if code, body := e.signIn("planner", "wrong-guess"); code != 401 {
			t.Fatalf("wrong password %d: %d %s", i, code, body)
		}
		e.now = e.now.Add(time.Minute)
	}
	// Locked out: even the right password is refused, before it is checked.
	res, body := e.do(e.client(), "POST", "/api/v1/login", map[string]string{"username": "planner", "password": "planner-password"})
	p := e.problem(res, body, 429, "username")
	if ra := res.Header.Get("Retry-After"); ra != "840" { // locked at minute 4 for 15m; now minute 5
		t.Errorf("Retry-After %q, want 840", ra)
	}
	if !strings.Contains(p.Detail, "planner") {
		t.Errorf("detail %q does not name the user", p.Detail)
	}
	// Other users from the same address still sign in.
	if code, body := e.signIn("quality", "quality-password"); code != 200 {
		t.Fatalf("another user: %d %s", code, body)
	}
	// Sessions made before the lockout keep working.
	if res, body := e.do(e.as[domain.RolePlanner], "GET", "/api/v1/me", nil); res.StatusCode != 200 {
		t.Fatalf("existing session: %d %s", res.StatusCode, body)
	}
	lo := e.lockouts("user", "planner")
	if len(lo) != 1 || lo[0].Actor != domain.SystemActor || !strings.Contains(lo[0].Reason, "5 failed sign-ins") ||
		!strings.Contains(lo[0].Reason, "127.0.0.1") {
		t.Fatalf("lockout audit = %+v", lo)
	}
	// Once the window has passed, the right password works again.
	e.now = e.now.Add(14*time.Minute - time.Second)
	if code, _ := e.signIn("planner", "planner-password"); code != 429 {
		t.Fatalf("a second before the lockout ends: %d", code)
	}
	e.now = e.now.Add(time.Second)
	if code, body := e.signIn("planner", "planner-password"); code != 200 {
		t.Fatalf("after the lockout: %d %s", code, body)
	}
}

func TestLoginSuccessResetsTheUsernameCount(t *testing.T) {
	e := newEnv(t)
	for round := range 3 {
		for i := range 4 {
			if code, body := e.signIn("supervisor", "wrong-guess"); code != 401 {
				t.Fatalf("round %d wrong %d: %d %s", round, i, code, body)
			}
		}
		if code, body := e.signIn("supervisor", "supervisor-password"); code != 200 {
			t.Fatalf("round %d: %d %s", round, code, body)
		}
	}
	if lo := e.lockouts("user", "supervisor"); len(lo) != 0 {
		t.Fatalf("lockouts: %+v", lo)
	}
}

func TestLoginLockoutPerAddress(t *testing.T) {
	e := newEnv(t)
	// Unknown usernames, each guessed once: only the address adds up.
	for i := 1; i <= 20; i++ {
		if code, body := e.signIn(fmt.Sprintf("guess%d", i), "wrong-guess"); code != 401 {
			t.Fatalf("guess %d: %d %s", i, code, body)
		}
	}
	res, body := e.do(e.client(), "POST", "/api/v1/login", map[string]string{"username": "admin", "password": "admin-password"})
	p := e.problem(res, body, 429, "")
	if ra := res.Header.Get("Retry-After"); ra != "900" {
		t.Errorf("Retry-After %q, want 900", ra)
	}
	if !strings.Contains(p.Detail, "127.0.0.1") {
		t.Errorf("detail %q", p.Detail)
	}
	if lo := e.lockouts("client", "127.0.0.1"); len(lo) != 1 || !strings.Contains(lo[0].Reason, "20 failed sign-ins") {
		t.Fatalf("lockout audit = %+v", lo)
	}
	e.now = e.now.Add(15 * time.Minute)
	if code, body := e.signIn("admin", "admin-password"); code != 200 {
		t.Fatalf("after the window: %d %s", code, body)
	}
}

func TestPasswordChangeLockout(t *testing.T) {
	e := newEnv(t)
	qa := e.as[domain.RoleQuality]
	change := func(current string) (int, []byte) {
		res, body := e.do(qa, "POST", "/api/v1/me/password", map[string]string{"current_password": current, "new_password": "a-new-long-password"})
		return res.StatusCode, body
	}
	for i := 1; i <= 5; i++ {
		if code, body := change("wrong-guess"); code != 403 {
			t.Fatalf("wrong current_password %d: %d %s", i, code, body)
		}
	}
	res, body := e.do(qa, "POST", "/api/v1/me/password", map[string]string{"current_password": "quality-password", "new_password": "a-new-long-password"})
	e.problem(res, body, 429, "username")
	if res.Header.Get("Retry-After") != "900" {
		t.Errorf("Retry-After %q", res.Header.Get("Retry-After"))
	}
	// The same count guards sign-in.
	if code, body := e.signIn("quality", "quality-password"); code != 429 {
		t.Fatalf("login while locked out: %d %s", code, body)
	}
	if lo := e.lockouts("user", "quality"); len(lo) != 1 || !strings.Contains(lo[0].Reason, "password checks") {
		t.Fatalf("lockout audit = %+v", lo)
	}
	e.now = e.now.Add(15 * time.Minute)
	if code, body := change("quality-password"); code != 200 {
		t.Fatalf("after the window: %d %s", code, body)
	}
}

func TestBadgeGuessingLockout(t *testing.T) {
	e := newEnv(t)
	station := e.client()
	scan := func(c string) (int, []byte) {
		res, body := e.do(station, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": c})
		return res.StatusCode, body
	}
	for i := 1; i <= 20; i++ {
		if code, body := scan(fmt.Sprintf("B-%04d", 5000+i)); code != 401 {
			t.Fatalf("guess %d: %d %s", i, code, body)
		}
	}
	// The address may not scan at all now, not even a real badge.
	res, body := e.do(station, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": "B-1001"})
	e.problem(res, body, 429, "")
	if res.Header.Get("Retry-After") != "900" {
		t.Errorf("Retry-After %q", res.Header.Get("Retry-After"))
	}
	if lo := e.lockouts("client", "127.0.0.1"); len(lo) != 1 || !strings.Contains(lo[0].Reason, "20 failed scans") {
		t.Fatalf("lockout audit = %+v", lo)
	}
	e.now = e.now.Add(15 * time.Minute)
	if code, body := scan("B-1001"); code != 200 {
		t.Fatalf("badge after the window: %d %s", code, body)
	}
}

func TestSignedInScansOfKnownCodesDoNotCount(t *testing.T) {
	e := newEnv(t)
	station := e.client()
	if res, body := e.do(station, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": "B-1001"}); res.StatusCode != 200 {
		t.Fatalf("badge: %d %s", res.StatusCode, body)
	}
	other := e.draft("Q") // a work order of line L2: refused at ST-L1, but not a guess
	e.force(other, domain.StatusReleased)
	for i := range 30 {
		res, body := e.do(station, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": domain.WorkOrderID(other, 10)})
		if res.StatusCode != 409 {
			t.Fatalf("scan %d: %d %s", i, res.StatusCode, body)
		}
	}
}

func TestThrottleOff(t *testing.T) {
	e := newEnv(t)
	e.api.opts.Throttle = throttle.New(throttle.Config{}, nil)
	for i := range 30 {
		if code, body := e.signIn("planner", "wrong-guess"); code != 401 {
			t.Fatalf("wrong %d: %d %s", i, code, body)
		}
	}
	if code, body := e.signIn("planner", "planner-password"); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
}
