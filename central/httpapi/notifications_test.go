package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/notify"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/notifications"
)

// TestNotificationsAPI: each user sees their own notifications with the
// unread count, pages through them, marks one and then all read (audited),
// and cannot touch another user's.
func TestNotificationsAPI(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			e := newEnvOn(t, driver)
			ctx := context.Background()
			ns := notifications.New(e.st.Handle())
			for i := range 3 {
				if _, err := ns.AddNotice(ctx, notify.Notice{Key: fmt.Sprint("n", i), Kind: notify.KindExceptionOpened, Severity: notify.SeverityCritical,
					TitleKey: "notify.exception_opened", Vars: map[string]string{"line": "L1", "kind": "machine_down"},
					Title: fmt.Sprintf("notice %d", i), Line: "L1", Link: "/", Roles: []domain.Role{domain.RoleSupervisor},
					At: time.Date(2026, 3, 2, 8, i, 0, 0, time.UTC)}, nil); err != nil {
					t.Fatal(err)
				}
			}
			sup := e.as[domain.RoleSupervisor]
			res, body := e.do(sup, "GET", "/api/v1/notifications?limit=2", nil)
			var p notify.Page
			if res.StatusCode != 200 || json.Unmarshal(body, &p) != nil || p.Unread != 3 || len(p.Items) != 2 || p.Items[0].Title != "notice 2" || p.Next == "" {
				t.Fatalf("first page: %d %s", res.StatusCode, body)
			}
			if res.Header.Get("Link") == "" {
				t.Error("no Link header on a full page")
			}
			res, body = e.do(sup, "GET", "/api/v1/notifications?limit=2&cursor="+p.Next, nil)
			var p2 notify.Page
			if json.Unmarshal(body, &p2) != nil || len(p2.Items) != 1 || p2.Items[0].Title != "notice 0" || p2.Next != "" {
				t.Fatalf("second page: %d %s", res.StatusCode, body)
			}
			if res, body := e.do(e.as[domain.RoleOperator], "GET", "/api/v1/notifications", nil); res.StatusCode != 200 || string(body) != `{"items":[],"unread":0}`+"\n" {
				t.Errorf("operator sees %d %s", res.StatusCode, body)
			}
			// Another user's notification is not found; a bad limit names the field.
			res, body = e.do(e.as[domain.RoleManager], "POST", "/api/v1/notifications/"+p.Items[0].ID+"/read", nil)
			e.problem(res, body, http.StatusNotFound, "")
			res, body = e.do(sup, "GET", "/api/v1/notifications?limit=0", nil)
			e.problem(res, body, http.StatusBadRequest, "limit")

			res, body = e.do(sup, "POST", "/api/v1/notifications/"+p.Items[0].ID+"/read", nil)
			var n notify.Notification
			if res.StatusCode != 200 || json.Unmarshal(body, &n) != nil || n.ReadAt == nil {
				t.Fatalf("read: %d %s", res.StatusCode, body)
			}
			_, body = e.do(sup, "GET", "/api/v1/notifications?unread=true", nil)
			if json.Unmarshal(body, &p) != nil || p.Unread != 2 || len(p.Items) != 2 {
				t.Fatalf("unread after one read: %s", body)
			}
			res, body = e.do(sup, "POST", "/api/v1/notifications/read-all", nil)
			if res.StatusCode != 200 || string(body) != `{"marked_read":2,"unread":0}`+"\n" {
				t.Fatalf("read-all: %d %s", res.StatusCode, body)
			}
			audit, err := e.st.ListAudit(ctx, domain.AuditFilter{Entity: "notification"})
			if err != nil || len(audit) != 2 || audit[0].Actor != "supervisor" {
				t.Errorf("audit = %+v, %v", audit, err)
			}
			if res, body := e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/notify/deliveries", nil); res.StatusCode != 403 {
				t.Errorf("supervisor reads the delivery log: %d %s", res.StatusCode, body)
			}
			if res, body := e.do(e.as[domain.RoleAdmin], "GET", "/api/v1/notify/deliveries", nil); res.StatusCode != 200 {
				t.Errorf("admin reads the delivery log: %d %s", res.StatusCode, body)
			}
		})
	}
}
