package config

import (
	"fmt"
	"github.com/linewise/linewise/devices/configerr"
	"math"
	"time"
)

// rates fills each counter's Rate: its max_rate, else RateSlack parts per
// ideal cycle of the line (ideal_cycle, else state.infer.ideal_cycle).
func (l *Loaded) rates() {
	cycle := l.IdealCycle
	if cycle == 0 && l.State != nil && l.State.Infer != nil {
		cycle = l.State.Infer.IdealCycle
	}
	for i := range l.Counters {
		k := &l.Counters[i]
		switch {
		case k.MaxRate > 0:
			k.Rate = k.MaxRate
		case cycle > 0:
			k.Rate = RateSlack / cycle.Seconds()
		}
	}
}

// PollInterval is how often signal is read: its device's poll interval, 0
// for a pushed signal.
func (l *Loaded) PollInterval(signal string) time.Duration {
	dev := l.signalsDev[signal]
	for _, d := range l.Devices {
		if d.Name == dev && d.Poller != nil {
			return d.PollInterval
		}
	}
	return 0
}

// warnings lists the configured risks that do not stop the agent, each a
// configerr.FieldError naming its key.
func (l *Loaded) warnings() []error {
	l.rates()
	var out []error
	w := func(key, format string, args ...any) { out = append(out, configerr.Field(key, format, args...)) }
	for i, k := range l.Counters {
		if k.Mode != "cumulative" || k.Bits >= 64 {
			continue
		}
		p := fmt.Sprintf("counters[%d]", i)
		wrapAt := math.Ldexp(1, k.Bits)
		if k.Rate == 0 {
			if k.WrapsSignal != "" {
				continue // the overflow count says how often it wrapped
			}
			w(p+".max_rate", "counter %q wraps at %.0f but no maximum rate is known: set ideal_cycle (the line's) or max_rate. Until then every fall of the counter is counted as a reset and raises counter_ambiguous for a person to confirm", k.Signal, wrapAt)
			continue
		}
		wrap := time.Duration(wrapAt / k.Rate * float64(time.Second))
		if poll := l.PollInterval(k.Signal); poll > 0 && wrap <= 2*poll {
			w(p+".bits", "counter %q can wrap every %s at %.4g parts/s, within two polls of %s: poll faster or read a wider counter", k.Signal, wrap.Round(time.Millisecond), k.Rate, poll)
		}
	}
	if s := l.State; s != nil && s.Infer != nil && s.Infer.IdealCycle > 0 {
		short := time.Duration(s.Infer.ShortStopAfter * float64(s.Infer.IdealCycle))
		var slowest time.Duration
		for _, k := range l.Counters {
			slowest = max(slowest, l.PollInterval(k.Signal))
		}
		if short <= slowest {
			w("state.infer.short_stop_after", "%v ideal cycles of %s is %s, shorter than the counters' poll interval of %s: the inferred state would flap between running and idle between reads. Raise short_stop_after above %.4g or poll faster",
				s.Infer.ShortStopAfter, s.Infer.IdealCycle, short, slowest, float64(slowest)/float64(s.Infer.IdealCycle))
		}
	}
	return out
}
