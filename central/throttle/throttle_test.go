package throttle

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newLimiter(cfg Config) (*Limiter, *clock) {
	c := &clock{t: time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)}
	return New(cfg, c.now), c
}

func TestLockoutAfterMaxFailuresAndExpiry(t *testing.T) {
	l, c := newLimiter(Config{MaxFailures: 3, IPMaxFailures: 10, Window: 15 * time.Minute})
	alice, ip := User("alice"), IP("10.0.0.7")
	for i := 1; i <= 2; i++ {
		if lo := l.Fail(alice, ip); len(lo) != 0 {
			t.Fatalf("failure %d locked out: %+v", i, lo)
		}
		c.advance(time.Minute)
	}
	if _, _, b := l.Blocked(alice, ip); b {
		t.Fatal("blocked before the limit")
	}
	lo := l.Fail(alice, ip)
	if len(lo) != 1 || lo[0].Key != alice || lo[0].Failures != 3 || !lo[0].Until.Equal(c.t.Add(15*time.Minute)) {
		t.Fatalf("third failure: %+v, want alice locked out for 15m", lo)
	}
	retry, key, blocked := l.Blocked(ip, alice)
	if !blocked || key != alice || retry != 15*time.Minute {
		t.Fatalf("Blocked = %v %v %v", retry, key, blocked)
	}
	if _, _, b := l.Blocked(User("bob"), IP("10.0.0.8")); b {
		t.Error("another user and address are blocked too")
	}
	// Failures while locked out neither extend nor restart it.
	c.advance(10 * time.Minute)
	if lo := l.Fail(alice); len(lo) != 0 {
		t.Errorf("locked out again while locked out: %+v", lo)
	}
	if retry, _, _ := l.Blocked(alice); retry != 5*time.Minute {
		t.Errorf("retry after 10m = %v, want 5m", retry)
	}
	c.advance(5 * time.Minute)
	if _, _, b := l.Blocked(alice); b {
		t.Error("still blocked once the window passed")
	}
	// The count starts again from nothing.
	if lo := l.Fail(alice); len(lo) != 0 {
		t.Errorf("first failure after a lockout locked out: %+v", lo)
	}
}

func TestFailuresOutsideTheWindowDoNotCount(t *testing.T) {
	l, c := newLimiter(Config{MaxFailures: 3, Window: 10 * time.Minute})
	k := User("alice")
	l.Fail(k)
	c.advance(6 * time.Minute)
	l.Fail(k)
	c.advance(5 * time.Minute) // the first is now 11 minutes old
	if lo := l.Fail(k); len(lo) != 0 {
		t.Fatalf("a failure older than the window counted: %+v", lo)
	}
	if lo := l.Fail(k); len(lo) != 1 {
		t.Fatalf("three failures within the window did not lock out: %+v", lo)
	}
}

func TestSuccessResetsOnlyThatKey(t *testing.T) {
	l, _ := newLimiter(Config{MaxFailures: 2, IPMaxFailures: 3, Window: time.Minute})
	alice, ip := User("alice"), IP("10.0.0.7")
	l.Fail(alice, ip)
	l.Succeed(alice)
	if lo := l.Fail(alice, ip); len(lo) != 0 {
		t.Fatalf("the username counter survived a success: %+v", lo)
	}
	// The address still remembers both failures: the third locks it.
	lo := l.Fail(User("bob"), ip)
	if len(lo) != 1 || lo[0].Key != ip {
		t.Fatalf("address lockout = %+v, want %v", lo, ip)
	}
	// A success does not lift a lockout in force.
	l.Fail(alice)
	l.Succeed(alice)
	if _, _, b := l.Blocked(alice); !b {
		t.Error("a success lifted a lockout")
	}
}

func TestDisabled(t *testing.T) {
	l, _ := newLimiter(Config{})
	for range 100 {
		if lo := l.Fail(User("alice"), IP("10.0.0.7")); len(lo) != 0 {
			t.Fatal("a disabled limiter locked out")
		}
	}
	if _, _, b := l.Blocked(User("alice")); b {
		t.Fatal("a disabled limiter blocks")
	}
	var nilL *Limiter
	if nilL.Enabled() {
		t.Fatal("nil limiter enabled")
	}
	// Only the per-address limit on.
	l, _ = newLimiter(Config{IPMaxFailures: 1, Window: time.Minute})
	if lo := l.Fail(User("alice"), IP("10.0.0.7")); len(lo) != 1 || lo[0].Key.Kind != KindIP {
		t.Fatalf("lockouts = %+v, want only the address", lo)
	}
}

func TestSweepBoundsMemory(t *testing.T) {
	l, c := newLimiter(Config{MaxFailures: 5, Window: time.Minute})
	l.Fail(User("victim"))
	for i := range maxKeys {
		l.Fail(User("guess-" + strconv.Itoa(i)))
	}
	if n := len(l.keys); n > maxKeys {
		t.Fatalf("%d keys kept, cap %d", n, maxKeys)
	}
	c.advance(2 * time.Minute)
	l.Fail(User("one-more"))
	if n := len(l.keys); n > maxKeys {
		t.Fatalf("%d keys after a sweep", n)
	}
}

func TestValidate(t *testing.T) {
	if err := DefaultConfig().Validate("sign_in"); err != nil {
		t.Fatal(err)
	}
	if err := (Config{}).Validate("sign_in"); err != nil {
		t.Fatalf("all off: %v", err)
	}
	err := Config{MaxFailures: -1, IPMaxFailures: -2, Window: 0}.Validate("sign_in")
	for _, want := range []string{"sign_in.max_failures", "sign_in.ip_max_failures"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
	err = Config{MaxFailures: 5, Window: time.Millisecond}.Validate("sign_in")
	if err == nil || !strings.Contains(err.Error(), "sign_in.window") {
		t.Errorf("short window: %v", err)
	}
}
