package app

import (
	"errors"
	"time"

	"github.com/linewise/linewise/devices/configerr"
	"github.com/linewise/linewise/edge/wire"
)

// IngestConfig bounds the events central accepts from edges (issue #10);
// the yaml tags are the keys under "ingest". An event outside a bound is
// refused on its own, kept in quarantine with the reason, acknowledged to
// the edge, and raises its line's quarantined_event exception.
type IngestConfig struct {
	// MaxCountDelta is the most parts (good + reject) one count event may
	// carry: a hard ceiling above anything a line makes between two events.
	MaxCountDelta int64 `yaml:"max_count_delta"`
	// MaxFutureSkew: an event's source time further ahead of central's clock
	// is refused.
	MaxFutureSkew time.Duration `yaml:"max_future_skew"`
	// MaxAge: an event older than this by central's clock is refused. Keep
	// it above the longest outage an edge's outbox can bridge.
	MaxAge time.Duration `yaml:"max_age"`
}

// DefaultIngestConfig: a million parts per event, a day ahead, a year old.
func DefaultIngestConfig() IngestConfig {
	return IngestConfig{MaxCountDelta: wire.DefaultMaxCountDelta, MaxFutureSkew: wire.MaxFutureSkew, MaxAge: wire.MaxAge}
}

// Validate reports every problem at once, each naming its key.
func (c IngestConfig) Validate() error {
	var errs []error
	if c.MaxCountDelta < 1 || c.MaxCountDelta > wire.MaxCountDeltaLimit {
		errs = append(errs, configerr.Field("ingest.max_count_delta", "%d must be from 1 to %d", c.MaxCountDelta, int64(wire.MaxCountDeltaLimit)))
	}
	if c.MaxFutureSkew < time.Second || c.MaxFutureSkew > 7*24*time.Hour {
		errs = append(errs, configerr.Field("ingest.max_future_skew", "%v must be from 1s to 168h", c.MaxFutureSkew))
	}
	if c.MaxAge < time.Hour || c.MaxAge > 10*366*24*time.Hour {
		errs = append(errs, configerr.Field("ingest.max_age", "%v must be from 1h to 87840h (ten years)", c.MaxAge))
	}
	return errors.Join(errs...)
}

// Limits is the configuration as ingest applies it.
func (c IngestConfig) Limits() wire.Limits {
	return wire.Limits{MaxCountDelta: c.MaxCountDelta, MaxFutureSkew: c.MaxFutureSkew, MaxAge: c.MaxAge}
}
