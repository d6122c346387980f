package agent

import (
	"time"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/edge/config"
	"github.com/linewise/linewise/edge/wire"
)

// clockSamples is how many recent offsets of a device are kept. The
// estimate is their largest: a source timestamp is the moment a value
// changed, so it lags a reading by up to one poll plus the network; the
// freshest sample is the closest to the clock's true offset. A fresh
// sample far below the estimate starts the window again (the clock was
// set right).
const clockSamples = 8

// deviceClock is one device's measured clock offset (device minus edge).
type deviceClock struct {
	samples []time.Duration
	next    int
	offset  time.Duration
	skewed  bool
}

// add takes a sample. A fresh one (a changed value: at most a poll plus
// the network old) far below the estimate means the clock was set back:
// the older samples no longer describe it.
func (c *deviceClock) add(d time.Duration, fresh bool, tol time.Duration) {
	if fresh && len(c.samples) > 0 && d < c.offset-tol {
		c.samples, c.next = c.samples[:0], 0
	}
	if len(c.samples) < clockSamples {
		c.samples = append(c.samples, d)
	} else {
		c.samples[c.next] = d
		c.next = (c.next + 1) % clockSamples
	}
	c.offset = c.samples[0]
	for _, s := range c.samples[1:] {
		c.offset = max(c.offset, s)
	}
}

// observeClock takes a good reading's offset sample when its value changed
// (an unchanged value's timestamp is the old change's, not a clock's), and
// says when the device crosses the tolerance.
func (p *processor) observeClock(r devices.Reading) {
	if r.Quality == devices.Bad || r.SourceTime.IsZero() {
		return
	}
	key := config.RawKey(r.Value)
	last, seen := p.lastVal[r.Signal]
	p.lastVal[r.Signal] = key
	sample := r.SourceTime.Sub(p.received(r))
	// A timestamp ahead of the edge is a clock ahead whatever the value
	// (staleness only makes it smaller); one behind counts only on a change.
	fresh := seen && last != key
	if !fresh && sample <= 0 {
		return
	}
	dev := p.cfg.DeviceOf(r.Signal)
	c := p.clocks[dev]
	if c == nil {
		c = &deviceClock{}
		p.clocks[dev] = c
	}
	tol := p.cfg.ClockTolerance
	c.add(sample, fresh, tol)
	switch skewed := c.offset > tol || c.offset < -tol; {
	case skewed && !c.skewed:
		p.log.Warn("device clock is off: its events get the edge's receive time", "device", dev,
			"offset", c.offset.Round(time.Millisecond).String(), "tolerance", tol.String())
	case !skewed && c.skewed:
		p.log.Info("device clock is back within tolerance", "device", dev, "offset", c.offset.Round(time.Millisecond).String())
	}
	c.skewed = c.offset > tol || c.offset < -tol
}

func (p *processor) received(r devices.Reading) time.Time {
	if r.Received.IsZero() {
		return p.now()
	}
	return r.Received
}

// stamp is the time an event from r carries: the device's source time, or
// the edge's receive time when the device's clock is off (then the
// device's time is returned too, to keep in the event).
func (p *processor) stamp(r devices.Reading) (at, device time.Time) {
	if c := p.clocks[p.cfg.DeviceOf(r.Signal)]; c != nil && c.skewed && !r.SourceTime.IsZero() {
		return ts(p.received(r)), r.SourceTime.UTC()
	}
	return ts(r.SourceTime), time.Time{}
}

// lineOffsetMS is the offset of the line's worst skewed device in
// milliseconds, 0 while every device is within tolerance.
func (p *processor) lineOffsetMS() int64 {
	abs := func(d time.Duration) time.Duration { return max(d, -d) }
	var worst time.Duration
	for _, c := range p.clocks {
		if c.skewed && abs(c.offset) > abs(worst) {
			worst = c.offset
		}
	}
	ms := worst.Milliseconds()
	if ms == 0 && worst != 0 {
		ms = 1
	}
	return ms
}

// appendEvent adds ev with the line's clock information.
func (p *processor) appendEvent(tx interface{ Append(wire.Event) }, ev wire.Event) {
	ev.ClockOffsetMS = p.lineOffsetMS()
	if ev.DeviceTime.IsZero() {
		ev.DeviceTime = p.curDevice
	}
	tx.Append(ev)
}
