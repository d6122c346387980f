// Package synthetic is a device driver that needs no device: it generates
// cumulative part counters that tick up at a configured total rate. It is
// for benchmarks, demos and soak tests, where a real or simulated PLC
// cannot produce tens of thousands of changes a second. Every reading's
// SourceTime is the moment its counter changed, so the delay from a change
// to central's commit can be measured end to end.
//
// It must never be mistaken for a real device: it reads nothing, and a
// config that names it produces parts that were never made.
package synthetic

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/configerr"
	"gopkg.in/yaml.v3"
)

// Config is a synthetic device's whole configuration.
type Config struct {
	// Rate is the total number of counter increments per second, spread
	// round-robin over the signals. The driver never runs ahead of this
	// rate; when the agent cannot keep up it falls behind (the sink blocks)
	// and catches up at most Tick's worth of increments at a time.
	Rate float64 `yaml:"rate"`
	// Tick is how often the driver wakes to emit what the rate calls for.
	Tick time.Duration `yaml:"tick"`
	// Start is the first value of every counter.
	Start uint64 `yaml:"start"`
	// Bits wraps every counter at 2^Bits (16, 32 or 64), like a PLC register.
	Bits    int      `yaml:"bits"`
	Signals []Signal `yaml:"signals"`
}

// Signal is one generated counter.
type Signal struct {
	Name string `yaml:"name"`
}

// NewConfig returns the defaults: 1,000 increments a second, a 1 ms tick,
// 32-bit counters from zero.
func NewConfig() Config { return Config{Rate: 1000, Tick: time.Millisecond, Bits: 32} }

// DecodeConfig reads a device's YAML node (which also carries name and
// driver) over the defaults and validates it.
func DecodeConfig(node *yaml.Node) (Config, error) {
	cfg := NewConfig()
	err := configerr.DecodeStrict(node, &cfg, "name", "driver", "poll_interval")
	return cfg, errors.Join(err, cfg.Validate())
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Rate <= 0 || c.Rate > 10_000_000 {
		errs = append(errs, configerr.Field("rate", "must be above 0 and at most 10000000 increments per second, got %v", c.Rate))
	}
	if c.Tick < 100*time.Microsecond || c.Tick > time.Second {
		errs = append(errs, configerr.Field("tick", "must be between 100µs and 1s, got %s", c.Tick))
	}
	switch c.Bits {
	case 16, 32, 64:
	default:
		errs = append(errs, configerr.Field("bits", "must be 16, 32 or 64, got %d", c.Bits))
	}
	if len(c.Signals) == 0 {
		errs = append(errs, configerr.Field("signals", "at least one signal is required"))
	}
	seen := map[string]bool{}
	for i, s := range c.Signals {
		switch {
		case s.Name == "":
			errs = append(errs, configerr.Field(fmt.Sprintf("signals[%d].name", i), "required"))
		case seen[s.Name]:
			errs = append(errs, configerr.Field(fmt.Sprintf("signals[%d].name", i), "duplicate signal %q", s.Name))
		}
		seen[s.Name] = true
	}
	return errors.Join(errs...)
}

// SignalNames lists the configured signal names in order.
func (c Config) SignalNames() []string {
	out := make([]string, len(c.Signals))
	for i, s := range c.Signals {
		out[i] = s.Name
	}
	return out
}

// Device generates the counters of one Config.
type Device struct {
	name string
	cfg  Config
	log  *slog.Logger

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

var _ devices.Pusher = (*Device)(nil)

// New validates cfg; nothing runs until Start.
func New(name string, cfg Config, log *slog.Logger) (*Device, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("synthetic device %s: %w", name, err)
	}
	if log == nil {
		log = slog.Default()
	}
	return &Device{name: name, cfg: cfg, log: log}, nil
}

// Start begins generating on its own goroutine and returns at once.
func (d *Device) Start(ctx context.Context, sink devices.Sink) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cancel != nil {
		return fmt.Errorf("synthetic device %s: already started", d.name)
	}
	ctx, d.cancel = context.WithCancel(ctx)
	d.done = make(chan struct{})
	go func() { defer close(d.done); d.run(ctx, sink) }()
	d.log.Info("synthetic counters started", "signals", len(d.cfg.Signals), "rate", d.cfg.Rate)
	return nil
}

// Stop ends generation and waits for the generator, bounded by ctx.
func (d *Device) Stop(ctx context.Context) error {
	d.mu.Lock()
	cancel, done := d.cancel, d.done
	d.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("synthetic device %s: stop: %w", d.name, ctx.Err())
	}
}

func (d *Device) run(ctx context.Context, sink devices.Sink) {
	n := len(d.cfg.Signals)
	values := make([]uint64, n)
	for i := range values {
		values[i] = d.cfg.Start
	}
	var mask uint64 = 1<<d.cfg.Bits - 1
	if d.cfg.Bits == 64 {
		mask = ^uint64(0)
	}
	// A first reading of every counter gives the edge its baseline.
	now := time.Now()
	for i, s := range d.cfg.Signals {
		sink(devices.Reading{Signal: s.Name, Value: values[i] & mask, Quality: devices.Good, SourceTime: now})
	}
	start := time.Now()
	// At most one tick's worth (but at least one) is emitted per wake-up, so
	// a driver held back by a slow sink does not burst a backlog later.
	perTick := max(1, int64(d.cfg.Rate*d.cfg.Tick.Seconds()+0.5))
	var emitted int64
	next := 0
	t := time.NewTicker(d.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		due := int64(time.Since(start).Seconds()*d.cfg.Rate) - emitted
		if due > perTick {
			// Behind: forget what could not be sent rather than burst.
			emitted += due - perTick
			due = perTick
		}
		for ; due > 0; due-- {
			if ctx.Err() != nil {
				return
			}
			values[next]++
			sink(devices.Reading{Signal: d.cfg.Signals[next].Name, Value: values[next] & mask, Quality: devices.Good, SourceTime: time.Now()})
			emitted++
			next++
			if next == n {
				next = 0
			}
		}
	}
}
