package httpapi_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// saveScreenshot writes the browser's viewport to
// testdata/screenshots/<name>.png when LINEWISE_SCREENSHOTS=1 (the README
// shows them); otherwise it does nothing, so the tests stay fast. Name the
// picture page-lang, e.g. "dashboard-zh-CN".
//
//	LINEWISE_SCREENSHOTS=1 go test -count=1 -run 'InChromium' ./central/httpapi/
func saveScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("LINEWISE_SCREENSHOTS") != "1" {
		return
	}
	if !regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`).MatchString(name) {
		t.Fatalf("screenshot name %q: letters, digits, '.', '_' and '-' only", name)
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("testdata", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
}

// acceptLanguage makes the browser send Accept-Language: lang from now on,
// as a browser set to that language would.
func (b *browser) acceptLanguage(lang string) {
	b.t.Helper()
	b.do("Accept-Language "+lang, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang}})
		return err
	}))
}
