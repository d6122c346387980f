package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/linewise/linewise/central/httpapi"
	"github.com/linewise/linewise/central/store"
)

// fanout carries "something changed" between replicas on one PostgreSQL
// through LISTEN/NOTIFY, so a browser on any replica sees what any replica
// committed. A notification is tiny ("lines <replica>"): it says only what
// to read again; the receiver reads the snapshot from the database as it
// does for its own commits. Notifications are not stored by PostgreSQL, so
// on every (re)connect the listener pushes fresh snapshots of everything
// (the catch-up read): a notification lost while it was away leaves no
// stale dashboard. Publishing coalesces: while one NOTIFY is being sent,
// any number of changes of a kind become one more.
type fanout struct {
	log     *slog.Logger
	st      *store.Store
	dsn     string
	self    string // this replica's id in payloads
	channel string
	local   func(kind string) // push to this replica's streams

	mu      sync.Mutex
	dirty   map[string]bool
	wake    chan struct{}
	cancel  context.CancelFunc
	done    sync.WaitGroup
	started bool
}

// fanoutEvery is the least time between two NOTIFYs of one replica.
const fanoutEvery = 20 * time.Millisecond

func newFanout(log *slog.Logger, st *store.Store, dsn string) *fanout {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &fanout{log: log, st: st, dsn: dsn, self: hex.EncodeToString(b[:]), dirty: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// publish notes that kind changed here; it never blocks.
func (f *fanout) publish(kind string) {
	f.mu.Lock()
	f.dirty[kind] = true
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// start names the channel after the schema (installs sharing one server,
// and tests, stay apart) and runs the publisher and the listener.
func (f *fanout) start(ctx context.Context, local func(kind string)) error {
	var schema string
	if err := f.st.Handle().Read().QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	f.channel, f.local = "linewise_live_"+schema, local
	if len(f.channel) > 63 {
		f.channel = f.channel[:63]
	}
	rctx, cancel := context.WithCancel(context.Background())
	f.cancel, f.started = cancel, true
	f.done.Add(2)
	go func() { defer f.done.Done(); f.publishLoop(rctx) }()
	go func() { defer f.done.Done(); f.listenLoop(rctx) }()
	return nil
}

func (f *fanout) publishLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
		}
		f.mu.Lock()
		kinds := make([]string, 0, len(f.dirty))
		for k := range f.dirty {
			kinds = append(kinds, k)
		}
		clear(f.dirty)
		f.mu.Unlock()
		for _, k := range kinds {
			nctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := f.st.Handle().Read().Exec(nctx, `SELECT pg_notify(?, ?)`, f.channel, k+" "+f.self)
			cancel()
			if err != nil && ctx.Err() == nil {
				f.log.Warn("live fan-out: notify", "kind", k, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(fanoutEvery):
		}
	}
}

func (f *fanout) listenLoop(ctx context.Context) {
	for ctx.Err() == nil {
		if err := f.listen(ctx); err != nil && ctx.Err() == nil {
			f.log.Warn("live fan-out: listening", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// listen holds one LISTEN connection until it fails or ctx ends.
func (f *fanout) listen(ctx context.Context) error {
	cfg, err := pgx.ParseConfig(f.dsn)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["application_name"] = "linewise-central-live"
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := pgx.ConnectConfig(cctx, cfg)
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn.Close(c)
		cancel()
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{f.channel}.Sanitize()); err != nil {
		return err
	}
	// Catch up: whatever was committed while no one listened here.
	f.local(httpapi.PushLines)
	f.local(httpapi.PushExceptions)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		kind, from, _ := strings.Cut(n.Payload, " ")
		if from != f.self {
			f.local(kind)
		}
	}
}

// stop ends both loops; idempotent.
func (f *fanout) stop() {
	if f != nil && f.started {
		f.cancel()
		f.done.Wait()
		f.started = false
	}
}
