// Package ingest takes edge batches off MQTT (and, through Process, off
// HTTPS), checks them, stores them and acknowledges them. The delivery
// contract lives here: an ack is given only after the batch is committed, a
// malformed or not-allowed batch is refused with an error ack (the edge must
// not resend it), and a store failure is not acked at all (the edge resends;
// the store deduplicates). It must never crash on input, and one edge's bad
// batch must never hold up another edge.
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
	"github.com/prometheus/client_golang/prometheus"

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
	Username  string // MQTT credentials of central's client; empty: none
	Password  string
	// Edges, when enabled, lists who may deliver which lines; nil accepts all.
	Edges *Edges
	// ApplyTimeout bounds one batch's transaction; 0 means 10s.
	ApplyTimeout time.Duration
}

// Stats are running totals since start.
type Stats struct {
	Received    int64 `json:"received"`     // batches received
	Applied     int64 `json:"applied"`      // events newly stored
	Duplicates  int64 `json:"duplicates"`   // events already stored
	Malformed   int64 `json:"malformed"`    // batches refused as malformed
	Refused     int64 `json:"refused"`      // batches refused as not allowed (unknown edge)
	Rejected    int64 `json:"rejected"`     // single events refused (invalid, absurd time, line not the edge's)
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

	received, applied, duplicates, malformed, refused, rejected, storeErrors atomic.Int64

	latency prometheus.Histogram
	seqMu   sync.Mutex
	lastSeq map[string]uint64 // per edge, highest seq committed
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
	return &Ingest{cfg: cfg, store: store, notify: notify, log: log, subscribed: make(chan struct{}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "linewise_ingest_batch_commit_seconds",
			Help:    "Time to apply and commit one batch in the store.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16), // 0.5ms .. ~16s
		}),
		lastSeq: map[string]uint64{},
	}
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
		SetUsername(in.cfg.Username).
		SetPassword(in.cfg.Password).
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
		Refused:     in.refused.Load(),
		Rejected:    in.rejected.Load(),
		StoreErrors: in.storeErrors.Load(),
	}
}

// Errors Process wraps, for callers to tell refusals from failures.
var (
	// ErrMalformed: the batch is not valid; the error says which field.
	ErrMalformed = errors.New("malformed batch")
	// ErrStore: the store failed; the batch is not acked and comes back.
	ErrStore = errors.New("store failed")
)

// Process checks, stores and acknowledges one batch from edge, whoever
// carried it. On success the ack covers the batch and is returned only after
// commit. A refusal returns an error wrapping ErrMalformed or ErrNotAllowed
// together with the error ack to send; a store failure returns an error
// wrapping ErrStore and no ack. It logs nothing: callers do.
func (in *Ingest) Process(ctx context.Context, edge string, payload []byte) (wire.Ack, error) {
	in.received.Add(1)
	b, err := wire.DecodeBatch(edge, payload)
	if err != nil {
		in.malformed.Add(1)
		return wire.Ack{EdgeID: edge, Error: err.Error()}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	allowLine, err := in.cfg.Edges.Allow(edge)
	if err != nil {
		in.refused.Add(1)
		return wire.Ack{EdgeID: edge, Error: err.Error()}, err
	}
	from, to := b.Events[0].Seq, b.Events[len(b.Events)-1].Seq
	// A hostile or broken event is refused on its own; the rest of the
	// batch is applied and acknowledged as usual.
	valid, rejected := b.Screen(time.Now(), allowLine)
	if len(rejected) > 0 {
		in.rejected.Add(int64(len(rejected)))
		in.log.Warn("refusing events", "edge", edge, "count", len(rejected), "first_seq", rejected[0].Seq, "reason", rejected[0].Reason)
	}
	n := 0
	if len(valid) > 0 {
		b.Events = valid
		ctx, cancel := context.WithTimeout(ctx, in.cfg.ApplyTimeout)
		start := time.Now()
		n, err = in.store.ApplyBatch(ctx, b)
		cancel()
		if err != nil {
			in.storeErrors.Add(1)
			return wire.Ack{}, fmt.Errorf("%w: batch from %d: %w", ErrStore, from, err)
		}
		in.latency.Observe(time.Since(start).Seconds())
	}
	in.applied.Add(int64(n))
	in.duplicates.Add(int64(len(valid) - n))
	in.seqMu.Lock()
	if to > in.lastSeq[edge] {
		in.lastSeq[edge] = to
	}
	in.seqMu.Unlock()
	if n > 0 {
		in.notify()
	}
	return wire.Ack{EdgeID: edge, From: from, To: to, Rejected: rejected}, nil
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
	log := in.log.With("edge", edge)
	ack, err := in.Process(context.Background(), edge, m.Payload())
	switch {
	case errors.Is(err, ErrStore):
		// No ack: the edge keeps the batch and resends it.
		log.Error("storing batch failed; not acknowledged", "err", err)
		return
	case errors.Is(err, ErrMalformed):
		log.Warn("refusing malformed batch", "err", err)
	case errors.Is(err, ErrNotAllowed):
		log.Warn("refusing batch not allowed for this edge", "err", err)
	case err != nil:
		log.Error("batch failed", "err", err)
		return
	default:
		log.Debug("batch committed", "from", ack.From, "to", ack.To)
	}
	in.ack(c, log, ack)
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
