package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The README's walk-through is a shell block between these markers:
// curl commands, each followed by "# → text" lines that must be part of
// what it prints, and "sleep N" lines.
const (
	walkBegin = "<!-- walkthrough -->"
	walkEnd   = "<!-- /walkthrough -->"
	demoAddr  = "http://127.0.0.1:8480" // make run's central
)

type walkStep struct {
	line   int      // in README.md
	cmd    string   // as written
	sleep  int      // seconds, for a sleep line
	expect []string // what it must print
}

func readmeWalkThrough(t *testing.T, doc string) []walkStep {
	t.Helper()
	_, rest, ok1 := strings.Cut(doc, walkBegin)
	block, _, ok2 := strings.Cut(rest, walkEnd)
	if !ok1 || !ok2 {
		t.Fatalf("README.md lacks the walk-through markers %s … %s", walkBegin, walkEnd)
	}
	first := strings.Count(doc[:strings.Index(doc, walkBegin)], "\n") + 1
	var steps []walkStep
	for i, l := range strings.Split(block, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "# → "):
			if len(steps) == 0 || steps[len(steps)-1].sleep > 0 {
				t.Fatalf("README.md:%d: an expectation without a command before it", first+i)
			}
			steps[len(steps)-1].expect = append(steps[len(steps)-1].expect, strings.TrimPrefix(l, "# → "))
		case strings.HasPrefix(l, "curl "):
			steps = append(steps, walkStep{line: first + i, cmd: l})
		case strings.HasPrefix(l, "sleep "):
			n, err := strconv.Atoi(strings.TrimPrefix(l, "sleep "))
			if err != nil {
				t.Fatalf("README.md:%d: %q", first+i, l)
			}
			steps = append(steps, walkStep{line: first + i, cmd: l, sleep: n})
		case l == "", strings.HasPrefix(l, "#"), strings.HasPrefix(l, "```"):
		default:
			t.Fatalf("README.md:%d: the walk-through has a line this test cannot run: %q", first+i, l)
		}
	}
	return steps
}

// shellWords splits a command line as sh does for plain words and
// single-quoted strings (all the walk-through uses).
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	var cur strings.Builder
	in, quoted := false, false
	for _, r := range s {
		switch {
		case quoted && r == '\'':
			quoted = false
		case quoted:
			cur.WriteRune(r)
		case r == '\'':
			quoted, in = true, true
		case r == ' ' || r == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		case strings.ContainsRune(`"\$|;&<>`+"`", r):
			t.Fatalf("%q: unquoted %q is more shell than this test runs", s, r)
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quoted {
		t.Fatalf("%q: unterminated quote", s)
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// curl does what the curl command line does against base instead of
// make run's address, with cookie files kept in jars.
func curl(t *testing.T, base, cmd string, jars map[string]http.CookieJar) string {
	t.Helper()
	w := shellWords(t, cmd)
	method, target, body := "", "", ""
	var headers [][2]string
	var load, save string
	for i := 1; i < len(w); i++ {
		arg := func() string {
			if i+1 >= len(w) {
				t.Fatalf("%q: %s wants a value", cmd, w[i])
			}
			i++
			return w[i]
		}
		switch a := w[i]; {
		case a == "-s":
		case a == "-c":
			save = arg()
		case a == "-b":
			load = arg()
		case a == "-H":
			k, v, ok := strings.Cut(arg(), ":")
			if !ok {
				t.Fatalf("%q: header without a colon", cmd)
			}
			headers = append(headers, [2]string{strings.TrimSpace(k), strings.ReplaceAll(strings.TrimSpace(v), demoAddr, base)})
		case a == "-d":
			body = arg()
		case a == "-X":
			method = arg()
		case strings.HasPrefix(a, "-X"):
			method = strings.TrimPrefix(a, "-X")
		case strings.HasPrefix(a, demoAddr+"/"):
			target = base + strings.TrimPrefix(a, demoAddr)
		default:
			t.Fatalf("%q: this test does not run %q (and central is at %s)", cmd, a, demoAddr)
		}
	}
	if target == "" {
		t.Fatalf("%q: no URL of central", cmd)
	}
	if method == "" {
		method = http.MethodGet
		if body != "" {
			method = http.MethodPost // as curl -d does
		}
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		req.Header.Add(h[0], h[1])
	}
	jar := func(name string) http.CookieJar {
		if jars[name] == nil {
			j, _ := cookiejar.New(nil)
			jars[name] = j
		}
		return jars[name]
	}
	if load != "" {
		for _, c := range jar(load).Cookies(req.URL) {
			req.AddCookie(c)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if save != "" {
		jar(save).SetCookies(req.URL, res.Cookies())
	}
	return string(out)
}

// TestREADMEWalkThrough runs the README's walk-through as written against
// a central started from configs/central.yaml — the demo plant of make run
// — on free ports. One thing is not as written: instead of sleeping, the
// test asks again until the answer comes, with exceptions.down_grace cut
// to 1s; it checks that the README's sleep is longer than the configured
// grace, and that the simulator's demo breakdown outlasts it too. It also
// checks that every relative link of README.md and central/README.md
// names a file of the repository.
func TestREADMEWalkThrough(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	steps := readmeWalkThrough(t, doc)
	if len(steps) < 10 {
		t.Fatalf("the walk-through has only %d steps; is the parser broken?", len(steps))
	}
	cfg, err := LoadConfig("../../configs/central.yaml")
	if err != nil {
		t.Fatal(err)
	}
	grace := cfg.Exceptions.DownGrace
	if grace <= 0 {
		t.Fatalf("configs/central.yaml's down_grace is %v", grace)
	}
	for _, m := range regexp.MustCompile(`breakdown\?seconds=(\d+)`).FindAllStringSubmatch(doc, -1) {
		if n, _ := strconv.Atoi(m[1]); time.Duration(n)*time.Second <= grace {
			t.Errorf("README.md's demo breakdown of %ss does not outlast exceptions.down_grace (%v): no machine_down would show", m[1], grace)
		}
	}
	checkLinks(t, "../../README.md", doc)
	if b, err := os.ReadFile("../README.md"); err != nil {
		t.Fatal(err)
	} else {
		checkLinks(t, "../README.md", string(b))
	}

	cfg.HTTP, cfg.DataDir, cfg.MQTT.Embedded.Listen = "127.0.0.1:0", t.TempDir(), "127.0.0.1:0"
	cfg.Exceptions.DownGrace = time.Second
	a, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	})
	base := "http://" + a.HTTPAddr()
	jars := map[string]http.CookieJar{}
	afterSleep := false
	for _, s := range steps {
		if s.sleep > 0 {
			if time.Duration(s.sleep)*time.Second <= grace {
				t.Errorf("README.md:%d: sleep %d is not longer than exceptions.down_grace (%v)", s.line, s.sleep, grace)
			}
			afterSleep = true
			continue
		}
		missing := func(out string) []string {
			var m []string
			for _, e := range s.expect {
				if !strings.Contains(out, e) {
					m = append(m, e)
				}
			}
			return m
		}
		out := curl(t, base, s.cmd, jars)
		// After a sleep, ask again (GETs only) until the rule has run.
		for deadline := time.Now().Add(15 * time.Second); afterSleep && len(missing(out)) > 0 && time.Now().Before(deadline) &&
			!strings.Contains(s.cmd, " -d "); time.Sleep(200 * time.Millisecond) {
			out = curl(t, base, s.cmd, jars)
		}
		afterSleep = false
		if m := missing(out); len(m) > 0 {
			t.Errorf("README.md:%d: %s\nprinted %s\nwhich lacks %q", s.line, s.cmd, out, m)
		}
	}
}

// checkLinks fails for a relative markdown link that names no file of the
// repository (or one outside it).
func checkLinks(t *testing.T, path, doc string) {
	t.Helper()
	repo, _ := filepath.Abs("../..")
	dir := filepath.Dir(path)
	for _, m := range regexp.MustCompile(`\]\(([^)\s]+)\)`).FindAllStringSubmatch(doc, -1) {
		link := m[1]
		if strings.HasPrefix(link, "#") || strings.Contains(link, "://") || strings.HasPrefix(link, "mailto:") {
			continue
		}
		file, _, _ := strings.Cut(link, "#")
		if u, err := url.PathUnescape(file); err == nil {
			file = u
		}
		abs, _ := filepath.Abs(filepath.Join(dir, file))
		if !strings.HasPrefix(abs, repo+string(filepath.Separator)) && abs != repo {
			t.Errorf("%s links %s, outside the repository", path, link)
			continue
		}
		if _, err := os.Stat(abs); err != nil {
			t.Errorf("%s links %s, which does not exist", path, link)
		}
	}
}
