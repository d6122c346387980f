// Package i18n holds linewise's message catalogues (en and zh-CN, in
// catalog/*.json) and picks a language for a request: the user's stored
// choice, else the browser's Accept-Language, else English. Pages fetch the
// same catalogues as JSON (/i18n/{lang}.json) and translate with
// /assets/i18n.js, so a key means the same text on both sides.
//
// A message is plain text with named variables in braces ("{n} pieces").
// Keys are dotted ("nav.planner"); the catalogues must hold the same keys
// (TestCataloguesHaveTheSameKeys), and every key a page or Go code uses must
// be in both (TestUsedKeysExist in httpapi). It must never fall back
// silently in tests: a missing key shows as the key itself.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// The languages linewise speaks; Default is the one a browser gets when it
// asks for none of them.
const (
	English = "en"
	Chinese = "zh-CN"
	Default = English
)

// Languages lists the supported languages, Default first.
var Languages = []string{English, Chinese}

var tags = []language.Tag{language.English, language.SimplifiedChinese}

//go:embed catalog/*.json
var files embed.FS

var catalogues = load()

func load() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, lang := range Languages {
		b, err := files.ReadFile("catalog/" + lang + ".json")
		if err != nil {
			panic("i18n: catalogue " + lang + ": " + err.Error())
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic("i18n: catalogue " + lang + ": " + err.Error()) // embedded: a test catches it first
		}
		out[lang] = m
	}
	return out
}

// Messages is the catalogue of a supported language (nil otherwise); the
// caller must not change it.
func Messages(lang string) map[string]string { return catalogues[lang] }

// Keys lists a language's keys, sorted.
func Keys(lang string) []string {
	ks := make([]string, 0, len(catalogues[lang]))
	for k := range catalogues[lang] {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Has reports whether key is in lang's catalogue.
func Has(lang, key string) bool { _, ok := catalogues[lang][key]; return ok }

// Supported returns the supported language that s names by its base
// language ("zh", "zh-cn", "zh-Hans-CN" and "en-GB" all count; a reader of
// Traditional Chinese gets Simplified rather than English), and whether
// there is one.
func Supported(s string) (string, bool) {
	t, err := language.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", false
	}
	base, conf := t.Base()
	if conf == language.No {
		return "", false
	}
	for i, tag := range tags {
		if b, _ := tag.Base(); b == base {
			return Languages[i], true
		}
	}
	return "", false
}

// Negotiate picks the language for a request: the first of choices that is
// supported (the ?lang= parameter, the user's stored choice, a cookie, in
// the caller's order), else the best match of the Accept-Language header,
// else Default.
func Negotiate(acceptLanguage string, choices ...string) string {
	for _, c := range choices {
		if l, ok := Supported(c); ok {
			return l
		}
	}
	prefs, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(prefs) == 0 {
		return Default
	}
	for _, p := range prefs {
		if l, ok := Supported(p.String()); ok {
			return l
		}
	}
	return Default
}

// T is the message key in lang with its {name} variables filled from args,
// given as name/value pairs; numbers are formatted for the language. A key
// missing in lang falls back to English, then to the key itself.
func T(lang, key string, args ...any) string {
	msg, ok := catalogues[lang][key]
	if !ok {
		if msg, ok = catalogues[Default][key]; !ok {
			return key
		}
		lang = Default
	}
	if len(args) == 0 || !strings.Contains(msg, "{") {
		return msg
	}
	p := printer(lang)
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		name, _ := args[i].(string)
		pairs = append(pairs, "{"+name+"}", format(p, args[i+1]))
	}
	return strings.NewReplacer(pairs...).Replace(msg)
}

func printer(lang string) *message.Printer {
	for i, l := range Languages {
		if l == lang {
			return message.NewPrinter(tags[i])
		}
	}
	return message.NewPrinter(language.English)
}

func format(p *message.Printer, v any) string {
	switch n := v.(type) {
	case int, int32, int64, uint, uint32, uint64:
		return p.Sprint(number.Decimal(n))
	case float32, float64:
		return p.Sprint(number.Decimal(n, number.MaxFractionDigits(2)))
	default:
		return fmt.Sprint(v)
	}
}

// Number formats n for lang (grouping and decimal separators).
func Number(lang string, n any) string { return format(printer(lang), n) }

// JSON is lang's catalogue as a JSON object (keys sorted), for the pages.
func JSON(lang string) ([]byte, error) { return json.Marshal(catalogues[lang]) }
