package notify_test

import (
	"bufio"
	"context"
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/notify"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/notifications"
	"github.com/linewise/linewise/central/store/pgtest"
)

// smtpSink is a tiny SMTP server on a free port that accepts AUTH PLAIN
// for one user and records every message it is given.
type smtpSink struct {
	ln       net.Listener
	user, pw string
	mu       sync.Mutex
	msgs     []sunkMail
	authed   []string
}

type sunkMail struct {
	from string
	to   []string
	data string
}

func newSMTPSink(t *testing.T) *smtpSink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpSink{ln: ln, user: "mes", pw: "sink-password"}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpSink) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *smtpSink) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(l string) { io.WriteString(c, l+"\r\n") }
	say("220 sink ESMTP")
	var m sunkMail
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO", "HELO":
			say("250-sink")
			say("250-8BITMIME")
			say("250 AUTH PLAIN")
		case "AUTH":
			f := strings.Fields(line)
			b, _ := base64.StdEncoding.DecodeString(f[len(f)-1])
			parts := strings.Split(string(b), "\x00")
			if len(parts) == 3 && parts[1] == s.user && parts[2] == s.pw {
				s.mu.Lock()
				s.authed = append(s.authed, parts[1])
				s.mu.Unlock()
				say("235 2.7.0 ok")
			} else {
				say("535 5.7.8 bad credentials")
			}
		case "MAIL":
			m = sunkMail{from: strings.TrimPrefix(line, "MAIL FROM:")}
			say("250 ok")
		case "RCPT":
			m.to = append(m.to, strings.Trim(strings.TrimPrefix(line, "RCPT TO:"), "<>"))
			say("250 ok")
		case "DATA":
			say("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			m.data = b.String()
			s.mu.Lock()
			s.msgs = append(s.msgs, m)
			s.mu.Unlock()
			say("250 queued")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func (s *smtpSink) messages() []sunkMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sunkMail(nil), s.msgs...)
}

// receiver is a webhook endpoint that checks the signature like a real
// receiver would and fails its first `fail` requests with 503.
type receiver struct {
	secret []byte
	mu     sync.Mutex
	fail   int
	got    []notify.WebhookBody
	badSig int
	calls  int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.calls++
	want := notify.Sign(rc.secret, body)
	if !hmac.Equal([]byte(r.Header.Get("X-Linewise-Signature")), []byte(want)) {
		rc.badSig++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if rc.fail > 0 {
		rc.fail--
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	var b notify.WebhookBody
	if err := json.Unmarshal(body, &b); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.got = append(rc.got, b)
}

func openStore(t *testing.T, driver string) *store.Store {
	t.Helper()
	dsn := store.SQLiteDSN(filepath.Join(t.TempDir(), "c.db"))
	if driver == store.DriverPostgres {
		dsn = pgtest.Schema(t)
	}
	st, err := store.Open(context.Background(), driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestNotifyDeliversByMailAndSignedWebhook(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) { testDelivery(t, driver) })
	}
}

func testDelivery(t *testing.T, driver string) {
	ctx := context.Background()
	st := openStore(t, driver)
	admin := domain.Actor{Name: "test", Role: domain.RoleAdmin}
	for _, u := range []domain.User{{Username: "super", Role: domain.RoleSupervisor}, {Username: "boss", Role: domain.RoleManager},
		{Username: "op1", Role: domain.RoleOperator}, {Username: "gone", Role: domain.RoleSupervisor, Disabled: true}} {
		if err := st.CreateUser(ctx, u, admin); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CreateLine(ctx, domain.Line{ID: "L1", Name: "Line 1"}); err != nil {
		t.Fatal(err)
	}
	sink := newSMTPSink(t)
	rc := &receiver{secret: []byte("a-webhook-secret-of-32-bytes!!!!"), fail: 1}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	pwFile := filepath.Join(t.TempDir(), "pw")
	writeFile(t, pwFile, sink.pw+"\n")

	cfg := notify.DefaultConfig()
	cfg.BaseURL = "https://mes.plant.example"
	cfg.SMTP = notify.SMTPConfig{Host: "127.0.0.1", Port: sink.port(), From: "linewise <mes@plant.example>",
		Username: sink.user, PasswordFile: pwFile, StartTLS: "auto", Timeout: 5 * time.Second}
	cfg.Webhooks = []notify.WebhookConfig{{Name: "ops", URL: hook.URL + "/hook", Secret: string(rc.secret)}}
	cfg.Routes = []notify.Route{
		{Kinds: []string{notify.KindExceptionOpened}, Lines: []string{"L1"}, Email: []string{"l1-leads@plant.example"}, Webhooks: []string{"ops"}},
		{Kinds: []string{notify.KindExceptionEscalated}, Roles: []domain.Role{domain.RoleManager}, MinSeverity: "critical", Email: []string{"plant-manager@plant.example"}},
	}
	clk := &clock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	svc, err := notify.New(notify.Options{Config: cfg, Store: notifications.New(st.Handle()), Exceptions: st, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	ns := notifications.New(st.Handle())

	x, _, err := st.RaiseException(ctx, domain.Exception{Line: "L1", Kind: domain.ExceptionMachineDown, Severity: domain.SeverityCritical,
		OpenedAt: clk.now(), LastAt: clk.now(), Detail: "press stopped: fault 12"}, "down-1", domain.Actor{Name: domain.SystemActor})
	if err != nil {
		t.Fatal(err)
	}
	svc.Step(ctx)
	svc.Step(ctx) // a second round adds nothing

	page, err := ns.ListNotifications(ctx, notify.Filter{User: "super"})
	if err != nil {
		t.Fatal(err)
	}
	if page.Unread != 1 || len(page.Items) != 1 || page.Items[0].Title != "machine_down on line L1" || page.Items[0].Link != "/?exception="+x.ID ||
		page.Items[0].TitleKey != "notify.exception_opened" || page.Items[0].Vars["line"] != "L1" {
		t.Fatalf("supervisor's notifications = %+v", page)
	}
	for _, u := range []string{"op1", "gone", "boss"} {
		if p, _ := ns.ListNotifications(ctx, notify.Filter{User: u}); p.Unread != 0 || len(p.Items) != 0 {
			t.Errorf("%s sees %+v; want nothing (not a supervisor, or disabled, or not yet escalated)", u, p)
		}
	}

	msgs := sink.messages()
	if len(msgs) != 1 || len(msgs[0].to) != 1 || msgs[0].to[0] != "l1-leads@plant.example" {
		t.Fatalf("mail sink got %+v; want one message to l1-leads", msgs)
	}
	subj := header(msgs[0].data, "Subject")
	if dec, _ := new(mime.WordDecoder).DecodeHeader(subj); dec != "[linewise L1] machine_down on line L1" {
		t.Errorf("subject %q", dec)
	}
	_, raw, _ := strings.Cut(msgs[0].data, "\r\n\r\n")
	text, _ := io.ReadAll(quotedprintable.NewReader(strings.NewReader(raw)))
	if !strings.Contains(string(text), "press stopped: fault 12") || !strings.Contains(string(text), "Open: https://mes.plant.example/?exception="+x.ID) {
		t.Errorf("mail body lacks the detail or the link:\n%s", text)
	}
	if len(sink.authed) != 1 {
		t.Errorf("SMTP AUTH PLAIN as %v; want once as mes", sink.authed)
	}

	// The webhook answered 503 the first time: retried after the backoff.
	rc.mu.Lock()
	if rc.calls != 1 || len(rc.got) != 0 || rc.badSig != 0 {
		t.Fatalf("webhook before the retry: %d calls, %d accepted, %d bad signatures", rc.calls, len(rc.got), rc.badSig)
	}
	rc.mu.Unlock()
	clk.add(29 * time.Second)
	svc.Step(ctx)
	if rc.calls != 1 {
		t.Fatalf("retried before retry_backoff (30s) passed")
	}
	clk.add(time.Second)
	svc.Step(ctx)
	rc.mu.Lock()
	if len(rc.got) != 1 || rc.got[0].Kind != notify.KindExceptionOpened || rc.got[0].Line != "L1" || rc.got[0].Severity != "critical" ||
		rc.got[0].Link != "https://mes.plant.example/?exception="+x.ID || rc.badSig != 0 {
		t.Fatalf("webhook got %+v (bad signatures %d)", rc.got, rc.badSig)
	}
	rc.mu.Unlock()
	log, err := ns.ListDeliveries(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	byTarget := map[string]notify.Delivery{}
	for _, d := range log {
		byTarget[d.Target.To] = d
	}
	if d := byTarget["ops"]; d.Status != notify.StatusSent || d.Attempts != 2 || len(d.Log) != 2 || d.Log[0].OK || !strings.Contains(d.Log[0].Detail, "503") || !d.Log[1].OK {
		t.Errorf("webhook delivery log = %+v", d)
	}
	if d := byTarget["l1-leads@plant.example"]; d.Status != notify.StatusSent || d.Attempts != 1 || len(d.Log) != 1 {
		t.Errorf("mail delivery log = %+v", d)
	}

	// Still open 15 minutes after it opened: escalated to managers (and
	// admins), once, and mailed to the plant manager's route.
	clk.add(15 * time.Minute)
	svc.Step(ctx)
	svc.Step(ctx)
	p, _ := ns.ListNotifications(ctx, notify.Filter{User: "boss"})
	if p.Unread != 1 || p.Items[0].Kind != notify.KindExceptionEscalated || !strings.Contains(p.Items[0].Title, "unacknowledged for 15 min") {
		t.Fatalf("manager's notifications after 15 min = %+v", p)
	}
	if msgs := sink.messages(); len(msgs) != 2 || msgs[1].to[0] != "plant-manager@plant.example" {
		t.Errorf("escalation mail: %+v", msgs)
	}

	// Read one, then all, both audited; another user's id is not found.
	n, err := ns.MarkRead(ctx, "super", page.Items[0].ID, domain.Actor{Name: "super", Role: domain.RoleSupervisor})
	if err != nil || n.ReadAt == nil {
		t.Fatalf("MarkRead: %+v, %v", n, err)
	}
	if _, err := ns.MarkRead(ctx, "boss", page.Items[0].ID, domain.Actor{Name: "boss", Role: domain.RoleManager}); err == nil {
		t.Error("boss marked super's notification read")
	}
	if p, _ := ns.ListNotifications(ctx, notify.Filter{User: "super"}); p.Unread != 0 {
		t.Errorf("unread after reading = %d", p.Unread)
	}
	if k, err := ns.MarkAllRead(ctx, "boss", domain.Actor{Name: "boss", Role: domain.RoleManager}); err != nil || k != 1 {
		t.Errorf("MarkAllRead = %d, %v", k, err)
	}
	audit, err := st.ListAudit(ctx, domain.AuditFilter{Entity: "notification"})
	if err != nil || len(audit) != 2 {
		t.Errorf("audit of notifications = %+v, %v; want read and read_all", audit, err)
	}
}

func TestSMTPStartTLSRequiredIsNotSentInClear(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, store.DriverSQLite)
	sink := newSMTPSink(t)
	cfg := notify.DefaultConfig()
	cfg.SMTP = notify.SMTPConfig{Host: "127.0.0.1", Port: sink.port(), From: "mes@plant.example", StartTLS: "required", Timeout: 5 * time.Second}
	cfg.MaxAttempts = 1
	cfg.Routes = []notify.Route{{Email: []string{"a@plant.example"}}}
	ns := notifications.New(st.Handle())
	svc, err := notify.New(notify.Options{Config: cfg, Store: ns})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Notify(ctx, notify.Notice{Kind: notify.KindReportReady, Title: "daily report 2026-03-02"}); err != nil {
		t.Fatal(err)
	}
	svc.Step(ctx)
	if len(sink.messages()) != 0 {
		t.Fatal("sent without STARTTLS although starttls is required")
	}
	log, _ := ns.ListDeliveries(ctx, 10)
	if len(log) != 1 || log[0].Status != notify.StatusFailed || !strings.Contains(log[0].LastErr, "offers no STARTTLS") {
		t.Errorf("delivery = %+v; want failed naming STARTTLS", log)
	}
}

func TestNotifyConfigErrorsNameTheKey(t *testing.T) {
	cfg := notify.DefaultConfig()
	cfg.SMTP.From = "x"
	cfg.Webhooks = []notify.WebhookConfig{{Name: "ops", URL: "ftp://x", Secret: "short"}}
	cfg.Routes = []notify.Route{{Kinds: []string{"Bad Kind"}, Roles: []domain.Role{"boss"}, Email: []string{"a@b.c"}, Webhooks: []string{"nope"}, MinSeverity: "loud"}}
	err := cfg.Validate()
	for _, want := range []string{"notify.webhooks[0].url", "notify.webhooks[0].secret", "notify.routes[0].kinds[0]", "notify.routes[0].roles[0]",
		"notify.routes[0].email[0]: needs notify.smtp.host", "notify.routes[0].webhooks[0]", "notify.routes[0].min_severity"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v; want it to name %s", err, want)
		}
	}
}

func header(msg, name string) string {
	for _, l := range strings.Split(msg, "\r\n") {
		if strings.HasPrefix(l, name+": ") {
			return strings.TrimPrefix(l, name+": ")
		}
	}
	return ""
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}
