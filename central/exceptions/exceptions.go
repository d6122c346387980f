// Package exceptions raises and auto-resolves central's exceptions: behind
// plan, machine down, no data and quality failure, from the events ingest
// has committed and from time passing (a grace running out, a plan moving
// on). It reads lines through a small Store interface and has an injected
// clock, so its rules are tested without waiting.
//
// It must never slow down or fail ingest: Observe only hands events to a
// bounded queue (dropping, and counting, when it is full), and every store
// error is logged here and retried at the next evaluation, never returned
// to ingest.
package exceptions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/edge/wire"
)

// Config tunes the rules; the yaml tags are the keys under "exceptions".
type Config struct {
	// BehindAttainment (percent) and BehindMinExpected: the running work
	// order of a line whose attainment of expected-by-now is below the
	// first, with more than the second parts expected, is behind plan. It
	// is resolved once attainment is back at or above the threshold.
	BehindAttainment  float64 `yaml:"behind_attainment"`
	BehindMinExpected int64   `yaml:"behind_min_expected"`
	// DownGrace: a line down this long (by the state's source time) raises
	// machine_down. Zero raises it at once.
	DownGrace time.Duration `yaml:"down_grace"`
	// NoDataGrace: a line whose edge reports no_data this long raises
	// no_data (not downtime: the device is unreachable).
	NoDataGrace time.Duration `yaml:"no_data_grace"`
	// EdgeSilentAfter: an edge offline (its status or MQTT Last Will) or
	// silent (no batch, heartbeat or status) this long shows each of its
	// lines as no_data "edge <id> offline" since it went quiet, which
	// raises no_data once NoDataGrace has passed since then (see
	// central/liveness).
	EdgeSilentAfter time.Duration `yaml:"edge_silent_after"`
	// Poll is how often time-based conditions are evaluated; events that
	// arrive trigger an evaluation at once.
	Poll time.Duration `yaml:"poll"`
}

// DefaultConfig: behind below 85 % with more than 50 expected (the
// rescheduler's trigger thresholds), down for 2 minutes, no data for 2
// minutes, an edge silent for 30 seconds (three missed heartbeats),
// evaluated every second.
func DefaultConfig() Config {
	return Config{BehindAttainment: 85, BehindMinExpected: 50, DownGrace: 2 * time.Minute, NoDataGrace: 2 * time.Minute,
		EdgeSilentAfter: 30 * time.Second, Poll: time.Second}
}

// Validate reports every problem at once, each naming its key.
func (c Config) Validate() error {
	var errs []error
	if c.BehindAttainment <= 0 || c.BehindAttainment > 100 {
		errs = append(errs, devices.Field("exceptions.behind_attainment", "%v must be a percentage above 0 and at most 100", c.BehindAttainment))
	}
	if c.BehindMinExpected < 0 {
		errs = append(errs, devices.Field("exceptions.behind_min_expected", "must not be negative"))
	}
	if c.DownGrace < 0 {
		errs = append(errs, devices.Field("exceptions.down_grace", "must not be negative"))
	}
	if c.NoDataGrace < 0 {
		errs = append(errs, devices.Field("exceptions.no_data_grace", "must not be negative"))
	}
	if c.EdgeSilentAfter < 100*time.Millisecond {
		errs = append(errs, devices.Field("exceptions.edge_silent_after", "%v is too short; at least 100ms", c.EdgeSilentAfter))
	}
	if c.Poll < 100*time.Millisecond {
		errs = append(errs, devices.Field("exceptions.poll", "%v is too short; at least 100ms", c.Poll))
	}
	return errors.Join(errs...)
}

// Store is what the rules read and write.
type Store interface {
	ListLines(ctx context.Context) ([]domain.LineView, error)
	ListExceptions(ctx context.Context, f domain.ExceptionFilter) ([]domain.Exception, error)
	RaiseException(ctx context.Context, x domain.Exception, occurrence string, actor domain.Actor) (domain.Exception, domain.RaiseOutcome, error)
	ResolveException(ctx context.Context, id string, actor domain.Actor, note string, at time.Time) (domain.Exception, error)
	// EventWorkOrder is the work order a stored event was attributed to.
	EventWorkOrder(ctx context.Context, edge string, seq uint64) (string, error)
}

// Options build a Service. Store is required.
type Options struct {
	Config Config
	Store  Store
	Log    *slog.Logger
	Now    func() time.Time // default time.Now
	// Changed is called (it must not block) after an exception was raised,
	// repeated or resolved, to push the news to browsers.
	Changed func()
	// Queue is how many observed events may wait; default 4096.
	Queue int
}

// Service evaluates the rules.
type Service struct {
	cfg     Config
	st      Store
	log     *slog.Logger
	now     func() time.Time
	changed func()

	poke    chan struct{}
	qcMu    sync.Mutex
	qc      []wire.Event // failed QC events waiting
	queue   int
	dropped atomic.Int64
}

var system = domain.Actor{Name: domain.SystemActor}

// New checks the configuration and builds a Service.
func New(o Options) (*Service, error) {
	if err := o.Config.Validate(); err != nil {
		return nil, fmt.Errorf("exceptions: %w", err)
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Changed == nil {
		o.Changed = func() {}
	}
	if o.Queue <= 0 {
		o.Queue = 4096
	}
	return &Service{cfg: o.Config, st: o.Store, log: o.Log, now: o.Now, changed: o.Changed,
		poke: make(chan struct{}, 1), queue: o.Queue}, nil
}

// Observe takes the events of a batch ingest has committed (duplicates may
// be among them: raising is idempotent per event), keeps the failed QC
// results and the ambiguous counts (each raises its exception) and asks for an
// evaluation. It never blocks and never fails: when the queue is full the
// event is dropped and counted (its count is stored regardless).
func (s *Service) Observe(evs []wire.Event) {
	s.qcMu.Lock()
	for _, ev := range evs {
		failed := ev.Type == wire.TypeQC && ev.QC != nil && !ev.QC.Pass
		ambiguous := ev.Type == wire.TypeCount && ev.Count != nil && ev.Count.Ambiguous
		if !failed && !ambiguous {
			continue
		}
		if len(s.qc) >= s.queue {
			s.dropped.Add(1)
			continue
		}
		s.qc = append(s.qc, ev)
	}
	s.qcMu.Unlock()
	s.Poke()
}

// Dropped is how many failed QC events Observe dropped for a full queue.
func (s *Service) Dropped() int64 { return s.dropped.Load() }

// Poke asks for an evaluation now; it never blocks.
func (s *Service) Poke() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// Run evaluates every Poll and after each Poke until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.poke:
		}
		if err := s.Evaluate(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("evaluating exceptions", "err", err)
		}
	}
}

// Evaluate applies the rules once: the queued QC failures, then each line's
// state and plan against its exceptions not yet resolved. Errors are
// joined; what failed is tried again at the next evaluation (queued QC
// events stay queued).
func (s *Service) Evaluate(ctx context.Context) error {
	var errs []error
	changed := false
	note := func(o domain.RaiseOutcome) {
		if o != domain.RaiseUnchanged {
			changed = true
		}
	}
	defer func() {
		if changed {
			s.changed()
		}
	}()

	lines, err := s.st.ListLines(ctx)
	if err != nil {
		return err
	}
	s.qcMu.Lock()
	pending := s.qc
	s.qc = nil
	s.qcMu.Unlock()
	for i, ev := range pending {
		// The work order the measured part was made for: the one the event
		// was attributed to by its source time, not the one running now.
		wo, err := s.st.EventWorkOrder(ctx, ev.EdgeID, ev.Seq)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			s.requeue(pending[i:])
			errs = append(errs, err)
			break
		}
		var x domain.Exception
		var occ string
		if ev.Count != nil {
			x, occ = counterException(ev, wo)
		} else {
			x, occ = qcException(ev, wo)
		}
		_, o, err := s.st.RaiseException(ctx, x, occ, system)
		if err != nil {
			s.requeue(pending[i:])
			errs = append(errs, err)
			break
		}
		note(o)
	}

	open, err := s.st.ListExceptions(ctx, domain.ExceptionFilter{
		Status: []domain.ExceptionStatus{domain.ExceptionOpen, domain.ExceptionAcknowledged},
		Kind:   []domain.ExceptionKind{domain.ExceptionBehindPlan, domain.ExceptionMachineDown, domain.ExceptionNoData, domain.ExceptionClockSkew}})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	now := s.now().UTC()
	for _, l := range lines {
		want := s.conditions(l, now)
		for _, c := range want {
			if covered(open, c) {
				continue // already raised: no write while a line stays down
			}
			_, o, err := s.st.RaiseException(ctx, c.x, c.occurrence, system)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			note(o)
		}
		for _, x := range open {
			if x.Line != l.ID || holds(want, x) {
				continue
			}
			at, why := now, "condition cleared"
			switch x.Kind {
			case domain.ExceptionMachineDown, domain.ExceptionNoData:
				// A line back from an edge outage shows the state it had
				// before it: resolve when that is seen, not in the past.
				if l.StateSince != nil && !l.StateSince.Before(x.OpenedAt) {
					at = *l.StateSince
				}
				why = "line " + stateName(l.State)
			case domain.ExceptionClockSkew:
				why = "device clocks back within the edge's tolerance"
			case domain.ExceptionBehindPlan:
				why = "attainment recovered"
				if l.Active == nil || l.Active.WorkOrderID != x.WorkOrder || l.Active.Status != domain.StatusInProgress {
					why = "work order " + x.WorkOrder + " no longer running"
				}
			}
			if _, err := s.st.ResolveException(ctx, x.ID, system, why, at); err != nil {
				if errors.Is(err, domain.ErrConflict) {
					continue // resolved by hand meanwhile
				}
				errs = append(errs, err)
				continue
			}
			changed = true
		}
	}
	return errors.Join(errs...)
}

func (s *Service) requeue(evs []wire.Event) {
	s.qcMu.Lock()
	defer s.qcMu.Unlock()
	room := s.queue - len(s.qc)
	if room < len(evs) {
		s.dropped.Add(int64(len(evs) - room))
		evs = evs[:max(room, 0)]
	}
	s.qc = append(append([]wire.Event(nil), evs...), s.qc...)
}

// condition is an exception a line's present state calls for.
type condition struct {
	x          domain.Exception
	occurrence string
}

// holds reports whether x's condition still holds (is in want). A stop
// holds whatever work order is active; being behind is per work order.
func holds(want []condition, x domain.Exception) bool {
	for _, c := range want {
		if c.x.Kind == x.Kind && (c.x.Kind != domain.ExceptionBehindPlan || c.x.WorkOrder == x.WorkOrder) {
			return true
		}
	}
	return false
}

// covered reports whether c's exception is among the open ones already.
func covered(open []domain.Exception, c condition) bool {
	for _, x := range open {
		if x.Line == c.x.Line && x.Kind == c.x.Kind && x.WorkOrder == c.x.WorkOrder {
			return true
		}
	}
	return false
}

func stateName(s string) string {
	if s == "" {
		return wire.StateNoData
	}
	return s
}

// conditions are the time-based exceptions line l calls for at now.
func (s *Service) conditions(l domain.LineView, now time.Time) []condition {
	var out []condition
	wo := ""
	if l.Active != nil {
		wo = l.Active.WorkOrderID
	}
	since := now
	if l.StateSince != nil {
		since = *l.StateSince
	}
	occ := strconv.FormatInt(since.UnixNano(), 10)
	switch {
	case l.State == wire.StateDown && now.Sub(since) >= s.cfg.DownGrace:
		detail := "down since " + since.UTC().Format(time.RFC3339)
		if l.Reason != "" {
			detail = l.Reason + " (" + detail + ")"
		}
		out = append(out, condition{domain.Exception{Line: l.ID, WorkOrder: wo, Kind: domain.ExceptionMachineDown,
			OpenedAt: since, Detail: detail}, occ})
	case l.State == wire.StateNoData && l.StateSince != nil && now.Sub(since) >= s.cfg.NoDataGrace:
		// A line that never reported has no state at all: that is a line
		// without an edge, not an edge that lost its devices.
		detail := "the edge reports no data since " + since.UTC().Format(time.RFC3339)
		if offline, ok := strings.CutSuffix(l.Reason, " offline"); ok && strings.HasPrefix(offline, "edge ") {
			detail = "no data since " + since.UTC().Format(time.RFC3339) + ": " + l.Reason // central/liveness
		} else if l.Reason != "" {
			detail += ": " + l.Reason
		}
		out = append(out, condition{domain.Exception{Line: l.ID, WorkOrder: wo, Kind: domain.ExceptionNoData,
			OpenedAt: since, Detail: detail}, occ})
	}
	if l.ClockSkewMS != 0 {
		// One per line, whatever work order runs: the clock is the line's.
		out = append(out, condition{domain.Exception{Line: l.ID, Kind: domain.ExceptionClockSkew, OpenedAt: now,
			Detail: fmt.Sprintf("a device clock of line %s is %s: its events are stamped with the edge's receive time (the device's time is kept in each event); set the device's clock or time sync", l.ID, skewText(l.ClockSkewMS))}, ""})
	}
	if a := l.Active; a != nil && a.Status == domain.StatusInProgress {
		exp, pct := a.Progress(now)
		if pct != nil && exp > s.cfg.BehindMinExpected && *pct < s.cfg.BehindAttainment {
			out = append(out, condition{domain.Exception{Line: l.ID, WorkOrder: a.WorkOrderID, Kind: domain.ExceptionBehindPlan,
				OpenedAt: now, Detail: fmt.Sprintf("%s at %.0f%% of plan: %d good of %d expected by now (threshold %.0f%%)",
					a.WorkOrderID, *pct, a.Good, exp, s.cfg.BehindAttainment)}, ""})
		}
	}
	return out
}

func skewText(ms int64) string {
	d := (time.Duration(ms) * time.Millisecond).Round(100 * time.Millisecond)
	if d < 0 {
		return (-d).String() + " behind the edge's"
	}
	return d.String() + " ahead of the edge's"
}

// counterException is the counter_ambiguous an ambiguous count raises: what
// was counted and what the other reading of the counter would add.
func counterException(ev wire.Event, wo string) (domain.Exception, string) {
	c := ev.Count
	n := c.Good + c.Reject
	kind := "parts"
	switch {
	case c.Good > 0:
		kind = "good parts"
	case c.Reject > 0:
		kind = "reject parts"
	}
	var detail string
	switch {
	case c.Reset:
		detail = fmt.Sprintf("counter %s fell to %d: counted %d %s as a reset; if it was a wrap, %d more", c.Counter, c.Raw, n, kind, c.AltParts)
	case c.Wraps > 0:
		detail = fmt.Sprintf("counter %s at %d: counted %d %s with %d wrap(s); if it wrapped once more, %d more", c.Counter, c.Raw, n, kind, c.Wraps, c.AltParts)
	default:
		detail = fmt.Sprintf("counter %s at %d: counted %d %s; the time since its previous value was long enough for it to wrap unseen: if it wrapped once, %d more", c.Counter, c.Raw, n, kind, c.AltParts)
	}
	detail += " (edge " + ev.EdgeID + " event " + strconv.FormatUint(ev.Seq, 10) + "); confirm with the machine's own count and correct it if needed"
	return domain.Exception{Line: ev.Line, WorkOrder: wo, Kind: domain.ExceptionCounterAmbiguous, OpenedAt: ev.SourceTime,
		LastAt: ev.SourceTime, Detail: detail}, ev.EdgeID + "/" + strconv.FormatUint(ev.Seq, 10)
}

// qcException is the quality_failure a failed QC event raises.
func qcException(ev wire.Event, wo string) (domain.Exception, string) {
	q := ev.QC
	detail := fmt.Sprintf("%s = %g", q.Characteristic, q.Value)
	switch {
	case q.Lower != nil && q.Upper != nil:
		detail += fmt.Sprintf(" outside %g..%g", *q.Lower, *q.Upper)
	case q.Lower != nil:
		detail += fmt.Sprintf(" below %g", *q.Lower)
	case q.Upper != nil:
		detail += fmt.Sprintf(" above %g", *q.Upper)
	default:
		detail += " failed"
	}
	if q.Unit != "" {
		detail += " (unit " + q.Unit + ")"
	}
	if q.Station != "" {
		detail += " at " + q.Station
	}
	return domain.Exception{Line: ev.Line, WorkOrder: wo, Kind: domain.ExceptionQualityFailure, OpenedAt: ev.SourceTime,
		LastAt: ev.SourceTime, Detail: detail}, ev.EdgeID + "/" + strconv.FormatUint(ev.Seq, 10)
}
