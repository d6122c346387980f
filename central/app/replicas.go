package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/linewise/linewise/central/liveness"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/replicas"
	"github.com/linewise/linewise/central/throttle"
)

// Several replicas (issue #17). On PostgreSQL any number of centrals may
// share the database: what one replica used to keep in memory and another
// must see is kept there (store/replicas). On SQLite there is one replica:
// it holds an exclusive lock on the database file and a second central on
// the same file refuses to start.

// sqlitePath is the database file of a SQLite DSN, or "" when there is
// none to lock (an in-memory database).
func sqlitePath(cfg Config) string {
	dsn := cfg.Database.DSN
	if dsn == "" {
		return filepath.Join(cfg.DataDir, "central.db")
	}
	p := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		if strings.Contains(p[i:], "mode=memory") {
			return ""
		}
		p = p[:i]
	}
	if p == "" || p == ":memory:" {
		return ""
	}
	return p
}

// lockSQLite takes an exclusive lock on <database>.lock for as long as this
// central runs (the kernel drops it when the process dies, even by
// SIGKILL). The file holds the holder's pid for the message a second
// central prints.
func lockSQLite(cfg Config) (*os.File, error) {
	path := sqlitePath(cfg)
	if path == "" {
		return nil, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("central: data_dir %s: %w", filepath.Dir(path), err)
	}
	lock := path + ".lock"
	f, err := os.OpenFile(lock, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("central: lock %s: %w", lock, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(lock)
		f.Close()
		who := "another central"
		if pid := strings.TrimSpace(string(holder)); pid != "" {
			who += " (pid " + pid + ")"
		}
		return nil, fmt.Errorf("central: the SQLite database %s is already served by %s, holding %s: "+
			"SQLite serves one replica only; to run several replicas use PostgreSQL (database.driver: postgres)", path, who, lock)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return f, nil
}

// unlockSQLite releases the lock (closing the file releases the flock).
func (a *App) unlockSQLite() {
	if a.dbLock != nil {
		a.dbLock.Close()
		a.dbLock = nil
	}
}

// shared reports whether this central may have sibling replicas.
func (a *App) shared() bool { return a.store != nil && a.store.Driver() == store.DriverPostgres }

// signInGuard is the sign-in throttle: counts in the database on
// PostgreSQL (one budget for all replicas), in memory on SQLite.
func (a *App) signInGuard() throttle.Guard {
	if a.shared() {
		return throttle.NewShared(a.cfg.SignIn, a.repl.st, nil, a.base.With("component", "sign-in"))
	}
	return throttle.New(a.cfg.SignIn, nil)
}

// replicaRunner shares edge liveness between replicas: what this replica
// hears is written to edge_liveness (coalesced per edge, at most once a
// second), and every second what all replicas wrote is read back.
type replicaRunner struct {
	st     *replicas.Store
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	pending map[string]liveness.Word
}

// replicaEvery is how often liveness is shared.
const replicaEvery = time.Second

// newReplicas builds the shared store (before the API, which throttles
// through it).
func (a *App) newReplicas() {
	a.repl.st = replicas.New(a.store.Handle())
}

// startReplicas starts sharing liveness; nothing on SQLite.
func (a *App) startReplicas() {
	if !a.shared() {
		return
	}
	r := &a.repl
	r.pending = map[string]liveness.Word{}
	a.live.SetRecorder(r.note)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	log := a.base.With("component", "replicas")
	go func() {
		defer close(r.done)
		t := time.NewTicker(replicaEvery)
		defer t.Stop()
		for {
			if err := r.share(ctx, a.live); err != nil && ctx.Err() == nil {
				log.Warn("sharing edge liveness", "err", err)
			}
			select {
			case <-ctx.Done():
				// What was heard last still goes out.
				fctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				_ = r.flush(fctx)
				cancel()
				return
			case <-t.C:
			}
		}
	}()
}

// note merges w into what waits to be written.
func (r *replicaRunner) note(w liveness.Word) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.pending[w.Edge]
	if w.SeenAt.After(p.SeenAt) {
		p.SeenAt = w.SeenAt
	}
	if w.CommitAt.After(p.CommitAt) {
		p.CommitAt = w.CommitAt
	}
	if !w.StatusAt.IsZero() && !w.StatusAt.Before(p.StatusAt) {
		p.StatusAt, p.Status, p.Version, p.StartedAt, p.OutboxDepth, p.OldestUnackedS =
			w.StatusAt, w.Status, w.Version, w.StartedAt, w.OutboxDepth, w.OldestUnackedS
	}
	p.Edge = w.Edge
	r.pending[w.Edge] = p
}

func (r *replicaRunner) flush(ctx context.Context) error {
	r.mu.Lock()
	words := make([]liveness.Word, 0, len(r.pending))
	for _, w := range r.pending {
		words = append(words, w)
	}
	clear(r.pending)
	r.mu.Unlock()
	if err := r.st.RecordLiveness(ctx, words); err != nil {
		for _, w := range words { // try again next round
			r.note(w)
		}
		return err
	}
	return nil
}

// share writes what this replica heard and applies what all heard.
func (r *replicaRunner) share(ctx context.Context, t *liveness.Tracker) error {
	if err := r.flush(ctx); err != nil {
		return err
	}
	words, err := r.st.ReadLiveness(ctx)
	if err != nil {
		return err
	}
	for _, w := range words {
		t.Apply(w)
	}
	return nil
}

// stop ends the loop after a last write; idempotent.
func (r *replicaRunner) stop() {
	if r.cancel != nil {
		r.cancel()
		<-r.done
		r.cancel = nil
	}
}
