package httpapi_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/httpapi"
	"github.com/linewise/linewise/central/live"
	"github.com/linewise/linewise/central/store"
)

// TestDashboardOEEInChromium: a wall screen (kiosk token) showing the
// dashboard after the README's scripted shift sees on L1's tile the
// shift's OEE and its factors as worked out by hand, the shift's name and
// the no-data time; L2, with no shift and no data, says its OEE is unknown.
func TestDashboardOEEInChromium(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.DriverSQLite, store.SQLiteDSN(filepath.Join(t.TempDir(), "c.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sys := domain.Actor{Name: "test", Role: domain.RoleAdmin}
	for _, l := range []string{"L1", "L2"} {
		if err := st.SaveMaster(ctx, domain.Line{ID: l, Name: "Line " + l}, domain.SaveCreate, sys); err != nil {
			t.Fatal(err)
		}
	}
	httpapi.SeedOEEScenario(t, st)
	tok, hash, err := domain.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAPIToken(ctx, domain.APIToken{ID: "wall", Name: "wall", Kind: domain.TokenKiosk, TokenHash: hash,
		CreatedAt: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}, sys); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC) }
	api := httpapi.New(httpapi.Options{Store: st, Hub: live.New(8), Log: slog.New(slog.DiscardHandler), Now: now})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() { api.CloseStreams(); srv.Close() })

	b := newBrowser(t, 1200, 900)
	b.do("open the wall screen", chromedp.Navigate(srv.URL+"/?kiosk="+tok))
	row := func(line string) string { return `document.querySelector('.oee[data-line="` + line + `"]')` }
	b.waitFor("L1's OEE", row("L1")+` && `+row("L1")+`.querySelector("b.value") !== null`)
	if got := b.text(`.oee[data-line="L1"] b.value`); got != "76.1 %" {
		t.Errorf("L1 OEE shows %q, want 76.1 %%", got)
	}
	if got := b.text(`.oee[data-line="L1"] .f`); got != "A 85.9 % · P 90.8 % · Q 97.6 %" {
		t.Errorf("L1 factors show %q", got)
	}
	if got := b.text(`.oee[data-line="L1"] .when`); got != "shift early (ended) · no data 40 min" {
		t.Errorf("L1 period shows %q", got)
	}
	// L2 works around the clock (no shifts anywhere): the day's figures,
	// all no data, so no OEE.
	b.waitFor("L2's OEE", row("L2")+` && `+row("L2")+`.querySelector("b.value") !== null`)
	if got := b.text(`.oee[data-line="L2"] b.value`); got != "—" {
		t.Errorf("L2 OEE shows %q, want —", got)
	}
	if got := b.text(`.oee[data-line="L2"] .when`); got != "day 2026-03-02 · no data 900 min" { // midnight to 15:00
		t.Errorf("L2 period shows %q", got)
	}
}
