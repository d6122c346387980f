// Package agent is the edge agent's composition root: it reads the configured
// devices, turns readings into events through the durable outbox, and sends
// them to central until central has committed them. It must never lose or
// double-count a part, and a slow or dead device, broker or central must
// never stop the others.
package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/drivers"
	"github.com/linewise/linewise/edge/config"
	"github.com/linewise/linewise/edge/outbox"
	"github.com/linewise/linewise/edge/telemetry"
	"github.com/linewise/linewise/edge/uplink"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Agent runs one edge configuration.
type Agent struct {
	cfg  *config.Loaded
	log  *slog.Logger
	ob   *outbox.Outbox
	up   uplink.Uplink
	proc *processor

	readings chan devices.Reading
	wake     chan struct{}

	tel *telemetry.Writer // nil when not configured

	httpSrv  *http.Server
	httpAddr string

	cancel   context.CancelFunc
	devWG    sync.WaitGroup
	loopWG   sync.WaitGroup
	stopOnce sync.Once
	stopErr  error

	started time.Time // reported to central in the edge's status

	// stalled: the uplink was up but central's acks stopped coming while
	// events waited (sender.go); cleared by the next ack progress.
	stalled atomic.Bool

	stats Stats
	devMu sync.Mutex
	devQ  map[string]deviceHealth
}

// Stats are the agent's running totals.
type Stats struct {
	Readings, BadReadings, Events, Batches, Acked, Resends, Rejected atomic.Int64
	// Stalls counts links found stalled (connected, no ack progress).
	Stalls atomic.Int64
}

type deviceHealth struct {
	Quality string    `json:"quality"`
	Error   string    `json:"error,omitempty"`
	At      time.Time `json:"at"`
}

// New opens the outbox; it does not touch devices or the network.
func New(cfg *config.Loaded, log *slog.Logger) (*Agent, error) {
	ob, err := outbox.Open(cfg.DataDir, cfg.EdgeID)
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		log.Warn("configuration: " + w)
	}
	a := &Agent{
		cfg:      cfg,
		log:      log,
		ob:       ob,
		readings: make(chan devices.Reading, 10_000),
		wake:     make(chan struct{}, 1),
		devQ:     map[string]deviceHealth{},
		started:  time.Now(),
	}
	if t := cfg.Telemetry.InfluxDB; t != nil {
		a.tel = telemetry.New(*t, cfg.EdgeID, cfg.Line, log.With("component", "telemetry"))
	}
	a.proc, err = newProcessor(cfg, ob, log, a.tel)
	if err != nil {
		ob.Close()
		return nil, err
	}
	return a, nil
}

// Start connects the uplink, starts every device and the loops, and the
// health endpoint. It returns once they are started, not connected.
func (a *Agent) Start(ctx context.Context) error {
	if a.cfg.HTTP != "" {
		ln, err := net.Listen("tcp", a.cfg.HTTP)
		if err != nil {
			return fmt.Errorf("edge http %s: %w", a.cfg.HTTP, err)
		}
		a.httpAddr = ln.Addr().String()
		a.httpSrv = &http.Server{Handler: a.routes(), ReadHeaderTimeout: 5 * time.Second}
		go a.httpSrv.Serve(ln)
	}
	up, err := a.uplink()
	if err != nil {
		return err
	}
	a.up = up

	ctx, a.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if a.tel != nil {
		a.tel.Start(ctx)
	}
	a.loopWG.Add(2)
	go func() { defer a.loopWG.Done(); a.processLoop(ctx) }()
	go func() { defer a.loopWG.Done(); a.sendLoop(ctx) }()
	for _, d := range a.cfg.Devices {
		a.startDevice(ctx, d)
	}
	a.log.Info("edge agent started", "devices", len(a.cfg.Devices), "outbox_depth", a.ob.Depth())
	return nil
}

// uplink builds the way to central: MQTT, HTTPS, or MQTT with HTTPS as
// its fallback.
func (a *Agent) uplink() (uplink.Uplink, error) {
	c := a.cfg.Central
	log := a.log.With("component", "uplink")
	var h *uplink.HTTPS
	if c.Transport == "https" || c.HTTPSFallback() {
		var err error
		h, err = uplink.NewHTTPS(uplink.HTTPSConfig{URL: c.HTTPS.URL, Token: c.HTTPS.Token, CAFile: c.HTTPS.CAFile,
			InsecureSkipVerify: c.HTTPS.InsecureSkipVerify, EdgeID: a.cfg.EdgeID, Liveness: a.liveness()}, log.With("transport", "https"))
		if err != nil {
			return nil, err
		}
		if c.Transport == "https" {
			return h, nil
		}
	}
	clientID := c.MQTT.ClientID
	if clientID == "" {
		clientID = "linewise-edge-" + a.cfg.EdgeID
	}
	m := uplink.NewMQTT(uplink.MQTTConfig{
		Broker: c.MQTT.Broker, ClientID: clientID, Username: c.MQTT.Username, Password: c.MQTT.Password,
		EdgeID: a.cfg.EdgeID, Liveness: a.liveness(),
	}, log)
	if h == nil {
		return m, nil
	}
	return uplink.NewFailover(m, h, c.FallbackHold, log), nil
}

// Stalled reports whether the uplink is stalled: up, but no ack progress.
func (a *Agent) Stalled() bool { return a.stalled.Load() }

// Stalls is how many times the uplink was found stalled since start.
func (a *Agent) Stalls() int64 { return a.stats.Stalls.Load() }

// HTTPAddr is the health endpoint's address once started.
func (a *Agent) HTTPAddr() string { return a.httpAddr }

// OutboxDepth is the number of events central has not yet committed.
func (a *Agent) OutboxDepth() int64 { return a.ob.Depth() }

// Connected reports whether the uplink is connected.
func (a *Agent) Connected() bool { return a.up != nil && a.up.Connected() }

func (a *Agent) startDevice(ctx context.Context, d drivers.Device) {
	log := a.log.With("device", d.Name)
	if d.Pusher != nil {
		if err := d.Pusher.Start(ctx, func(r devices.Reading) { a.deliver(ctx, d.Name, r) }); err != nil {
			log.Error("device did not start; its signals stay without data", "err", err)
		}
		return
	}
	a.devWG.Add(1)
	go func() {
		defer a.devWG.Done()
		interval := d.PollInterval
		if interval <= 0 {
			interval = time.Second
		}
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			pctx, cancel := context.WithTimeout(ctx, 4*interval+5*time.Second)
			rs := d.Poller.Poll(pctx)
			cancel()
			for _, r := range rs {
				a.deliver(ctx, d.Name, r)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// deliver hands a reading to the processor. It blocks while the processor
// is behind (a full outbox blocks reading, by policy), but never past ctx.
func (a *Agent) deliver(ctx context.Context, device string, r devices.Reading) {
	a.stats.Readings.Add(1)
	if r.Received.IsZero() {
		r.Received = time.Now()
	}
	h := deviceHealth{Quality: r.Quality.String(), At: time.Now().UTC()}
	if r.Quality != devices.Good {
		a.stats.BadReadings.Add(1)
		if r.Err != nil {
			h.Error = r.Err.Error()
		}
	}
	a.devMu.Lock()
	a.devQ[device] = h
	a.devMu.Unlock()
	if a.tel != nil {
		a.tel.Reading(device, r) // never blocks
	}
	select {
	case a.readings <- r:
	case <-ctx.Done():
	}
}

func (a *Agent) processLoop(ctx context.Context) {
	batch := make([]devices.Reading, 0, 1024)
	warned := false
	// Inferred state changes with time alone: check it between readings.
	var inferTick <-chan time.Time
	if in := a.proc.infer; in != nil {
		t := time.NewTicker(max(min(in.IdealCycle/2, 250*time.Millisecond), 20*time.Millisecond))
		defer t.Stop()
		inferTick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-inferTick:
			if n, err := a.proc.tick(ctx); err != nil {
				a.log.Error("outbox write failed for an inferred state change; will retry", "err", err)
			} else if n > 0 {
				a.stats.Events.Add(int64(n))
				select {
				case a.wake <- struct{}{}:
				default:
				}
			}
			continue
		case r := <-a.readings:
			batch = append(batch[:0], r)
		}
	drain:
		for len(batch) < cap(batch) {
			select {
			case r := <-a.readings:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		// A full outbox blocks reading rather than dropping a count.
		for a.ob.Depth() >= int64(a.cfg.Outbox.MaxEvents) {
			a.log.Error("outbox full: reading is paused until central acknowledges events", "depth", a.ob.Depth(), "max", a.cfg.Outbox.MaxEvents)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
		if fill := float64(a.ob.Depth()) / float64(a.cfg.Outbox.MaxEvents); fill >= a.cfg.Outbox.WarnAt && !warned {
			warned = true
			a.log.Warn("outbox nearly full", "depth", a.ob.Depth(), "max", a.cfg.Outbox.MaxEvents)
		} else if fill < a.cfg.Outbox.WarnAt/2 {
			warned = false
		}
		for {
			n, err := a.proc.process(ctx, batch)
			if err == nil {
				a.stats.Events.Add(int64(n))
				if n > 0 {
					select {
					case a.wake <- struct{}{}:
					default:
					}
				}
				break
			}
			// The disk refused the write: nothing was committed, so retry
			// the same readings rather than skip them.
			a.log.Error("outbox write failed, retrying", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}
}

// Shutdown stops in a written order: devices (no new readings), processor
// (everything read is on disk), sender, uplink, outbox, health endpoint.
// Unsent events stay in the outbox for the next start. Idempotent.
func (a *Agent) Shutdown(ctx context.Context) error {
	a.stopOnce.Do(func() {
		var errs []error
		for _, d := range a.cfg.Devices {
			if d.Pusher != nil {
				if err := d.Pusher.Stop(ctx); err != nil {
					errs = append(errs, fmt.Errorf("device %s: %w", d.Name, err))
				}
			}
		}
		if a.cancel != nil {
			a.cancel()
		}
		waitCtx(ctx, &a.devWG)
		waitCtx(ctx, &a.loopWG)
		for _, d := range a.cfg.Devices {
			if d.Poller != nil {
				d.Poller.Close()
			}
		}
		if a.up != nil {
			a.up.Close()
		}
		if a.tel != nil {
			if err := a.tel.Stop(ctx); err != nil {
				a.log.Warn("telemetry not fully flushed", "err", err)
			}
		}
		if a.httpSrv != nil {
			a.httpSrv.Shutdown(ctx)
		}
		errs = append(errs, a.ob.Close())
		a.stopErr = errors.Join(errs...)
	})
	return a.stopErr
}

func waitCtx(ctx context.Context, wg *sync.WaitGroup) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Run starts the agent and blocks until ctx ends, then shuts down within 10 s.
func Run(ctx context.Context, cfg *config.Loaded, log *slog.Logger) error {
	a, err := New(cfg, log)
	if err != nil {
		return err
	}
	if err := a.Start(ctx); err != nil {
		a.Shutdown(context.Background())
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return a.Shutdown(sctx)
}

func (a *Agent) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		a.devMu.Lock()
		devs := make(map[string]deviceHealth, len(a.devQ))
		for k, v := range a.devQ {
			devs[k] = v
		}
		a.devMu.Unlock()
		status := "ok"
		if a.stalled.Load() {
			status = "degraded" // connected, but central's acks stopped
		}
		body := map[string]any{
			"status":       status,
			"stalled":      a.stalled.Load(),
			"stalls":       a.stats.Stalls.Load(),
			"edge_id":      a.cfg.EdgeID,
			"line":         a.cfg.Line,
			"connected":    a.Connected(),
			"outbox_depth": a.ob.Depth(),
			"readings":     a.stats.Readings.Load(),
			"bad_readings": a.stats.BadReadings.Load(),
			"events":       a.stats.Events.Load(),
			"acked":        a.stats.Acked.Load(),
			"resends":      a.stats.Resends.Load(),
			"devices":      devs,
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(body)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.metrics(), promhttp.HandlerOpts{}))
	return mux
}

// liveness is what the uplink tells central about this agent: its build's
// version, when it started and how often it says it is alive.
func (a *Agent) liveness() uplink.Liveness {
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	return uplink.Liveness{Version: v, StartedAt: a.started, Heartbeat: a.cfg.Central.Heartbeat, Backlog: a.backlog}
}

// backlog is what the heartbeat reports: events central has not
// acknowledged and how long the oldest has waited.
func (a *Agent) backlog() (int64, time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	age, err := a.ob.OldestUnacked(ctx)
	if err != nil {
		a.log.Debug("outbox age for the heartbeat", "err", err)
	}
	return a.ob.Depth(), age
}
