package opcua

import "time"

// SetClock replaces the clock that paces d's reconnect attempts.
func SetClock(d *Driver, now func() time.Time) { d.rc.Now = now }

// MaxBackoff is the cap on the wait between reconnect attempts.
const MaxBackoff = maxBackoff
