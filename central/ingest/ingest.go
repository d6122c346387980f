// Package ingest takes edge batches off MQTT, stores them and acknowledges
// them. The delivery contract lives here: an ack is published only after the
// batch is committed, a malformed batch is refused with an error ack (the edge
// must not resend it), and a store failure is not acked at all (the edge
// resends; the store deduplicates). It must never crash on input, and one
// edge's bad batch must never hold up another edge.
package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/linewise/linewise/edge/wire"
)

// Applier stores a batch in one transaction and says how many events were new.
type Applier interface {
	ApplyBatch(ctx context.Context, b wire.Batch) (applied int, err error)
}

// Config says where and as whom to connect.
type Config struct {
	BrokerURL string // tcp://host:port
	ClientID  string // fixed, so the broker keeps our session and queued batches
	// ApplyTimeout bounds one batch's transaction; 0 means 10s.
	ApplyTimeout time.Duration
}

// Stats are running totals since start.
type Stats struct {
	Received    int64 `json:"received"`     // batches received
	Applied     int64 `json:"applied"`      // events newly stored
	Duplicates  int64 `json:"duplicates"`   // events already stored
	Malformed   int64 `json:"malformed"`    // batches refused
	StoreErrors int64 `json:"store_errors"` // batches not acked because the store failed
}

// Ingest is the MQTT consumer.
type Ingest struct {
	cfg    Config
	store  Applier
	notify func()
	log    *slog.Logger

	client     paho.Client
	subscribed chan struct{}
	subOnce    sync.Once

	// mu is held while a message is handled, so Stop can wait for the one
	// in flight and then refuse the rest (they stay un-acked and come back).
	mu      sync.Mutex
	stopped bool

	received, applied, duplicates, malformed, storeErrors atomic.Int64
}

// New builds an Ingest; notify (may be nil) is called after each commit that
// stored something and must not block.
func New(cfg Config, store Applier, notify func(), log *slog.Logger) *Ingest {
	if cfg.ApplyTimeout <= 0 {
		cfg.ApplyTimeout = 10 * time.Second
	}
	if notify == nil {
		notify = func() {}
	}
	return &Ingest{cfg: cfg, store: store, notify: notify, log: log, subscribed: make(chan struct{})}
}

// Start connects (retrying in the background if the broker is not up) and
// subscribes on every (re)connect.
func (in *Ingest) Start() {
	opts := paho.NewClientOptions().
		AddBroker(in.cfg.BrokerURL).
		SetClientID(in.cfg.ClientID).
		SetCleanSession(false).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(10 * time.Second).
		SetConnectTimeout(5 * time.Second).
		// With a persistent session the broker may deliver queued batches
		// before our Subscribe call registers its handler.
		SetDefaultPublishHandler(in.handle).
		SetOnConnectHandler(func(c paho.Client) {
			in.log.Info("connected to broker", "broker", in.cfg.BrokerURL)
			tok := c.Subscribe(wire.EventsWildcard, 1, in.handle)
			if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				in.log.Error("subscribe failed; reconnecting", "topic", wire.EventsWildcard, "err", tok.Error())
				c.Disconnect(0) // closing forces paho to retry via a fresh connect
				return
			}
			in.subOnce.Do(func() { close(in.subscribed) })
		}).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			in.log.Warn("lost broker connection; reconnecting", "broker", in.cfg.BrokerURL, "err", err)
		})
	in.client = paho.NewClient(opts)
	in.client.Connect() // with ConnectRetry the token completes only once connected
}

// Subscribed is closed once the first subscription is in place.
func (in *Ingest) Subscribed() <-chan struct{} { return in.subscribed }

// Stop waits for the batch in flight, refuses further ones and disconnects.
// Safe to call twice.
func (in *Ingest) Stop() {
	in.mu.Lock()
	was := in.stopped
	in.stopped = true
	in.mu.Unlock()
	if !was && in.client != nil {
		in.client.Disconnect(250)
	}
}

// Stats returns the running totals.
func (in *Ingest) Stats() Stats {
	return Stats{
		Received:    in.received.Load(),
		Applied:     in.applied.Load(),
		Duplicates:  in.duplicates.Load(),
		Malformed:   in.malformed.Load(),
		StoreErrors: in.storeErrors.Load(),
	}
}

func (in *Ingest) handle(c paho.Client, m paho.Message) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.stopped {
		return
	}
	edge, ok := wire.EdgeFromTopic(m.Topic())
	if !ok {
		// No edge id means nowhere to send an ack: log and move on.
		in.malformed.Add(1)
		in.log.Warn("message on unexpected topic", "topic", m.Topic())
		return
	}
	in.received.Add(1)
	log := in.log.With("edge", edge)
	b, err := wire.DecodeBatch(edge, m.Payload())
	if err != nil {
		in.malformed.Add(1)
		log.Warn("refusing malformed batch", "err", err)
		in.ack(c, log, wire.Ack{EdgeID: edge, Error: err.Error()})
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), in.cfg.ApplyTimeout)
	n, err := in.store.ApplyBatch(ctx, b)
	cancel()
	if err != nil {
		// No ack: the edge keeps the batch and resends it.
		in.storeErrors.Add(1)
		log.Error("storing batch failed; not acknowledged", "from", b.Events[0].Seq, "err", err)
		return
	}
	in.applied.Add(int64(n))
	in.duplicates.Add(int64(len(b.Events) - n))
	from, to := b.Events[0].Seq, b.Events[len(b.Events)-1].Seq
	log.Debug("batch committed", "from", from, "to", to, "new", n)
	in.ack(c, log, wire.Ack{EdgeID: edge, From: from, To: to})
	if n > 0 {
		in.notify()
	}
}

// ack publishes without waiting in the handler: paho delivers messages and
// completes publish tokens on goroutines a blocked handler can starve.
func (in *Ingest) ack(c paho.Client, log *slog.Logger, a wire.Ack) {
	body, err := json.Marshal(a)
	if err != nil {
		log.Error("encode ack", "err", err)
		return
	}
	tok := c.Publish(wire.AckTopic(a.EdgeID), 1, false, body)
	go func() {
		if !tok.WaitTimeout(30 * time.Second) {
			log.Warn("ack not confirmed by broker in 30s", "from", a.From, "to", a.To)
			return
		}
		if err := tok.Error(); err != nil {
			// The edge resends an un-acked batch; the store makes that harmless.
			log.Warn("publishing ack failed", "from", a.From, "to", a.To, "err", err)
		}
	}()
}

// ErrNotConnected is returned by WaitSubscribed when the deadline passes.
var ErrNotConnected = errors.New("ingest: not subscribed to the broker yet")

// WaitSubscribed waits until the subscription is in place or ctx ends.
func (in *Ingest) WaitSubscribed(ctx context.Context) error {
	select {
	case <-in.subscribed:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w (%s): %w", ErrNotConnected, in.cfg.BrokerURL, ctx.Err())
	}
}
