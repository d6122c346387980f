package devices

import (
	"log/slog"
	"math/rand/v2"
	"time"
)

// Reconnect paces a driver's connection attempts to one device and says
// when the device was lost and when it came back, once each: while a device
// is away the agent keeps polling it, and a log line or a dial per poll would
// bury the one line an operator needs.
//
// After a failure the next attempt waits a backoff that doubles from Min up
// to Max, with jitter (a random part of the upper half), so that many edges
// losing one server do not redial it in step. A success resets it.
//
// The zero value is not ready: build it with NewReconnect. It is not safe for
// concurrent use; a driver calls it under its own lock.
type Reconnect struct {
	Min, Max time.Duration
	// Now and Jitter are the clock and the random source (Jitter returns a
	// number in [0, 1)); tests replace them.
	Now    func() time.Time
	Jitter func() float64

	log      *slog.Logger
	what     string // "opcua", "modbus": prefixes the log messages
	attrs    []any
	backoff  time.Duration
	retryAt  time.Time
	down     bool // lost and not back yet
	everUp   bool
	since    time.Time // when it was lost
	attempts int       // failed attempts since it was lost
	lastErr  error
}

// NewReconnect returns a pacer for one device whose log lines start with
// what and carry attrs (device name, address).
func NewReconnect(log *slog.Logger, what string, min, max time.Duration, attrs ...any) *Reconnect {
	if log == nil {
		log = slog.Default()
	}
	return &Reconnect{Min: min, Max: max, Now: time.Now, Jitter: rand.Float64, log: log, what: what, attrs: attrs}
}

// Wait is how long until the next attempt may be made; zero or less means now.
func (r *Reconnect) Wait() time.Duration {
	if r.retryAt.IsZero() {
		return 0
	}
	return r.retryAt.Sub(r.Now())
}

// LastErr is the error of the last failed attempt (nil when up).
func (r *Reconnect) LastErr() error { return r.lastErr }

// Down reports whether the device is lost and not back yet.
func (r *Reconnect) Down() bool { return r.down }

// Failed records a failed attempt (a refused dial, a broken read) and
// schedules the next one. The first failure after the device was up (or the
// first ever) is logged at WARN; the ones that follow only at DEBUG.
// It returns the wait before the next attempt.
func (r *Reconnect) Failed(err error) time.Duration {
	if r.backoff == 0 {
		r.backoff = r.Min
	} else {
		r.backoff = min(r.backoff*2, r.Max)
	}
	// Equal jitter: at least half the backoff, so the pace stays bounded.
	wait := r.backoff/2 + time.Duration(r.Jitter()*float64(r.backoff/2))
	now := r.Now()
	r.retryAt = now.Add(wait)
	r.lastErr = err
	r.attempts++
	if !r.down {
		r.down, r.since, r.attempts = true, now, 1
		msg := r.what + " device unreachable; reconnecting with backoff (logged again when it is back)"
		if r.everUp {
			msg = r.what + " connection lost; reconnecting with backoff (logged again when it is back)"
		}
		r.log.Warn(msg, append(r.attrs[:len(r.attrs):len(r.attrs)], "err", err, "max_backoff", r.Max)...)
		return wait
	}
	r.log.Debug(r.what+" reconnect attempt failed", append(r.attrs[:len(r.attrs):len(r.attrs)], "attempt", r.attempts, "retry_in", wait, "err", err)...)
	return wait
}

// OK records that the device answered. The first success after a loss is
// logged at INFO with how long it was away; the first ever, too.
func (r *Reconnect) OK() {
	switch {
	case r.down:
		r.log.Info(r.what+" device back", append(r.attrs[:len(r.attrs):len(r.attrs)],
			"away", r.Now().Sub(r.since).Round(time.Millisecond), "failed_attempts", r.attempts)...)
	case !r.everUp:
		r.log.Info(r.what+" connected", r.attrs...)
	}
	r.down, r.everUp, r.backoff, r.retryAt, r.lastErr, r.attempts = false, true, 0, time.Time{}, nil, 0
}
