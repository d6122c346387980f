package notify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http/httptest"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/notify"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/notifications"
)

// TestEnclosureRidesMailAndWebhook: what Options.Enclose gives a notice
// (a report's summary, its JSON and a binary workbook) arrives in the
// e-mail as text after the notice's and as attachments that decode to the
// same bytes, and in the signed webhook as enclosed_text and files (the
// JSON inline, the workbook base64). An enclosure that cannot be read
// fails the attempt, which is retried, and sends nothing.
func TestEnclosureRidesMailAndWebhook(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, store.DriverSQLite)
	if err := st.CreateUser(ctx, domain.User{Username: "boss", Role: domain.RoleManager}, domain.Actor{Name: "test", Role: domain.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	sink := newSMTPSink(t)
	rc := &receiver{secret: []byte("a-webhook-secret-of-32-bytes!!!!")}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	cfg := notify.DefaultConfig()
	cfg.SMTP = notify.SMTPConfig{Host: "127.0.0.1", Port: sink.port(), From: "linewise <mes@plant.example>", StartTLS: "off", Timeout: 5 * time.Second}
	cfg.Webhooks = []notify.WebhookConfig{{Name: "bi", URL: hook.URL, Secret: string(rc.secret)}}
	cfg.Routes = []notify.Route{{Kinds: []string{notify.KindReportReady}, Email: []string{"plant-manager@plant.example"}, Webhooks: []string{"bi"}}}
	workbook := []byte("PK\x03\x04 not really a workbook \x00\xff\xfe")
	broken := true
	enclose := func(_ context.Context, n notify.Notice) (notify.Enclosure, error) {
		if n.Vars["date"] != "2026-03-02" {
			return notify.Enclosure{}, nil
		}
		if broken {
			return notify.Enclosure{}, errors.New("stored report not readable")
		}
		return notify.Enclosure{Text: "Plant: good 780, scrap 19", Files: []notify.File{
			{Name: "report-day-2026-03-02-r1.json", ContentType: "application/json", Data: []byte(`{"plant":{"good":780}}`)},
			{Name: "report-day-2026-03-02-r1.xlsx", ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Data: workbook}}}, nil
	}
	clk := &clock{t: time.Date(2026, 3, 3, 0, 5, 0, 0, time.UTC)}
	svc, err := notify.New(notify.Options{Config: cfg, Store: notifications.New(st.Handle()), Now: clk.now, Enclose: enclose})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Notify(ctx, notify.Notice{Key: "report:day:2026-03-02::1", Kind: notify.KindReportReady, Title: "daily report 2026-03-02 is ready",
		Vars: map[string]string{"date": "2026-03-02"}, Roles: []domain.Role{domain.RoleManager}}); err != nil {
		t.Fatal(err)
	}
	svc.Step(ctx)
	if n := len(sink.messages()); n != 0 || rc.calls != 0 {
		t.Fatalf("sent without its enclosure: %d mails, %d webhook calls", n, rc.calls)
	}
	broken = false
	clk.add(31 * time.Second)
	svc.Step(ctx)

	msgs := sink.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d mails after the retry", len(msgs))
	}
	m, err := mail.ReadMessage(strings.NewReader(msgs[0].data))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q: %v", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	var text string
	files := map[string][]byte{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(p)
		// multipart.Reader decodes the quoted-printable text part itself.
		if p.Header.Get("Content-Transfer-Encoding") == "base64" {
			dec, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw), "\r\n", ""))
			if err != nil {
				t.Fatal(err)
			}
			files[p.FileName()] = dec
		} else {
			text = string(raw)
		}
	}
	if !strings.Contains(text, "daily report 2026-03-02 is ready") || !strings.Contains(text, "Plant: good 780, scrap 19") {
		t.Errorf("mail text %q", text)
	}
	if string(files["report-day-2026-03-02-r1.json"]) != `{"plant":{"good":780}}` || !bytes.Equal(files["report-day-2026-03-02-r1.xlsx"], workbook) {
		t.Errorf("attachments %q", files)
	}

	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.got) != 1 || rc.badSig != 0 {
		t.Fatalf("webhook got %d bodies, %d bad signatures", len(rc.got), rc.badSig)
	}
	b := rc.got[0]
	if b.EnclosedText != "Plant: good 780, scrap 19" || len(b.Files) != 2 || string(b.Files[0].Content) != `{"plant":{"good":780}}` || b.Files[0].Base64 != "" {
		t.Fatalf("webhook body %+v", b)
	}
	if dec, err := base64.StdEncoding.DecodeString(b.Files[1].Base64); err != nil || !bytes.Equal(dec, workbook) || b.Files[1].Content != nil {
		t.Errorf("webhook workbook %q: %v", dec, err)
	}
}
