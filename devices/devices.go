// Package devices holds what every protocol driver shares: the Reading a
// driver delivers and the two driver lifecycles. It imports nothing else of
// linewise, so a driver package depends only on this and its protocol library.
//
// A driver must never block its caller forever (every network call has a
// timeout), must reconnect by itself with capped backoff, and must turn a lost
// connection or a garbled value into bad-quality Readings, never a panic.
package devices

import (
	"context"
	"fmt"
	"time"
)

// Quality says how far a Reading's value can be trusted, in the OPC UA sense.
type Quality uint8

const (
	// Good: the value was read from the device and is what it reports.
	Good Quality = iota
	// Uncertain: the device answered but flagged the value (stale, out of range, ...).
	Uncertain
	// Bad: no trustworthy value: the device is unreachable or sent garbage.
	Bad
)

func (q Quality) String() string {
	switch q {
	case Good:
		return "good"
	case Uncertain:
		return "uncertain"
	case Bad:
		return "bad"
	}
	return fmt.Sprintf("quality(%d)", uint8(q))
}

// Reading is one value of one configured signal.
//
// Value holds one of int64, uint64, float64, bool or string; it is nil when
// Quality is Bad. Err says why a reading is not Good, naming device and signal.
type Reading struct {
	Signal     string
	Value      any
	Quality    Quality
	SourceTime time.Time
	Err        error
	// Received is when the agent took the reading from its driver, by the
	// agent's clock (drivers leave it zero): what a device's SourceTime is
	// compared with to measure the device's clock offset.
	Received time.Time
}

// Sink receives readings from a push driver. It must return quickly; a driver
// calls it from its own goroutine, one reading at a time.
type Sink func(Reading)

// Poller is a driver read on a schedule. Lifecycle: construct (validation only,
// no network), then Poll repeatedly (it connects lazily and reconnects after
// failures), then Close once. Poll returns one Reading per configured signal,
// in configuration order, every time: a failure yields Bad readings with Err
// set, not an error and not fewer readings. Poll honours ctx's deadline.
type Poller interface {
	Poll(ctx context.Context) []Reading
	Close() error
}

// Pusher is a driver that delivers readings as the device reports them
// (subscriptions). Lifecycle: construct (validation only), Start(ctx, sink)
// once (it returns after the first connect attempt is under way, not after
// it succeeds; it keeps reconnecting until Stop), Stop(ctx) once, bounded by
// ctx. While disconnected it delivers a Bad reading per signal once.
type Pusher interface {
	Start(ctx context.Context, sink Sink) error
	Stop(ctx context.Context) error
}

// AsInt64 converts a numeric reading value to int64, for counters and enums.
func AsInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case uint64:
		return int64(x), true
	case float64:
		if x != x || x > 9.2e18 || x < -9.2e18 {
			return 0, false
		}
		return int64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}
