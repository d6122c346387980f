package uplink

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/linewise/linewise/edge/wire"
)

// Failover sends over a primary uplink (MQTT) and, while the primary is
// down or for a while after it stalled, over a fallback (HTTPS ingest).
// Central deduplicates on (edge, seq), so a batch that went both ways is
// counted once; acks of both arrive on one channel.
type Failover struct {
	primary, fallback Uplink
	hold              time.Duration
	log               *slog.Logger

	mu    sync.Mutex
	until time.Time // use the fallback before this
	using atomic.Bool

	acks chan wire.Ack
	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

var _ Uplink = (*Failover)(nil)

// NewFailover uses fallback while primary is not connected, and for hold
// after each Reconnect (a stalled primary).
func NewFailover(primary, fallback Uplink, hold time.Duration, log *slog.Logger) *Failover {
	f := &Failover{primary: primary, fallback: fallback, hold: hold, log: log,
		acks: make(chan wire.Ack, 1024), stop: make(chan struct{})}
	for _, u := range []Uplink{primary, fallback} {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			for {
				select {
				case a := <-u.Acks():
					select {
					case f.acks <- a:
					case <-f.stop:
						return
					}
				case <-f.stop:
					return
				}
			}
		}()
	}
	return f
}

// current is the uplink to send on now.
func (f *Failover) current() Uplink {
	f.mu.Lock()
	hold := time.Now().Before(f.until)
	f.mu.Unlock()
	use := hold || !f.primary.Connected()
	if was := f.using.Swap(use); was != use {
		if use {
			f.log.Warn("sending over the HTTPS fallback", "while", map[bool]string{true: "the MQTT link recovers from a stall", false: "MQTT is not connected"}[hold])
		} else {
			f.log.Info("sending over MQTT again")
		}
	}
	if use {
		return f.fallback
	}
	return f.primary
}

// Publish sends on the primary, or on the fallback while it stands in.
func (f *Failover) Publish(ctx context.Context, b wire.EncodedBatch) error {
	return f.current().Publish(ctx, b)
}

// Acks delivers the acknowledgements of both ways.
func (f *Failover) Acks() <-chan wire.Ack { return f.acks }

// Connected: the fallback has no session to wait for.
func (f *Failover) Connected() bool { return f.current().Connected() }

// UsingFallback reports whether batches currently go over the fallback.
func (f *Failover) UsingFallback() bool { return f.using.Load() }

// Reconnect reconnects the primary and sends over the fallback meanwhile.
func (f *Failover) Reconnect() {
	f.mu.Lock()
	f.until = time.Now().Add(f.hold)
	f.mu.Unlock()
	f.primary.Reconnect()
	f.fallback.Reconnect()
}

// Close closes both.
func (f *Failover) Close() {
	f.once.Do(func() {
		close(f.stop)
		f.wg.Wait()
		f.primary.Close()
		f.fallback.Close()
	})
}
