package app

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// leader elects one replica for central's timed work (the exception
// rules' timer, stored shift and day reports, planning triggers and
// proposal expiry, notification rounds with their escalations). On
// PostgreSQL the leader is whoever holds a session advisory lock on a
// connection of its own: when that replica dies the server drops its
// connection and the lock with it, and another replica, trying every
// leaderEvery, takes over; a leader that loses its connection (a ping
// fails) stops its jobs at once. On SQLite there is one replica and it
// always leads. The jobs themselves are idempotent (a stored report's
// revision is a primary key, an exception one open per line, kind and work
// order), so a handover in the middle never does anything twice.
type leader struct {
	log *slog.Logger
	dsn string // "": always leading (SQLite)

	leading atomic.Bool
	pid     atomic.Uint32 // the lock's server backend while leading (tests)
	mu      sync.Mutex
	jobs    []leaderJob
	jobCtx  context.Context
	stopJob context.CancelFunc
	running sync.WaitGroup
	changed func(bool) // may be nil

	cancel context.CancelFunc
	done   chan struct{}
}

type leaderJob struct {
	name string
	fn   func(ctx context.Context)
}

// leaderEvery is how often a follower tries to lead and a leader checks
// its connection: with PostgreSQL dropping a dead replica's connection at
// once (or within tcp_user_timeout), a handover takes at most a few of
// these.
const leaderEvery = time.Second

// leaderKey is the advisory lock's first key ("LX"); the second is a hash
// of the schema, so installs sharing one server (and tests) elect apart.
const leaderKey = 0x4c58

// job runs fn (until its context ends) whenever this replica leads.
// Register before start.
func (l *leader) job(name string, fn func(ctx context.Context)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.jobs = append(l.jobs, leaderJob{name, fn})
}

// Leading reports whether this replica leads now.
func (l *leader) Leading() bool { return l.leading.Load() }

func (l *leader) become() {
	l.mu.Lock()
	l.jobCtx, l.stopJob = context.WithCancel(context.Background())
	for _, j := range l.jobs {
		l.running.Add(1)
		go func() { defer l.running.Done(); j.fn(l.jobCtx) }()
	}
	l.mu.Unlock()
	l.leading.Store(true)
	l.log.Info("leading central's timed work")
	if l.changed != nil {
		l.changed(true)
	}
}

func (l *leader) stepDown(why string) {
	if !l.leading.Load() {
		return
	}
	l.leading.Store(false)
	l.pid.Store(0)
	l.mu.Lock()
	l.stopJob()
	l.mu.Unlock()
	l.running.Wait()
	l.log.Info("no longer leading central's timed work", "why", why)
	if l.changed != nil {
		l.changed(false)
	}
}

// start begins the election (on SQLite: leads at once).
func (l *leader) start() {
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel, l.done = cancel, make(chan struct{})
	if l.dsn == "" {
		l.become()
		close(l.done)
		return
	}
	go func() {
		defer close(l.done)
		var conn *pgx.Conn
		defer func() {
			l.stepDown("shutting down")
			if conn != nil { // closing the connection frees the lock at once
				cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				conn.Close(cctx)
				cancel()
			}
		}()
		for {
			conn = l.round(ctx, conn)
			select {
			case <-ctx.Done():
				return
			case <-time.After(leaderEvery):
			}
		}
	}()
}

// round connects if need be, then as follower tries to take the lock and
// as leader checks that its connection (and so the lock) is still there.
func (l *leader) round(ctx context.Context, conn *pgx.Conn) *pgx.Conn {
	rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	drop := func(why string, err error) *pgx.Conn {
		l.stepDown(why)
		if ctx.Err() == nil {
			l.log.Warn("leader election", "err", err)
		}
		if conn != nil {
			conn.Close(rctx)
		}
		return nil
	}
	if conn == nil {
		cfg, err := pgx.ParseConfig(l.dsn)
		if err != nil {
			return drop("bad dsn", err)
		}
		// The server gives up on a vanished peer within seconds (not the
		// kernel's two hours), so a replica cut off by the network loses
		// the lock about when it notices and stops its jobs.
		cfg.RuntimeParams["tcp_user_timeout"] = "5000"
		cfg.RuntimeParams["tcp_keepalives_idle"] = "2"
		cfg.RuntimeParams["tcp_keepalives_interval"] = "1"
		cfg.RuntimeParams["tcp_keepalives_count"] = "3"
		cfg.RuntimeParams["application_name"] = "linewise-central-leader"
		if conn, err = pgx.ConnectConfig(rctx, cfg); err != nil {
			return drop("connection lost", err)
		}
	}
	if l.leading.Load() {
		if err := conn.Ping(rctx); err != nil {
			return drop("connection lost", err)
		}
		return conn
	}
	var got bool
	if err := conn.QueryRow(rctx, `SELECT pg_try_advisory_lock($1, hashtext(current_schema()))`, leaderKey).Scan(&got); err != nil {
		return drop("connection lost", err)
	}
	if got {
		l.pid.Store(conn.PgConn().PID())
		l.become()
	}
	return conn
}

// stop ends the election and the jobs, freeing the lock; idempotent.
func (l *leader) stop() {
	if l.cancel != nil {
		l.cancel()
		<-l.done
		l.cancel = nil
		l.stepDown("shutting down")
	}
}

// newLeader prepares the election: on PostgreSQL over the configured
// database, on SQLite none. The gauge linewise_central_leader says which
// replica leads.
func (a *App) newLeader() {
	a.lead = leader{log: a.base.With("component", "leader")}
	if a.shared() {
		a.lead.dsn = a.cfg.Database.DSN
	}
	a.metrics.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "linewise_central_leader",
		Help: "1 while this replica runs central's timed work (exception timers, stored reports, planning triggers, notification rounds).",
	}, func() float64 {
		if a.lead.Leading() {
			return 1
		}
		return 0
	}))
}

// Leading reports whether this replica runs the timed work now.
func (a *App) Leading() bool { return a.lead.Leading() }
