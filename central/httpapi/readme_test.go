package httpapi_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/httpapi"
	"github.com/linewise/linewise/central/live"
	"github.com/linewise/linewise/central/planning"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/costing"
	"github.com/linewise/linewise/central/store/inventory"
	"github.com/linewise/linewise/central/store/notifications"
	"github.com/linewise/linewise/central/store/purchasing"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite the generated tables in central/README.md from the code")

const readmePath = "../README.md"

// TestREADMETablesMatchCode keeps central/README.md's role tables equal to
// the code: the route table (from the route registry that also drives the
// auth middleware and the OpenAPI document) and the lifecycle and sign-off
// tables (from the domain). After changing routes or roles, run
//
//	go test ./central/httpapi/ -run TestREADMETablesMatchCode -update-readme
func TestREADMETablesMatchCode(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatalf("central/README.md: %v", err)
	}
	doc := string(raw)
	blocks := map[string]string{
		"routes":    routeTable(fullServer(t).Routes()),
		"lifecycle": lifecycleTable(),
		"signoffs":  signoffTable(),
	}
	for _, name := range []string{"routes", "lifecycle", "signoffs"} {
		begin, end := "<!-- generated:"+name+" -->\n", "<!-- /generated:"+name+" -->"
		before, rest, ok1 := strings.Cut(doc, begin)
		got, after, ok2 := strings.Cut(rest, end)
		if !ok1 || !ok2 {
			t.Fatalf("central/README.md lacks the markers %q … %q", strings.TrimSpace(begin), end)
		}
		want := blocks[name]
		if *updateREADME {
			doc = before + begin + want + end + after
			continue
		}
		if got != want {
			gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
			for _, l := range wl {
				if !slices.Contains(gl, l) {
					t.Errorf("README %s table lacks: %s", name, l)
				}
			}
			for _, l := range gl {
				if !slices.Contains(wl, l) {
					t.Errorf("README %s table has, but the code does not: %s", name, l)
				}
			}
			t.Errorf("central/README.md's %s table differs from the code; regenerate it with:\n"+
				"\tgo test ./central/httpapi/ -run TestREADMETablesMatchCode -update-readme", name)
		}
	}
	if *updateREADME {
		if err := os.WriteFile(readmePath, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fullServer is a server with every optional part that adds routes
// (scheduling) switched on, as central runs it.
func fullServer(t *testing.T) *httpapi.Server {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.DriverSQLite, store.SQLiteDSN(filepath.Join(t.TempDir(), "c.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.DiscardHandler)
	now := func() time.Time { return pt0 }
	svc, err := planning.New(planning.Options{Config: planning.DefaultConfig(), Store: st, Now: now, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	inv := inventory.New(st.Handle())
	api := httpapi.New(httpapi.Options{Store: st, Hub: live.New(8), Log: log, Now: now, Inventory: inv,
		Purchasing:    purchasing.New(st.Handle(), inv, domain.DefaultPurchasingRules()),
		Notifications: notifications.New(st.Handle()), Cost: costing.New(st.Handle(), "CNY")})
	api.EnableSchedule(svc)
	return api
}

func who(a httpapi.Access, roles []domain.Role) string {
	switch a {
	case httpapi.Open:
		return "anyone"
	case httpapi.Public:
		return "anyone; the body is the credential"
	}
	if len(roles) == 0 {
		return "any signed-in role"
	}
	return joinRoles(roles)
}

func joinRoles(roles []domain.Role) string {
	n := make([]string, len(roles))
	for i, r := range roles {
		n[i] = string(r)
	}
	return strings.Join(n, ", ")
}

func routeTable(routes []httpapi.Route) string {
	slices.SortStableFunc(routes, func(a, b httpapi.Route) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Method, b.Method)
	})
	var b strings.Builder
	b.WriteString("| Method | Path | Who may call it | What it does |\n| --- | --- | --- | --- |\n")
	for _, r := range routes {
		scope := ""
		if r.LineScoped {
			scope = " (a line-scoped token or a badge session: its line only)"
		}
		if r.Kiosk {
			scope += "; a kiosk token"
		}
		if r.Station {
			scope += "; a badge session"
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s%s | %s |\n", r.Method, r.Path, who(r.Access, r.Roles), scope,
			strings.ReplaceAll(r.Summary, "|", `\|`))
	}
	return b.String()
}

func lifecycleTable() string {
	var b strings.Builder
	b.WriteString("| Action | From | To | Roles |\n| --- | --- | --- | --- |\n")
	for _, tr := range domain.Lifecycle() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", tr.Action, tr.From, tr.To, joinRoles(tr.Roles))
	}
	return b.String()
}

func signoffTable() string {
	var b strings.Builder
	b.WriteString("| Review aspect | Who may sign it off |\n| --- | --- |\n")
	for _, k := range domain.SignoffKinds() {
		var rs []domain.Role
		for _, r := range domain.Roles() {
			if domain.CanSignOff(r, k) {
				rs = append(rs, r)
			}
		}
		fmt.Fprintf(&b, "| %s | %s |\n", k, joinRoles(rs))
	}
	return b.String()
}
