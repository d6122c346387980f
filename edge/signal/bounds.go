package signal

import (
	"fmt"
	"math"
	"time"
)

// The edge's bound on a count delta (issue #10). A delta above it cannot
// be parts the line made: a counter that jumped (PLC program download, a
// misread register, a reset to a large value) or a driver bug.
const (
	// CeilingDelta is the most parts one count event may carry whatever the
	// rate; central's default ingest.max_count_delta is the same.
	CeilingDelta = 1_000_000
	// RateSlack is how far above max_rate a line may seem to run: reading
	// jitter and a nameplate rate that is not quite the real one.
	RateSlack = 1.5
	// burstSeconds of parts at max_rate (at least minBurst parts) are always
	// believable, for the first event after a restart or a clock step.
	burstSeconds = 2
	minBurst     = 10
)

// Plausible reports why parts cannot have been made in elapsed (the time
// since this counter's previous count event, by source time; negative when
// unknown) by a machine making at most maxRate parts a second (0: no rate
// known); "" when they can.
func Plausible(parts uint64, elapsed time.Duration, maxRate float64) string {
	if parts > CeilingDelta {
		return fmt.Sprintf("%d parts in one delta is above the ceiling of %d", parts, CeilingDelta)
	}
	if maxRate <= 0 || elapsed < 0 {
		return ""
	}
	allowed := math.Ceil(maxRate*elapsed.Seconds()*RateSlack) + math.Max(minBurst, math.Ceil(burstSeconds*maxRate))
	if float64(parts) > allowed {
		return fmt.Sprintf("%d parts in %s is above max_rate %g/s (at most %.0f with slack)", parts, elapsed.Round(time.Millisecond), maxRate, allowed)
	}
	return ""
}
