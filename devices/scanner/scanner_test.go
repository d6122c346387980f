package scanner

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linewise/linewise/devices"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestFramer(t *testing.T) {
	for _, tc := range []struct {
		term   string
		max    int
		chunks []string
		want   []string // "!x" is a TooLong frame starting x
	}{
		{"crlf", 32, []string{"A1\r\nB2\r\n"}, []string{"A1", "B2"}},
		{"crlf", 32, []string{"A", "1\r", "\nB", "2\r\n"}, []string{"A1", "B2"}},
		{"crlf", 32, []string{"A1\nB2\r\n"}, []string{"A1\nB2"}},
		{"lf", 32, []string{"A1\nB2\n\n"}, []string{"A1", "B2", ""}},
		{"cr", 32, []string{"A1\rB2\r"}, []string{"A1", "B2"}},
		{"0x03", 32, []string{"\x02A1\x03\x02B2\x03"}, []string{"\x02A1", "\x02B2"}},
		{"|", 32, []string{"A1|B2|"}, []string{"A1", "B2"}},
		// Longer than max inside one chunk, then across chunks: reported
		// once, dropped to the next terminator, the next frame intact.
		{"crlf", 4, []string{"ABCDEFG\r\nOK\r\n"}, []string{"!ABCD", "OK"}},
		{"crlf", 4, []string{"ABC", "DEF", "GHI", "JK\r", "\nOK\r\n"}, []string{"!ABCD", "OK"}},
		{"crlf", 4, []string{"ABCD\r", "\n"}, []string{"ABCD"}},
	} {
		term, err := TerminatorBytes(tc.term)
		if err != nil {
			t.Fatal(err)
		}
		f := Framer{Term: term, Max: tc.max}
		var got []string
		for _, c := range tc.chunks {
			for _, fr := range f.Feed([]byte(c)) {
				s := string(fr.Data)
				if fr.TooLong {
					s = "!" + s
				}
				got = append(got, s)
			}
		}
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) {
			t.Errorf("%s max %d %q: got %q, want %q", tc.term, tc.max, tc.chunks, got, tc.want)
		}
		if len(f.buf) > tc.max+len(term) {
			t.Errorf("%q: buffer holds %d bytes", tc.chunks, len(f.buf))
		}
	}
}

func TestExtract(t *testing.T) {
	re := regexp.MustCompile(`WO-([0-9]+)`)
	for _, tc := range []struct {
		frame, prefix, suffix string
		re                    *regexp.Regexp
		want, errHas          string
	}{
		{"]C1ABC123", "]C1", "", nil, "ABC123", ""},
		{"ABC123#", "", "#", nil, "ABC123", ""},
		{"  ABC  ", "", "", nil, "ABC", ""},
		{"\x02garbage WO-42 more\x03", "", "", re, "42", ""},
		{"nothing here", "", "", re, "", "no code matching"},
		{"\xff\xfe", "", "", nil, "", "not UTF-8"},
		{"", "", "", re, "", ""},
	} {
		got, err := Extract([]byte(tc.frame), tc.prefix, tc.suffix, tc.re)
		if got != tc.want || (tc.errHas == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.errHas)) {
			t.Errorf("Extract(%q) = %q, %v; want %q, %q", tc.frame, got, err, tc.want, tc.errHas)
		}
	}
}

func TestConfig(t *testing.T) {
	c := NewConfig()
	c.Terminator = "0xZZ"
	c.Pattern = "(a)(b)"
	c.MaxLength = 0
	c.Signals = []Signal{{Name: "a"}, {Name: ""}}
	err := c.Validate()
	for _, w := range []string{"address: required", "terminator:", "pattern: at most one group", "max_length", "signals: exactly one", "signals[1].name: required"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("errors lack %q: %v", w, err)
		}
	}
}

// fakeScanner is a TCP server standing in for a scanner: it sends what the
// test writes to every connected client.
type fakeScanner struct {
	t    *testing.T
	addr string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
	conn  chan net.Conn
}

func newFakeScanner(t *testing.T, addr string) *fakeScanner {
	s := &fakeScanner{t: t, addr: addr, conn: make(chan net.Conn, 4)}
	s.listen()
	t.Cleanup(s.close)
	return s
}

func (s *fakeScanner) listen() {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.conn <- c
		}
	}()
}

func (s *fakeScanner) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		s.ln.Close()
	}
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
}

func (s *fakeScanner) client() net.Conn {
	s.t.Helper()
	select {
	case c := <-s.conn:
		return c
	case <-time.After(15 * time.Second):
		s.t.Fatal("driver did not connect")
	}
	return nil
}

func send(t *testing.T, c net.Conn, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if _, err := c.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // separate TCP segments: split frames
	}
}

func next(t *testing.T, ch <-chan devices.Reading) devices.Reading {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(15 * time.Second):
		t.Fatal("no reading within 15s")
	}
	return devices.Reading{}
}

func TestAgainstTCPScanner(t *testing.T) {
	srv := newFakeScanner(t, "127.0.0.1:0")
	cfg := NewConfig()
	cfg.Address = srv.addr
	cfg.StripPrefix = "]C1"
	cfg.Pattern = `(?:WO|LOT)-[0-9A-Z]+`
	cfg.MaxLength = 24
	cfg.Signals = []Signal{{Name: "scan"}}
	d, err := New("scan1", cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan devices.Reading, 100)
	if err := d.Start(context.Background(), func(r devices.Reading) { ch <- r }); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := d.Stop(ctx); err != nil {
			t.Error(err)
		}
	}()
	c := srv.client()
	good := func(want string) {
		t.Helper()
		r := next(t, ch)
		if r.Signal != "scan" || r.Quality != devices.Good || r.Value != want {
			t.Fatalf("got %+v, want code %q", r, want)
		}
	}
	send(t, c, "]C1WO-1001\r\n")
	good("WO-1001")
	send(t, c, "\x02 noise; LOT-7A ;noise\r\n") // noise around the code
	good("LOT-7A")
	send(t, c, "WO-", "20", "02\r", "\nWO-3003\r\n\r\n") // split frames; an empty line is ignored
	good("WO-2002")
	good("WO-3003")
	send(t, c, "no code at all\r\n")
	if r := next(t, ch); r.Quality != devices.Bad || !strings.Contains(r.Err.Error(), "no code matching") || !strings.Contains(r.Err.Error(), "scan1") {
		t.Fatalf("noise only: %+v", r)
	}
	// Longer than max_length: one Bad reading, then the stream resyncs at
	// the next terminator and the following code is intact.
	send(t, c, "WO-"+strings.Repeat("9", 40), strings.Repeat("x", 40)+"\r\n]C1WO-4004\r\n")
	if r := next(t, ch); r.Quality != devices.Bad || !strings.Contains(r.Err.Error(), "longer than max_length 24") {
		t.Fatalf("long frame: %+v", r)
	}
	good("WO-4004")

	// Scanner restart: Bad once, then reconnect to the same address.
	srv.close()
	if r := next(t, ch); r.Quality != devices.Bad || r.Err == nil {
		t.Fatalf("after server close: %+v", r)
	}
	srv.listen()
	c = srv.client()
	send(t, c, "WO-5005\r\n")
	good("WO-5005")
}

// Stop returns promptly even while the driver is dialling an address that
// never answers.
func TestStopWhileDialling(t *testing.T) {
	cfg := NewConfig()
	cfg.Address = "10.255.255.1:9" // unroutable: the dial hangs until its timeout
	cfg.DialTimeout = 30 * time.Second
	cfg.Signals = []Signal{{Name: "scan"}}
	d, _ := New("scan2", cfg, quiet)
	_ = d.Start(context.Background(), func(devices.Reading) {})
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	if err := d.Stop(ctx); err != nil || time.Since(start) > time.Second {
		t.Fatalf("stop took %v: %v", time.Since(start), err)
	}
}
