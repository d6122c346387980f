// Package linesim simulates production lines and serves their counters,
// state and fault codes over OPC UA, Modbus TCP and MQTT, with an HTTP API for
// the ground truth and for injecting faults. It exists so drivers, the edge
// agent and end-to-end tests have a deterministic plant to talk to.
//
// The sequence of part outcomes and short stops depends only on the seed and
// the line config; the wall clock only maps simulated time to real time. The
// simulator must never let a slow or absent consumer (an MQTT broker that is
// down, a hung client) block production.
package linesim

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopcua/opcua/server"
	mbserver "github.com/simonvetter/modbus"
)

// ErrUnknownLine is returned by the controls for a line id not configured.
var ErrUnknownLine = errors.New("unknown line")

// LineTruth is what really happened on a line since the simulator started.
type LineTruth struct {
	Line          string `json:"line"`
	Made          uint64 `json:"made"`
	Good          uint64 `json:"good"`
	Reject        uint64 `json:"reject"`
	State         string `json:"state"`
	StateCode     int32  `json:"state_code"`
	Fault         int32  `json:"fault"`
	GoodCounter   uint64 `json:"good_counter"`   // raw, wrapped, reset by power cycle
	RejectCounter uint64 `json:"reject_counter"` // raw, wrapped, reset by power cycle

	Order       string `json:"order"`       // current work order code
	Product     string `json:"product"`     // its product ("" without changeover.products)
	OrderMade   uint64 `json:"order_made"`  // parts made in the current order
	Orders      int    `json:"orders"`      // work orders started, the current one included
	Changeovers uint64 `json:"changeovers"` // setups completed
	Scans       uint64 `json:"scans"`       // codes the scanner read (GET /lines/{id}/scans)
	QCResults   uint64 `json:"qc_results"`  // QC measurements (GET /lines/{id}/qc)
	QCPass      uint64 `json:"qc_pass"`
	QCFail      uint64 `json:"qc_fail"`
}

// snapshot is a line's observable values with the real times they changed.
type snapshot struct {
	LineTruth
	state                     State
	stateAt, goodAt, rejectAt time.Time
	goodWraps, rejectWraps    uint64
	orderAt                   time.Time
	changes                   uint64
}

type line struct {
	idx int
	id  string
	mu  sync.Mutex
	m   *model

	scanner          *scanHub // nil without scanner.address
	scanSeen, qcSeen uint64   // last records dispatched; runLine only
}

// Sim is a running simulator. Create it with New, then Start and Stop.
type Sim struct {
	cfg   Config
	log   *slog.Logger
	lines []*line
	byID  map[string]*line

	clockOffset atomic.Int64 // PLC clocks minus the wall clock, ns

	mu      sync.Mutex // guards the fields below
	started bool
	start   time.Time // real time of simulated time 0
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	stopped bool

	httpSrv    *http.Server
	httpAddr   string
	modbusSrv  *mbserver.ModbusServer
	modbusAddr string
	opcSrv     *server.Server
	opcURL     string
	opcWake    chan struct{}
	opcCert    []byte          // DER, with opcua.security; guarded by faults.mu
	opcKey     *rsa.PrivateKey // guarded by faults.mu
	pub        *publisher

	faults faultState // on-demand server faults, see faults.go
}

// New validates cfg and builds the simulator without opening any socket.
func New(cfg Config, log *slog.Logger) (*Sim, error) {
	if log == nil {
		log = slog.Default()
	}
	for i := range cfg.Lines {
		cfg.Lines[i] = cfg.Lines[i].withDefaults()
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("linesim config: %w", err)
	}
	s := &Sim{cfg: cfg, log: log, byID: map[string]*line{}}
	s.clockOffset.Store(int64(cfg.ClockOffset))
	for i, lc := range cfg.Lines {
		l := &line{idx: i, id: lc.ID, m: newModel(cfg.Seed, lc)}
		s.lines = append(s.lines, l)
		s.byID[lc.ID] = l
	}
	return s, nil
}

// simNow maps the wall clock to simulated time; 0 before Start.
func (s *Sim) simNow() time.Duration {
	s.mu.Lock()
	start, ok := s.start, s.started
	s.mu.Unlock()
	if !ok {
		return 0
	}
	return time.Duration(float64(time.Since(start)) * s.cfg.Speed)
}

// realAt maps a simulated instant back to the wall clock.
func (s *Sim) realAt(sim time.Duration) time.Time {
	s.mu.Lock()
	start := s.start
	s.mu.Unlock()
	if start.IsZero() {
		return time.Now().Add(time.Duration(s.clockOffset.Load()))
	}
	return start.Add(time.Duration(float64(sim)/s.cfg.Speed) + time.Duration(s.clockOffset.Load()))
}

// SetClockOffset sets how far the simulated PLCs' clocks run from the wall
// clock (positive: ahead), from now on.
func (s *Sim) SetClockOffset(d time.Duration) { s.clockOffset.Store(int64(d)) }

// snap advances l to now and returns its observable values.
func (s *Sim) snap(l *line) snapshot {
	now := s.simNow()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.m.advance(now)
	return s.snapLocked(l)
}

func (s *Sim) snapLocked(l *line) snapshot {
	m := l.m
	return snapshot{
		LineTruth: LineTruth{
			Line: l.id, Made: m.made, Good: m.good, Reject: m.reject,
			State: m.state.String(), StateCode: int32(m.state), Fault: m.fault,
			GoodCounter: m.goodCtr, RejectCounter: m.rejectCtr,
			Order: m.order, Product: m.product, OrderMade: m.inOrder, Orders: m.orderSeq,
			Changeovers: m.changeovers, Scans: m.events.nScan, QCResults: m.events.nQC,
			QCPass: m.events.qcPass, QCFail: m.events.qcFail,
		},
		orderAt:   s.realAt(m.orderChange),
		state:     m.state,
		stateAt:   s.realAt(m.stateChange),
		goodWraps: m.goodWraps, rejectWraps: m.rejectWraps,
		goodAt:   s.realAt(m.goodChange),
		rejectAt: s.realAt(m.rejChange),
		changes:  m.changes,
	}
}

// Truth returns the ground truth of every line, in configuration order.
func (s *Sim) Truth() []LineTruth {
	out := make([]LineTruth, len(s.lines))
	for i, l := range s.lines {
		out[i] = s.snap(l).LineTruth
	}
	return out
}

func (s *Sim) control(id string, f func(m *model, now time.Duration)) (LineTruth, error) {
	l, ok := s.byID[id]
	if !ok {
		return LineTruth{}, fmt.Errorf("line %q: %w", id, ErrUnknownLine)
	}
	now := s.simNow()
	l.mu.Lock()
	f(l.m, now)
	sn := s.snapLocked(l)
	l.mu.Unlock()
	s.changed()
	return sn.LineTruth, nil
}

// StopLine stops production (state idle, counters frozen) and returns the
// truth at that instant.
func (s *Sim) StopLine(id string) (LineTruth, error) {
	return s.control(id, func(m *model, now time.Duration) { m.stopProduction(now) })
}

// StartLine resumes production.
func (s *Sim) StartLine(id string) (LineTruth, error) {
	return s.control(id, func(m *model, now time.Duration) { m.startProduction(now) })
}

// PowerCycle resets the line's raw counters to zero; the truth keeps counting.
func (s *Sim) PowerCycle(id string) (LineTruth, error) {
	return s.control(id, func(m *model, now time.Duration) { m.powerCycle(now) })
}

// Breakdown puts the line down with fault for d of simulated time.
func (s *Sim) Breakdown(id string, d time.Duration, fault int32) (LineTruth, error) {
	return s.control(id, func(m *model, now time.Duration) { m.breakdown(now, d, fault) })
}

func (s *Sim) changed() {
	if s.pub != nil {
		s.pub.poke()
	}
	if s.opcWake != nil {
		select {
		case s.opcWake <- struct{}{}:
		default:
		}
	}
}

// Start binds every listener and starts production. It returns once the
// servers listen; the MQTT connection is made in the background.
func (s *Sim) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("linesim: already started")
	}
	s.mu.Unlock()
	rctx, cancel := context.WithCancel(context.Background())
	s.faults.ctx = rctx
	fail := func(err error) error {
		cancel()
		s.closeServers()
		return err
	}
	ln, err := net.Listen("tcp", s.cfg.HTTP)
	if err != nil {
		return fail(fmt.Errorf("linesim http %s: %w", s.cfg.HTTP, err))
	}
	s.httpAddr = ln.Addr().String()
	s.httpSrv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	if s.cfg.Modbus.Address != "" {
		if err := s.startModbus(); err != nil {
			return fail(err)
		}
	}
	if s.cfg.OPCUA.Host != "" {
		if err := s.startOPCUA(rctx); err != nil {
			return fail(err)
		}
		s.opcWake = make(chan struct{}, 1)
		go s.notifyOPCUA(rctx) // not in wg: gopcua may block it; it ends with rctx
		if s.cfg.BenchTags > 0 {
			go s.notifyBench(rctx) // likewise
		}
	}
	if err := s.startScanners(); err != nil {
		return fail(err)
	}
	if s.cfg.MQTT.Broker != "" {
		s.pub = newPublisher(s)
		s.pub.start(rctx, &s.wg)
	}

	s.mu.Lock()
	s.started, s.start, s.cancel = true, time.Now(), cancel
	s.mu.Unlock()
	for _, l := range s.lines {
		s.wg.Add(1)
		go s.runLine(rctx, l)
	}
	s.log.Info("linesim started", "http", s.httpAddr, "modbus", s.modbusAddr, "opcua", s.opcURL,
		"mqtt", s.cfg.MQTT.Broker, "lines", len(s.lines), "seed", s.cfg.Seed, "speed", s.cfg.Speed)
	return nil
}

// runLine advances one line's simulated time in small real-time ticks.
func (s *Sim) runLine(ctx context.Context, l *line) {
	defer s.wg.Done()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	var last uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if sn := s.snap(l); sn.changes != last {
			last = sn.changes
			s.changed()
		}
		s.dispatch(l)
	}
}

// Stop stops production and closes every server. It is idempotent.
func (s *Sim) Stop(ctx context.Context) error {
	s.mu.Lock()
	if s.stopped || !s.started {
		s.stopped = true
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	cancel := s.cancel
	s.mu.Unlock()
	cancel()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
	if s.httpSrv != nil {
		sctx, c := context.WithTimeout(ctx, 2*time.Second)
		_ = s.httpSrv.Shutdown(sctx)
		c()
	}
	s.closeServers()
	s.log.Info("linesim stopped")
	return nil
}

func (s *Sim) closeServers() {
	if s.httpSrv != nil {
		_ = s.httpSrv.Close()
	}
	s.faults.mu.Lock()
	mb, opc := s.modbusSrv, s.opcSrv
	s.modbusSrv, s.opcSrv = nil, nil
	s.faults.closed = true
	s.faults.mu.Unlock()
	if mb != nil {
		_ = mb.Stop()
	}
	if opc != nil {
		// gopcua's Close closes the listener at once but then waits up to
		// 10s for its channel goroutines; do not hold shutdown hostage.
		done := make(chan struct{})
		go func() {
			_ = opc.Close()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(500 * time.Millisecond):
		}
	}
	if s.pub != nil {
		s.pub.close()
	}
	s.closeScanners()
}

// HTTPAddr is the address the HTTP API listens on (after Start).
func (s *Sim) HTTPAddr() string { return s.httpAddr }

// ModbusAddr is the Modbus TCP host:port (after Start), "" if disabled.
func (s *Sim) ModbusAddr() string { return s.modbusAddr }

// OPCUAEndpoint is the opc.tcp:// endpoint URL (after Start), "" if disabled.
func (s *Sim) OPCUAEndpoint() string { return s.opcURL }

// Run starts a simulator and keeps it running until ctx is done.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	s, err := New(cfg, log)
	if err != nil {
		return err
	}
	if err := s.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Stop(sctx)
}

// freePort asks the kernel for a free TCP port on host. Servers whose
// advertised URL includes the port (OPC UA) cannot listen on port 0.
func freePort(host string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
