package signal

import (
	"strings"
	"testing"
	"time"
)

func TestPlausible(t *testing.T) {
	for _, tt := range []struct {
		parts   uint64
		elapsed time.Duration
		rate    float64
		want    string // "" plausible, else a word of the reason
	}{
		{5, time.Second, 2, ""},                     // within 2/s × 1s × 1.5 + burst
		{13, time.Second, 2, ""},                    // 3 + 10 burst
		{14, time.Second, 2, "max_rate"},            // one above
		{7200, time.Hour, 2, ""},                    // an hour's backlog after an outage is fine
		{50_000, time.Hour, 2, "max_rate"},          // not at 2/s
		{1_000_000, -1, 0, ""},                      // no rate, nothing known: the ceiling alone
		{1_000_001, -1, 0, "ceiling"},               // above the ceiling whatever else
		{1 << 63, 1000 * time.Hour, 1e6, "ceiling"}, // a 64-bit jump
		{10, -1, 2, ""},                             // first event after a restart: no elapsed time
	} {
		got := Plausible(tt.parts, tt.elapsed, tt.rate)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("Plausible(%d, %v, %v) = %q, want %q", tt.parts, tt.elapsed, tt.rate, got, tt.want)
		}
	}
}
