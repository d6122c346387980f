// Package throttle limits guessing at credentials: wrong passwords at
// sign-in and at a password change, unknown codes scanned at a station
// (badge guessing). It counts failures per username and per client address
// in a sliding window and, once a key reaches its limit, refuses that key
// until the window has passed again.
//
// The counts live in memory, per process: each central replica counts on
// its own, and a restart forgets them. The package must never touch the
// network, the store or HTTP; callers audit and answer.
package throttle

import (
	"errors"
	"sync"
	"time"

	"github.com/linewise/linewise/devices/configerr"
)

// Config is the sign_in section of central's configuration.
type Config struct {
	// MaxFailures per username within Window; 0 turns the per-username limit off.
	MaxFailures int `yaml:"max_failures"`
	// IPMaxFailures per client address within Window; 0 turns it off. It is
	// higher than MaxFailures because one address may be a station PC
	// that many operators use, or a shared NAT.
	IPMaxFailures int `yaml:"ip_max_failures"`
	// Window is how far back failures count and how long a lockout lasts.
	Window time.Duration `yaml:"window"`
}

// DefaultConfig: 5 wrong guesses per username or 20 per address within 15
// minutes lock that username or address out for 15 minutes.
func DefaultConfig() Config {
	return Config{MaxFailures: 5, IPMaxFailures: 20, Window: 15 * time.Minute}
}

// Enabled reports whether any limit is on.
func (c Config) Enabled() bool { return c.MaxFailures > 0 || c.IPMaxFailures > 0 }

// Validate names every bad key under prefix (e.g. "sign_in").
func (c Config) Validate(prefix string) error {
	var errs []error
	if c.MaxFailures < 0 {
		errs = append(errs, configerr.Field(prefix+".max_failures", "must not be negative (0 turns the limit off)"))
	}
	if c.IPMaxFailures < 0 {
		errs = append(errs, configerr.Field(prefix+".ip_max_failures", "must not be negative (0 turns the limit off)"))
	}
	if c.Enabled() && c.Window < time.Second {
		errs = append(errs, configerr.Field(prefix+".window", "%v is too short; at least 1s", c.Window))
	}
	return errors.Join(errs...)
}

// Kind says what a key counts.
type Kind string

// Kinds of key.
const (
	KindUser Kind = "user" // a username, known or not
	KindIP   Kind = "ip"   // a client address
)

// Key is one counted thing.
type Key struct {
	Kind Kind
	ID   string
}

// User is the key of a username.
func User(name string) Key { return Key{KindUser, name} }

// IP is the key of a client address.
func IP(addr string) Key { return Key{KindIP, addr} }

// Lockout is a key that has just been locked out.
type Lockout struct {
	Key      Key
	Failures int       // failures within the window that caused it
	Until    time.Time // refused until then
	Window   time.Duration
}

// maxKeys bounds memory: guesses at random usernames each make a key. Over
// it, keys with nothing to remember are dropped first, then others (their
// addresses are still counted).
const maxKeys = 100_000

type entry struct {
	fails []time.Time // within the window, oldest first
	until time.Time   // locked out before this
}

// Limiter counts failures; safe for concurrent use.
type Limiter struct {
	cfg  Config
	now  func() time.Time
	mu   sync.Mutex
	keys map[Key]*entry
}

// New returns a limiter on clock now (nil: time.Now).
func New(cfg Config, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{cfg: cfg, now: now, keys: map[Key]*entry{}}
}

// Enabled reports whether any limit is on.
func (l *Limiter) Enabled() bool { return l != nil && l.cfg.Enabled() }

func (l *Limiter) limit(k Key) int {
	if k.Kind == KindIP {
		return l.cfg.IPMaxFailures
	}
	return l.cfg.MaxFailures
}

// Blocked reports whether any of keys is locked out, and for how long the
// longest of those lockouts still lasts, and which key that is.
func (l *Limiter) Blocked(keys ...Key) (retry time.Duration, key Key, blocked bool) {
	if !l.Enabled() {
		return 0, Key{}, false
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if l.limit(k) <= 0 || k.ID == "" {
			continue
		}
		if e := l.keys[k]; e != nil && now.Before(e.until) {
			if d := e.until.Sub(now); d > retry {
				retry, key, blocked = d, k, true
			}
		}
	}
	return retry, key, blocked
}

// Fail counts one failure against each key and returns the lockouts it
// started (a key already locked out is not locked again).
func (l *Limiter) Fail(keys ...Key) []Lockout {
	if !l.Enabled() {
		return nil
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Lockout
	for _, k := range keys {
		max := l.limit(k)
		if max <= 0 || k.ID == "" {
			continue
		}
		e := l.keys[k]
		if e == nil {
			if len(l.keys) >= maxKeys {
				l.sweep(now)
			}
			e = &entry{}
			l.keys[k] = e
		}
		if now.Before(e.until) {
			continue
		}
		e.fails = append(prune(e.fails, now.Add(-l.cfg.Window)), now)
		if len(e.fails) >= max {
			out = append(out, Lockout{Key: k, Failures: len(e.fails), Until: now.Add(l.cfg.Window), Window: l.cfg.Window})
			e.until, e.fails = now.Add(l.cfg.Window), nil
		}
	}
	return out
}

// Succeed forgets key's failures (a right password for a username); a
// lockout in force stays.
func (l *Limiter) Succeed(key Key) {
	if !l.Enabled() {
		return
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.keys[key]; e != nil && !now.Before(e.until) {
		delete(l.keys, key)
	}
}

// prune drops failures at or before since.
func prune(fails []time.Time, since time.Time) []time.Time {
	i := 0
	for i < len(fails) && !fails[i].After(since) {
		i++
	}
	return append(fails[:0], fails[i:]...)
}

// sweep makes room: first keys with no failure in the window and no
// lockout, then, if still full, any key not locked out.
func (l *Limiter) sweep(now time.Time) {
	since := now.Add(-l.cfg.Window)
	for k, e := range l.keys {
		e.fails = prune(e.fails, since)
		if len(e.fails) == 0 && !now.Before(e.until) {
			delete(l.keys, k)
		}
	}
	for k, e := range l.keys {
		if len(l.keys) < maxKeys {
			return
		}
		if !now.Before(e.until) {
			delete(l.keys, k)
		}
	}
}
