// Package app is central's composition root: it builds the store, the
// embedded broker, ingest, the live hub and the HTTP API from a Config, starts
// them in dependency order and shuts them down in the reverse one. It holds no
// business rules and no package-level state, so tests can run many Apps.
package app

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/linewise/linewise/central/broker"
	"github.com/linewise/linewise/central/httpapi"
	"github.com/linewise/linewise/central/ingest"
	"github.com/linewise/linewise/central/live"
	"github.com/linewise/linewise/central/liveness"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/inventory"
	"github.com/linewise/linewise/central/store/purchasing"
	"github.com/linewise/linewise/central/throttle"
)

// Compile-time checks that the store satisfies what its users declare.
var (
	_ httpapi.Store    = (*store.Store)(nil)
	_ ingest.Applier   = (*store.Store)(nil)
	_ httpapi.Ingester = (*ingest.Ingest)(nil)
)

// App is a configured central.
type App struct {
	cfg  Config
	base *slog.Logger // untagged, for the components to tag
	log  *slog.Logger

	store  *store.Store
	inv    *inventory.Store // stock; its hooks run in the store's transactions
	pur    *purchasing.Store
	broker *broker.Broker
	ingest *ingest.Ingest
	hub    *live.Hub
	api    *httpapi.Server
	live   *liveness.Tracker // edge liveness (liveness.go)

	// edgeGuard throttles failed edge credentials (HTTPS and broker).
	edgeGuard *throttle.EdgeGuard
	// metrics is this App's own registry: no global collectors, so tests
	// can run several Apps in one process.
	metrics *prometheus.Registry
	http    *http.Server
	ln      net.Listener

	cancelPush context.CancelFunc
	pushDone   chan struct{}

	plan planRunner      // the rescheduler (planning.go)
	exc  exceptionRunner // exception rules (exceptions.go)
	scan scanRunner      // scan applier (scans.go)
	note notifyRunner    // notifications (notify.go)
	rep  reportRunner    // stored shift and day reports (reports.go)
	repl replicaRunner   // state shared with sibling replicas (replicas.go)
	lead leader          // who runs the timed work (leader.go)
	fan  *fanout         // live updates between replicas (fanout.go); nil on SQLite

	dbLock *os.File // SQLite: this central's exclusive lock (replicas.go)

	shutdownOnce sync.Once
	shutdownErr  error
}

// New checks the configuration; nothing is opened or dialled until Start.
func New(cfg Config, log *slog.Logger) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("central: invalid config: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	return &App{cfg: cfg, base: log, log: log.With("component", "central")}, nil
}

// Start opens the store (applying migrations), creates the bootstrap admin
// if configured and no admin exists, seeds the demo if enabled and the
// database is empty, starts the embedded broker, ingest and HTTP, and
// returns once HTTP is listening. On error, what was started is shut down.
func (a *App) Start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			_ = a.Shutdown(context.Background())
		}
	}()

	if a.cfg.Database.Driver != store.DriverPostgres {
		if a.dbLock, err = lockSQLite(a.cfg); err != nil {
			return err
		}
	}
	if a.store, err = OpenStore(ctx, a.cfg); err != nil {
		return err
	}
	a.newReplicas()
	a.store.SetExecutionRules(a.cfg.Execution)
	// Before the demo seed, so an admin password from the environment wins
	// over the demo's public one.
	if err := a.bootstrapAdmin(ctx); err != nil {
		return err
	}
	if a.cfg.Demo {
		start := a.cfg.DemoStart
		if start.IsZero() {
			start = time.Now()
		}
		loc, err := time.LoadLocation(a.cfg.Planning.Timezone)
		if err != nil {
			return fmt.Errorf("central: demo seed: %w", err)
		}
		seeded, err := SeedDemoWith(ctx, a.store, start, DemoOptions{History: a.cfg.DemoHistory, Location: loc})
		if err != nil {
			return fmt.Errorf("central: demo seed: %w", err)
		}
		if seeded {
			a.log.Info("seeded demo lines and orders", "start", start.UTC().Format(time.RFC3339))
		}
	}

	edges := ingest.NewEdges(a.cfg.EdgeList())
	mqttUser, mqttPass := a.cfg.MQTT.Username, a.cfg.MQTT.Password
	if !edges.Enabled() {
		a.log.Warn("edge authentication is off: no edges are configured, so any client may deliver any edge's batches; list them under edges")
	}
	brokerURL := a.cfg.MQTT.BrokerURL
	a.edgeGuard = throttle.NewEdgeGuard(a.cfg.EdgeAuth, nil, a.base.With("component", "edge-auth"))
	if !a.cfg.EdgeAuth.Enabled() {
		a.log.Warn("edge credential throttling is off: edge_auth.max_failures and edge_auth.ip_max_failures are 0")
	}
	if a.cfg.MQTT.Embedded.Enabled {
		opts := broker.Options{Limits: a.cfg.MQTT.Embedded.Limits()}
		if edges.Enabled() {
			mqttUser = a.cfg.centralUsername()
			if mqttPass == "" {
				if mqttPass, err = randomSecret(); err != nil {
					return fmt.Errorf("central: mqtt password: %w", err)
				}
			}
			opts.Auth = &broker.Auth{CentralUsername: mqttUser, CentralPassword: mqttPass,
				CentralClientID: a.cfg.MQTT.ClientID, Edges: edges, AnonymousTopics: a.cfg.MQTT.Embedded.AnonymousTopics,
				Guard: a.edgeGuard}
		}
		a.broker, err = broker.StartWith(a.cfg.MQTT.Embedded.Listen, opts, a.base.With("component", "broker"))
		if err != nil {
			return fmt.Errorf("central: %w", err)
		}
		a.log.Info("embedded MQTT broker listening", "addr", a.broker.Addr(), "edges", len(a.cfg.Edges))
		if brokerURL == "" {
			brokerURL = "tcp://" + a.broker.Addr()
		}
	}

	a.hub = live.New(16)
	a.startLiveness()
	a.startReplicas()
	a.ingest = ingest.New(ingest.Config{BrokerURL: brokerURL, ClientID: a.cfg.MQTT.ClientID,
		Username: mqttUser, Password: mqttPass, Edges: edges, Liveness: a.live, SharedGroup: a.cfg.MQTT.SharedGroup,
		Limits: a.cfg.Ingest.Limits(), Quarantine: a.store},
		a.applier(), func() { a.api.Notify(); a.plan.poke(); a.exc.poke(); a.scan.poke() }, a.base.With("component", "ingest"))
	a.metrics = prometheus.NewRegistry()
	a.metrics.MustRegister(a.ingest, a.edgeGuard, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.inv = inventory.New(a.store.Handle())
	a.pur = purchasing.New(a.store.Handle(), a.inv, a.cfg.Purchasing)
	if err := a.newNotify(); err != nil {
		return err
	}
	var fan func(string)
	if a.shared() {
		a.fan = newFanout(a.base.With("component", "fanout"), a.store, a.cfg.Database.DSN)
		fan = a.fan.publish
	}
	a.api = httpapi.New(httpapi.Options{Fanout: fan, Store: livenessStore{a.store, a.live}, Hub: a.hub, Log: a.base.With("component", "http"),
		Ingest: a.ingest, Metrics: a.metrics, Edges: a.live, Throttle: a.signInGuard(), Execution: &a.cfg.Execution, EdgeGuard: a.edgeGuard,
		SecureCookies: a.cfg.TLS.HTTPS(), Reports: reportsConfig(a.cfg), Dashboard: &a.cfg.Dashboard, Inventory: a.inv,
		Notifications: a.note.store, Notifier: a.note.svc, Purchasing: a.pur, Cost: a.costing(),
		Review: &a.cfg.Review, Rush: &a.cfg.Rush})
	if !a.cfg.SignIn.Enabled() {
		a.log.Warn("sign-in throttling is off: sign_in.max_failures and sign_in.ip_max_failures are 0")
	}
	a.newLeader()
	pushCtx, cancel := context.WithCancel(context.Background())
	a.cancelPush, a.pushDone = cancel, make(chan struct{})
	go func() { defer close(a.pushDone); a.api.RunPush(pushCtx) }()
	if a.fan != nil {
		if err := a.fan.start(ctx, a.api.NotifyLocal); err != nil {
			return fmt.Errorf("central: live fan-out: %w", err)
		}
	}
	if err := a.startPlanning(); err != nil {
		return err
	}
	if err := a.startExceptions(); err != nil {
		return err
	}
	if err := a.startScans(); err != nil {
		return err
	}
	a.startNotify()
	a.startReports()
	a.lead.start()

	a.ingest.Start()
	if a.broker != nil {
		// Our own broker must take us at once; an external one may be down
		// and ingest keeps retrying in the background.
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := a.ingest.WaitSubscribed(wctx)
		cancel()
		if err != nil {
			return fmt.Errorf("central: %w", err)
		}
	}

	var tlsCfg *tls.Config
	if a.cfg.TLS.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(a.cfg.TLS.CertFile, a.cfg.TLS.KeyFile)
		if err != nil {
			return fmt.Errorf("central: tls.cert_file/tls.key_file: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	a.ln, err = net.Listen("tcp", a.cfg.HTTP)
	if err != nil {
		return fmt.Errorf("central: http: listen on %s: %w", a.cfg.HTTP, err)
	}
	a.http = &http.Server{Handler: a.api.Handler(), ReadHeaderTimeout: 10 * time.Second, TLSConfig: tlsCfg}
	a.http.RegisterOnShutdown(a.api.CloseStreams) // streams never go idle by themselves
	go func() {
		serve := func() error { return a.http.Serve(a.ln) }
		if tlsCfg != nil {
			serve = func() error { return a.http.ServeTLS(a.ln, "", "") }
		}
		if err := serve(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// randomSecret is central's MQTT password when none is configured: only
// central's own client, started in this process, needs to know it.
func randomSecret() (string, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// HTTPAddr is the address HTTP listens on (host:port), once started.
func (a *App) HTTPAddr() string {
	if a.ln == nil {
		return ""
	}
	return a.ln.Addr().String()
}

// BrokerAddr is the embedded broker's host:port, or "" without one.
func (a *App) BrokerAddr() string {
	if a.broker == nil {
		return ""
	}
	return a.broker.Addr()
}

// Store gives tests the store.
func (a *App) Store() *store.Store { return a.store }

// IngestStats returns ingest's running totals.
func (a *App) IngestStats() ingest.Stats {
	if a.ingest == nil {
		return ingest.Stats{}
	}
	return a.ingest.Stats()
}

// Shutdown stops in this order: HTTP intake (open streams are ended, requests
// in flight finish until ctx ends), ingest (the batch in flight commits and is
// acked; later ones stay with the broker or edge), the live push, the
// embedded broker, and last the store. It is idempotent.
func (a *App) Shutdown(ctx context.Context) error {
	a.shutdownOnce.Do(func() {
		var errs []error
		if a.http != nil {
			if err := a.http.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("http shutdown: %w", err))
				a.http.Close()
			}
		} else if a.ln != nil {
			a.ln.Close()
		}
		if a.ingest != nil {
			a.ingest.Stop()
		}
		a.fan.stop()
		if a.cancelPush != nil {
			a.cancelPush()
			<-a.pushDone
		}
		a.lead.stop()
		a.plan.stop()
		a.exc.stop()
		a.scan.stop()
		a.note.stop()
		a.rep.stop()
		a.repl.stop()
		if a.broker != nil {
			if err := a.broker.Close(); err != nil {
				errs = append(errs, fmt.Errorf("broker close: %w", err))
			}
		}
		if a.store != nil {
			if err := a.store.Close(); err != nil {
				errs = append(errs, fmt.Errorf("store close: %w", err))
			}
		}
		a.unlockSQLite()
		a.shutdownErr = errors.Join(errs...)
	})
	return a.shutdownErr
}
