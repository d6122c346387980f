package httpapi

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/i18n"
)

// Where a page or Go code names a catalogue key.
var (
	keyAttr = regexp.MustCompile(`data-i18n(?:-[a-z-]+)?="([^"]+)"`)
	keyCall = regexp.MustCompile(`\bt\(\s*"([^"]+)"\s*[,)]`)
	goCall  = regexp.MustCompile(`i18n\.T\(\s*[^,()]+,\s*"([^"]+)"`)
)

// TestUsedKeysExist fails when a key that a page uses (a data-i18n
// attribute, a t("…") call, or any string literal in a catalogue namespace
// such as "nav.planner" in session.js's PAGES) or that Go code looks up
// (i18n.T(lang, "…")) is missing from either catalogue. Keys made at run
// time (role., state., exc.kind.) are checked against their lists below.
func TestUsedKeysExist(t *testing.T) {
	spaces := map[string]bool{}
	for _, k := range i18n.Keys(i18n.Default) {
		spaces[strings.SplitN(k, ".", 2)[0]] = true
	}
	literal := regexp.MustCompile(`"([a-z][a-z_]*\.[A-Za-z0-9_.-]*[A-Za-z0-9_])"`)
	used := map[string][]string{} // key -> where
	add := func(key, where string) { used[key] = append(used[key], where) }
	pages, err := filepath.Glob("web/*")
	if err != nil || len(pages) == 0 {
		t.Fatalf("no pages: %v", err)
	}
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range []*regexp.Regexp{keyAttr, keyCall} {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				add(m[1], p)
			}
		}
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			if spaces[strings.SplitN(m[1], ".", 2)[0]] && !strings.HasSuffix(m[1], ".js") && !strings.HasSuffix(m[1], ".json") {
				add(m[1], p)
			}
		}
	}
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range goCall.FindAllStringSubmatch(string(b), -1) {
			add(m[1], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range domain.Roles() {
		add("role."+string(r), "domain.Roles")
	}
	for _, s := range []string{"running", "idle", "down", "setup", "planned_stop", "no_data"} {
		add("state."+s, "line states")
	}
	for _, l := range i18n.Languages {
		add("lang."+l, "i18n.Languages")
	}
	if len(used) < 50 {
		t.Fatalf("only %d keys found in use; is the scan broken?", len(used))
	}
	for key, where := range used {
		for _, lang := range i18n.Languages {
			if !i18n.Has(lang, key) {
				t.Errorf("key %q (used in %s) is missing from the %s catalogue", key, strings.Join(slices.Compact(where), ", "), lang)
			}
		}
	}
}

// TestLanguageChoice: a browser's Accept-Language picks the page language
// and the problem titles before sign-in; a user's stored choice (POST
// /api/v1/me/lang, audited) wins over it afterwards; ?lang= works for a
// signed-out browser and sticks in a cookie; bad input names the field.
func TestLanguageChoice(t *testing.T) { onBothStores(t, testLanguageChoice) }

func testLanguageChoice(t *testing.T, e *env) {
	htmlLang := func(body []byte) string {
		m := regexp.MustCompile(`<html lang="([^"]+)"`).FindSubmatch(body)
		if m == nil {
			t.Fatalf("no <html lang>: %.200s", body)
		}
		return string(m[1])
	}
	res, body := e.do(nil, "GET", "/login", nil, "Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5")
	if res.StatusCode != 200 || htmlLang(body) != "zh-CN" {
		t.Fatalf("login with Accept-Language zh-CN: %d lang %q", res.StatusCode, htmlLang(body))
	}
	if _, body := e.do(nil, "GET", "/login", nil, "Accept-Language", "fr"); htmlLang(body) != "en" {
		t.Errorf("French browser: %q, want en", htmlLang(body))
	}
	// A 401 for a Chinese browser has a Chinese title.
	res, body = e.do(nil, "GET", "/api/v1/orders", nil, "Accept-Language", "zh-CN")
	if p := e.problem(res, body, 401, ""); p.Title != "未登录" {
		t.Errorf("401 title in zh-CN: %q", p.Title)
	}
	res, body = e.do(nil, "GET", "/api/v1/orders", nil)
	if p := e.problem(res, body, 401, ""); p.Title != "Unauthorized" {
		t.Errorf("401 title in en: %q", p.Title)
	}

	// ?lang= on a signed-out page sticks in a cookie.
	kiosk := e.client()
	if _, body := e.do(kiosk, "GET", "/login?lang=zh-CN", nil); htmlLang(body) != "zh-CN" {
		t.Errorf("?lang=zh-CN: %q", htmlLang(body))
	}
	if _, body := e.do(kiosk, "GET", "/login", nil, "Accept-Language", "en"); htmlLang(body) != "zh-CN" {
		t.Errorf("after ?lang=zh-CN the next page: %q", htmlLang(body))
	}

	// The catalogues.
	res, body = e.do(nil, "GET", "/i18n/zh-CN.json", nil)
	var doc catalogueDoc
	if res.StatusCode != 200 || json.Unmarshal(body, &doc) != nil || doc.Messages["nav.planner"] != "生产计划" || doc.Timezone == "" {
		t.Fatalf("zh-CN catalogue: %d %.300s", res.StatusCode, body)
	}
	res, body = e.do(nil, "GET", "/i18n/fr.json", nil)
	e.problem(res, body, 404, "lang")

	// A user's choice.
	planner := e.as[domain.RolePlanner]
	res, body = e.do(planner, "POST", "/api/v1/me/lang", map[string]string{"lang": "klingon"})
	e.problem(res, body, 400, "lang")
	res, body = e.do(planner, "POST", "/api/v1/me/lang", map[string]any{})
	e.problem(res, body, 400, "lang")
	res, body = e.do(planner, "POST", "/api/v1/me/lang", map[string]string{"lang": "zh-cn"})
	if res.StatusCode != 200 || !strings.Contains(string(body), `"lang":"zh-CN"`) {
		t.Fatalf("set lang: %d %s", res.StatusCode, body)
	}
	if _, body := e.do(planner, "GET", "/api/v1/me", nil); !strings.Contains(string(body), `"lang":"zh-CN"`) {
		t.Errorf("me after setting zh-CN: %s", body)
	}
	if _, body := e.do(planner, "GET", "/audit", nil, "Accept-Language", "en-US"); htmlLang(body) != "zh-CN" {
		t.Errorf("the stored choice wins over Accept-Language: %q", htmlLang(body))
	}
	res, body = e.do(planner, "GET", "/api/v1/orders/NOPE", nil, "Accept-Language", "en")
	if p := e.problem(res, body, 404, ""); p.Title != "未找到" {
		t.Errorf("404 for a zh-CN user: %q", p.Title)
	}
	entries, err := e.st.ListAudit(context.Background(), domain.AuditFilter{Entity: "user", EntityID: "planner"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(entries, func(a domain.AuditEntry) bool {
		return a.Action == "set_lang" && a.Actor == "planner" && strings.Contains(string(a.After), "zh-CN")
	}) {
		t.Errorf("no set_lang audit entry: %+v", entries)
	}
	// An operator signed in by badge at a station may switch too.
	op := e.badgeAt("ST-L1", "B-1001")
	if res, body := e.do(op, "POST", "/api/v1/me/lang", map[string]string{"lang": "zh-CN"}); res.StatusCode != 200 {
		t.Errorf("badge session switch: %d %s", res.StatusCode, body)
	}
	// "" follows the browser again.
	if res, body := e.do(planner, "POST", "/api/v1/me/lang", map[string]string{"lang": ""}); res.StatusCode != 200 {
		t.Fatalf("clear lang: %d %s", res.StatusCode, body)
	}
	if _, body := e.do(planner, "GET", "/audit", nil, "Accept-Language", "en-US"); htmlLang(body) != "en" {
		t.Errorf("cleared choice follows the browser: %q", htmlLang(body))
	}
}
