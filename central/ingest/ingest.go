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
	"strings"
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
	// SharedGroup, when set, takes the edges' batches through the shared
	// subscription $share/<group>/…: the broker gives each batch to one
	// member of the group. Statuses are subscribed to unshared, so every
	// replica hears every edge's status.
	SharedGroup string
	// Edges, when enabled, lists who may deliver which lines; nil accepts all.
	Edges *Edges
	// ApplyTimeout bounds one batch's transaction; 0 means 10s.
	ApplyTimeout time.Duration
	// Liveness, when set, hears of every batch an allowed edge sends and
	// every status it publishes (central/liveness).
	Liveness Liveness
	// Limits bound every event (issue #10); zero fields take wire's defaults.
	Limits wire.Limits
	// Quarantine, when set, keeps every refused event before its refusal
	// is acknowledged; without it refusals are only logged and counted.
	Quarantine Quarantiner
}

// Quarantiner keeps refused events: each once, in one transaction, before
// they are acknowledged (central/store implements it). It returns how many
// were new.
type Quarantiner interface {
	Quarantine(ctx context.Context, edge string, refused []wire.Refused) (int, error)
}

// Liveness is told when an edge speaks. Both must be quick and not block.
type Liveness interface {
	Seen(edge string)
	Status(s wire.Status)
	// Committed: new events of edge were committed (not only duplicates),
	// which tells a draining backlog from a stalled one.
	Committed(edge string)
}

// Stats are running totals since start.
type Stats struct {
	Received    int64 `json:"received"`     // batches received
	Applied     int64 `json:"applied"`      // events newly stored
	Duplicates  int64 `json:"duplicates"`   // events already stored
	Malformed   int64 `json:"malformed"`    // batches refused as malformed
	Refused     int64 `json:"refused"`      // batches refused as not allowed (unknown edge)
	Rejected    int64 `json:"rejected"`     // single events refused (invalid, out of bounds, line not the edge's)
	Quarantined int64 `json:"quarantined"`  // refused events newly kept in quarantine
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

	// MQTT batches are decoded on paho's goroutine and applied on run's, so
	// the next batch is decoded while the previous one commits. mu guards
	// stopped; quit tells both sides to stop taking batches, and done is
	// closed when run has finished the group in flight. A batch still queued
	// then is never acknowledged, to the edge or to the broker: it comes back.
	mu      sync.Mutex
	stopped bool
	started bool
	queue   chan *job
	quit    chan struct{}
	done    chan struct{}

	received, applied, duplicates, malformed, refused, rejected, quarantined, storeErrors atomic.Int64

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
		queue: make(chan *job, queueBatches), quit: make(chan struct{}), done: make(chan struct{}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "linewise_ingest_batch_commit_seconds",
			Help:    "Time to apply and commit one transaction in the store: one batch, or several of one edge that were queued together.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16), // 0.5ms .. ~16s
		}),
		lastSeq: map[string]uint64{},
	}
}

// Start connects (retrying in the background if the broker is not up) and
// subscribes on every (re)connect.
func (in *Ingest) Start() {
	in.mu.Lock()
	if in.started || in.stopped {
		in.mu.Unlock()
		return
	}
	in.started = true
	in.mu.Unlock()
	go in.run()
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
		// The broker's PUBACK follows our commit (or refusal), as the ack
		// to the edge does: a batch central took but never finished is
		// redelivered by the broker as well as resent by the edge.
		SetAutoAckDisabled(true).
		// With a persistent session the broker may deliver queued batches
		// before our Subscribe call registers its handler.
		SetDefaultPublishHandler(in.handle).
		SetOnConnectHandler(func(c paho.Client) {
			in.log.Info("connected to broker", "broker", in.cfg.BrokerURL)
			events := wire.EventsWildcard
			if in.cfg.SharedGroup != "" {
				events = "$share/" + in.cfg.SharedGroup + "/" + events
			}
			tok := c.SubscribeMultiple(map[string]byte{events: 1, wire.StatusWildcard: 1}, in.handle)
			if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				in.log.Error("subscribe failed; reconnecting", "topic", events, "err", tok.Error())
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

// Stop waits for the batches being applied, refuses further ones and
// disconnects. Safe to call twice.
func (in *Ingest) Stop() {
	in.mu.Lock()
	was, started := in.stopped, in.started
	in.stopped = true
	if !was {
		close(in.quit)
	}
	in.mu.Unlock()
	if was {
		return
	}
	if started {
		<-in.done
	}
	if in.client != nil {
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
		Quarantined: in.quarantined.Load(),
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
	j := in.prepare(edge, payload)
	if j.err != nil {
		return j.ack, j.err
	}
	if err := in.apply(ctx, []*job{j}); err != nil {
		return wire.Ack{}, err
	}
	return j.ack, nil
}

// job is one batch on its way through: decoded and screened by prepare,
// then stored (with the batches queued behind it) by apply.
type job struct {
	edge  string
	b     wire.Batch     // the events to apply: those that passed Screen
	bad   []wire.Refused // the events Screen refused, for the quarantine
	ack   wire.Ack       // once apply succeeds, or at once when err is set
	err   error          // the batch is refused as a whole (ErrMalformed, ErrNotAllowed)
	msg   paho.Message
	cl    paho.Client
	bytes int
}

// prepare decodes and screens a batch. A refused batch comes back with err
// and the error ack set.
func (in *Ingest) prepare(edge string, payload []byte) *job {
	in.received.Add(1)
	j := &job{edge: edge, bytes: len(payload)}
	b, err := wire.DecodeBatch(edge, payload)
	if err != nil {
		in.malformed.Add(1)
		j.ack, j.err = wire.Ack{EdgeID: edge, Error: err.Error()}, fmt.Errorf("%w: %w", ErrMalformed, err)
		return j
	}
	allowLine, err := in.cfg.Edges.Allow(edge)
	if err != nil {
		in.refused.Add(1)
		j.ack, j.err = wire.Ack{EdgeID: edge, Error: err.Error()}, err
		return j
	}
	if in.cfg.Liveness != nil {
		in.cfg.Liveness.Seen(edge)
	}
	from, to := b.Events[0].Seq, b.Events[len(b.Events)-1].Seq
	// A hostile or broken event is refused on its own; the rest of the
	// batch is applied and acknowledged as usual.
	valid, bad := b.ScreenWith(time.Now(), in.cfg.Limits, allowLine)
	if len(bad) > 0 {
		in.rejected.Add(int64(len(bad)))
		in.log.Warn("refusing events", "edge", edge, "count", len(bad), "first_seq", bad[0].Seq, "reason", bad[0].Reason)
	}
	b.Events = valid
	j.b, j.bad = b, bad
	j.ack = wire.Ack{EdgeID: edge, From: from, To: to, Rejected: wire.Rejections(bad)}
	return j
}

// apply stores the valid events of one edge's prepared batches in one
// transaction. Only after it commits do their acks stand; on error none of
// them does, and the error wraps ErrStore.
func (in *Ingest) apply(ctx context.Context, jobs []*job) error {
	var b wire.Batch
	if len(jobs) == 1 {
		b = jobs[0].b
	} else {
		b = wire.Batch{Version: wire.Version, EdgeID: jobs[0].edge}
		n := 0
		for _, j := range jobs {
			n += len(j.b.Events)
		}
		b.Events = make([]wire.Event, 0, n)
		for _, j := range jobs {
			b.Events = append(b.Events, j.b.Events...)
		}
	}
	// The refused events first: once the ack below is sent the edge drops
	// them, so they must be kept before. A resend quarantines nothing twice.
	quarantined := 0
	if in.cfg.Quarantine != nil {
		for _, j := range jobs {
			if len(j.bad) == 0 {
				continue
			}
			qctx, cancel := context.WithTimeout(ctx, in.cfg.ApplyTimeout)
			k, err := in.cfg.Quarantine.Quarantine(qctx, j.edge, j.bad)
			cancel()
			if err != nil {
				in.storeErrors.Add(int64(len(jobs)))
				return fmt.Errorf("%w: quarantine of batch from %d: %w", ErrStore, j.ack.From, err)
			}
			quarantined += k
		}
		in.quarantined.Add(int64(quarantined))
	}
	n := 0
	if len(b.Events) > 0 {
		ctx, cancel := context.WithTimeout(ctx, in.cfg.ApplyTimeout)
		start := time.Now()
		var err error
		n, err = in.store.ApplyBatch(ctx, b)
		cancel()
		if err != nil {
			in.storeErrors.Add(int64(len(jobs)))
			return fmt.Errorf("%w: batch from %d: %w", ErrStore, jobs[0].ack.From, err)
		}
		in.latency.Observe(time.Since(start).Seconds())
	}
	in.applied.Add(int64(n))
	in.duplicates.Add(int64(len(b.Events) - n))
	to := jobs[len(jobs)-1].ack.To
	in.seqMu.Lock()
	if to > in.lastSeq[jobs[0].edge] {
		in.lastSeq[jobs[0].edge] = to
	}
	in.seqMu.Unlock()
	if n > 0 && in.cfg.Liveness != nil {
		in.cfg.Liveness.Committed(jobs[0].edge)
	}
	if n > 0 || quarantined > 0 {
		in.notify()
	}
	return nil
}

// Queueing and grouping of MQTT batches. An edge keeps several batches in
// flight; when central falls behind they queue here, and one transaction
// then stores all that are waiting, up to groupEvents events: what a
// commit costs (statements, round trips, the WAL flush) is paid once per
// group, not per batch. Under light load a group is a single batch and
// nothing waits for company. The queue holds twice an edge's default window
// (8 batches): enough to group, and a bound on decoded batches in memory.
const (
	queueBatches = 16
	groupEvents  = 8000
	groupBytes   = 4 * wire.MaxBatchBytes
)

// handle runs on paho's delivery goroutine, one message at a time and in
// arrival order: it decodes and queues, so decoding overlaps the commit of
// the batches before; run keeps that order.
func (in *Ingest) handle(c paho.Client, m paho.Message) {
	in.mu.Lock()
	stopped := in.stopped
	in.mu.Unlock()
	if stopped {
		return // no PUBACK either: the broker keeps it for our next session
	}
	edge, ok := wire.EdgeFromTopic(m.Topic())
	if !ok {
		// No edge id means nowhere to send an ack: log and move on.
		in.malformed.Add(1)
		in.log.Warn("message on unexpected topic", "topic", m.Topic())
		m.Ack()
		return
	}
	if strings.HasSuffix(m.Topic(), "/status") {
		in.status(edge, m.Payload())
		m.Ack()
		return
	}
	j := in.prepare(edge, m.Payload())
	j.msg, j.cl = m, c
	select {
	case in.queue <- j:
	case <-in.quit:
	}
}

// status hands an edge's status (or its will) to Liveness. The broker lets
// an edge publish only its own status topic; the payload must name it too.
func (in *Ingest) status(edge string, payload []byte) {
	if len(payload) == 0 {
		return // a retained status being cleared
	}
	s, err := wire.DecodeStatus(edge, payload)
	if err != nil {
		in.log.Warn("ignoring malformed edge status", "edge", edge, "err", err)
		return
	}
	if _, err := in.cfg.Edges.Allow(edge); err != nil {
		in.log.Warn("ignoring status of an edge not configured", "edge", edge)
		return
	}
	in.log.Debug("edge status", "edge", edge, "status", s.Status)
	if in.cfg.Liveness != nil {
		in.cfg.Liveness.Status(s)
	}
}

// Status takes an edge's status over HTTPS (its heartbeat), for the edge
// its token authenticated: malformed ones are refused with ErrMalformed.
func (in *Ingest) Status(edge string, payload []byte) error {
	s, err := wire.DecodeStatus(edge, payload)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if in.cfg.Liveness != nil {
		in.cfg.Liveness.Status(s)
	}
	return nil
}

// run applies queued batches in arrival order, grouping consecutive ones
// of the same edge, and acknowledges each only after its group committed.
func (in *Ingest) run() {
	defer close(in.done)
	var next *job // taken from the queue but of another edge than the group
	for {
		first := next
		next = nil
		if first == nil {
			select {
			case first = <-in.queue:
			case <-in.quit:
				return
			}
		}
		select {
		case <-in.quit:
			return // first is not acknowledged and comes back
		default:
		}
		group := []*job{first}
		events, bytes := len(first.b.Events), first.bytes
	fill:
		for events < groupEvents && bytes < groupBytes {
			select {
			case j := <-in.queue:
				if j.edge != first.edge {
					next = j
					break fill
				}
				group = append(group, j)
				events, bytes = events+len(j.b.Events), bytes+j.bytes
			default:
				break fill
			}
		}
		in.finish(group)
	}
}

// finish stores a group of one edge's batches and acknowledges each, in order.
func (in *Ingest) finish(group []*job) {
	log := in.log.With("edge", group[0].edge)
	var ok []*job
	for _, j := range group {
		switch {
		case errors.Is(j.err, ErrMalformed):
			log.Warn("refusing malformed batch", "err", j.err)
		case errors.Is(j.err, ErrNotAllowed):
			log.Warn("refusing batch not allowed for this edge", "err", j.err)
		case j.err != nil:
			log.Error("batch failed", "err", j.err)
		default:
			ok = append(ok, j)
		}
	}
	if len(ok) > 0 {
		if err := in.apply(context.Background(), ok); err != nil {
			// No ack: the edge keeps the batches and resends them.
			log.Error("storing batch failed; not acknowledged", "batches", len(ok), "err", err)
			for _, j := range ok {
				j.err = err
			}
		}
	}
	for _, j := range group {
		switch {
		case j.err == nil:
			log.Debug("batch committed", "from", j.ack.From, "to", j.ack.To)
			in.ack(j.cl, log, j.ack)
		case errors.Is(j.err, ErrMalformed), errors.Is(j.err, ErrNotAllowed):
			in.ack(j.cl, log, j.ack) // the error ack: the edge must not resend
		}
		// The broker's PUBACK in every case, as before the queue: a batch
		// not stored comes back from the edge, which still holds it.
		j.msg.Ack()
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
