package opcua

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gopcua/opcua"
	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"
	"github.com/linewise/linewise/devices"
)

// Subscriber is the push flavour of the driver (mode: subscribe): one
// subscription with a monitored item per signal, publishing at
// poll_interval. It owns its reconnect loop like the poller does, and
// delivers one Bad reading per signal when a connection is lost.
type Subscriber struct {
	poll *Driver // for config, logging and value conversion
	rc   *devices.Reconnect

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

var _ devices.Pusher = (*Subscriber)(nil)

// NewSubscriber builds the push driver; it does not dial.
func NewSubscriber(name string, cfg Config, log *slog.Logger) (*Subscriber, error) {
	d, err := New(name, cfg, log)
	if err != nil {
		return nil, err
	}
	rc := devices.NewReconnect(d.log, "opcua", minBackoff, maxBackoff, "device", name, "endpoint", cfg.Endpoint, "mode", "subscribe")
	return &Subscriber{poll: d, rc: rc}, nil
}

// Start launches the connect-subscribe loop and returns at once.
func (s *Subscriber) Start(_ context.Context, sink devices.Sink) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done != nil {
		return fmt.Errorf("device %s: already started", s.poll.name)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	go s.run(ctx, sink)
	return nil
}

// Stop ends the loop and the session, bounded by ctx.
func (s *Subscriber) Stop(ctx context.Context) error {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("device %s: stop: %w", s.poll.name, ctx.Err())
	}
}

func (s *Subscriber) run(ctx context.Context, sink devices.Sink) {
	defer close(s.done)
	d := s.poll
	badSent := false
	for ctx.Err() == nil {
		_, err := s.session(ctx, sink, &badSent)
		if ctx.Err() != nil {
			return
		}
		// A session that subscribed called rc.OK, so its loss starts the
		// backoff afresh and is logged as a new loss.
		wait := s.rc.Failed(fmt.Errorf("subscription to %s: %w", d.cfg.Endpoint, err))
		if !badSent {
			badSent = true
			for _, r := range d.bad(fmt.Errorf("subscription to %s: %w", d.cfg.Endpoint, err)) {
				sink(r)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// session connects, subscribes and forwards notifications until the
// connection fails or ctx ends.
func (s *Subscriber) session(ctx context.Context, sink devices.Sink, badSent *bool) (subscribed bool, err error) {
	d := s.poll
	cctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	c, req, err := d.connect(cctx)
	if c != nil {
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = c.Close(cctx)
		}()
	}
	if err != nil {
		return false, err
	}
	notes := make(chan *opcua.PublishNotificationData, 64)
	sub, err := c.Subscribe(cctx, &opcua.SubscriptionParameters{Interval: d.cfg.PollInterval}, notes)
	if err != nil {
		return false, fmt.Errorf("subscribe: %w", err)
	}
	var items []*ua.MonitoredItemCreateRequest
	for i, r := range req.NodesToRead {
		items = append(items, opcua.NewMonitoredItemCreateRequestWithDefaults(r.NodeID, ua.AttributeIDValue, uint32(i)))
	}
	res, err := sub.Monitor(cctx, ua.TimestampsToReturnBoth, items...)
	if err != nil {
		return false, fmt.Errorf("monitor: %w", err)
	}
	for i, r := range res.Results {
		if i < len(d.cfg.Signals) && r != nil && r.StatusCode != ua.StatusOK {
			sig := d.cfg.Signals[i]
			sink(devices.Reading{Signal: sig.Name, Quality: devices.Bad, SourceTime: time.Now(),
				Err: fmt.Errorf("device %s signal %s (%s): monitor: %v", d.name, sig.Name, sig.Node, r.StatusCode)})
		}
	}
	d.log.Debug("opcua subscribed", "device", d.name, "endpoint", d.cfg.Endpoint)
	s.rc.OK()
	*badSent = false

	// A server that vanishes without closing the socket sends no error and
	// no notification, so a watchdog read of the server state checks it.
	watchdog := &ua.ReadRequest{NodesToRead: []*ua.ReadValueID{{
		NodeID: ua.NewNumericNodeID(0, id.Server_ServerStatus_State), AttributeID: ua.AttributeIDValue}}}
	check := time.NewTicker(max(d.cfg.Timeout/2, time.Second))
	defer check.Stop()
	for {
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case <-check.C:
			if st := c.State(); st != opcua.Connected {
				return true, fmt.Errorf("connection state %v", st)
			}
			rctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
			_, err := c.Read(rctx, watchdog)
			cancel()
			if err != nil && ctx.Err() == nil {
				return true, fmt.Errorf("watchdog read: %w", err)
			}
		case n := <-notes:
			if n == nil {
				continue
			}
			if n.Error != nil {
				return true, n.Error
			}
			dc, ok := n.Value.(*ua.DataChangeNotification)
			if !ok {
				continue
			}
			for _, item := range dc.MonitoredItems {
				if item == nil || int(item.ClientHandle) >= len(d.cfg.Signals) {
					d.log.Warn("opcua notification for unknown handle", "device", d.name)
					continue
				}
				sink(d.reading(d.cfg.Signals[item.ClientHandle], item.Value))
			}
		}
	}
}
