package i18n

import (
	"slices"
	"strings"
	"testing"
)

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	en := Keys(English)
	if len(en) == 0 {
		t.Fatal("the English catalogue is empty")
	}
	for _, lang := range Languages[1:] {
		other := Keys(lang)
		for _, k := range en {
			if !slices.Contains(other, k) {
				t.Errorf("%s is missing key %q (it is in en)", lang, k)
			}
		}
		for _, k := range other {
			if !slices.Contains(en, k) {
				t.Errorf("en is missing key %q (it is in %s)", k, lang)
			}
		}
	}
}

// Every message names the same variables in every language, and has text.
func TestCataloguesUseTheSameVariables(t *testing.T) {
	vars := func(s string) []string {
		var out []string
		for {
			i := strings.Index(s, "{")
			if i < 0 {
				break
			}
			j := strings.Index(s[i:], "}")
			if j < 0 {
				break
			}
			out = append(out, s[i:i+j+1])
			s = s[i+j+1:]
		}
		slices.Sort(out)
		return out
	}
	for _, k := range Keys(English) {
		for _, lang := range Languages {
			if strings.TrimSpace(Messages(lang)[k]) == "" {
				t.Errorf("%s: %q is empty", lang, k)
			}
			if got, want := vars(Messages(lang)[k]), vars(Messages(English)[k]); !slices.Equal(got, want) {
				t.Errorf("%s: %q uses %v, en uses %v", lang, k, got, want)
			}
		}
	}
}

func TestNegotiate(t *testing.T) {
	for _, c := range []struct {
		accept  string
		choices []string
		want    string
	}{
		{"", nil, "en"},
		{"zh-CN,zh;q=0.9,en;q=0.8", nil, "zh-CN"},
		{"zh", nil, "zh-CN"},
		{"zh-TW", nil, "zh-CN"},
		{"fr-FR,fr;q=0.9", nil, "en"},
		{"fr-FR,zh;q=0.5", nil, "zh-CN"},
		{"en-GB", nil, "en"},
		{"zh-CN", []string{"en"}, "en"},        // the user's choice wins over the browser
		{"en", []string{"", "zh-cn"}, "zh-CN"}, // an empty choice is skipped
		{"en", []string{"klingon"}, "en"},
		{"garbage;;q=x", nil, "en"},
	} {
		if got := Negotiate(c.accept, c.choices...); got != c.want {
			t.Errorf("Negotiate(%q, %q) = %q, want %q", c.accept, c.choices, got, c.want)
		}
	}
}

func TestT(t *testing.T) {
	if got := T(Chinese, "dash.of_order", "pct", "12.5 %"); got != "订单完成 12.5 %" {
		t.Errorf("zh-CN: %q", got)
	}
	if got := T(English, "oee.no_data", "n", 12345); got != "no data 12,345 min" {
		t.Errorf("en number grouping: %q", got)
	}
	if got := T(Chinese, "no.such.key"); got != "no.such.key" {
		t.Errorf("a missing key shows as itself: %q", got)
	}
	if got := T("de", "nav.planner"); got != "Planner" {
		t.Errorf("an unknown language falls back to English: %q", got)
	}
}
