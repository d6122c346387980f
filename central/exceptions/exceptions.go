// Package exceptions raises and auto-resolves central's exceptions: behind
// plan, machine down, no data, quality failure and overrun, from the events ingest
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
	"github.com/linewise/linewise/devices/configerr"
	"github.com/linewise/linewise/edge/wire"
)

// Config tunes the rules; the yaml tags are the keys under "exceptions".
type Config struct {
	// BehindAttainment (percent) and BehindMinExpected: the running work
	// order of a line whose attainment of expected-by-now is below the
	// first, with more than the second parts expected, is behind plan.
	BehindAttainment  float64 `yaml:"behind_attainment"`
	BehindMinExpected int64   `yaml:"behind_min_expected"`
	// BehindMinDuration: behind plan opens only after attainment has
	// stayed below the threshold this long (no exception for a dip).
	BehindMinDuration time.Duration `yaml:"behind_min_duration"`
	// BehindClearMargin (percentage points): an open behind plan resolves
	// only once attainment is at or above the threshold plus this, so a
	// line hovering at the threshold does not open and close it by turns.
	BehindClearMargin float64 `yaml:"behind_clear_margin"`
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
	// EdgeStalledAfter: an edge whose heartbeats report a backlog that has
	// waited this long while no new event of it committed is stalled
	// (shown so, not online) and each of its lines raises edge_stalled,
	// resolved when its events commit again. 0 turns it off.
	EdgeStalledAfter time.Duration `yaml:"edge_stalled_after"`
	// Poll is how often time-based conditions are evaluated; events that
	// arrive trigger an evaluation at once.
	Poll time.Duration `yaml:"poll"`
	// MaterialShortHorizon: a released work order planned to start within
	// this (or a running one) whose projected stock falls below its
	// remaining need raises material_short, resolved when stock covers it.
	// 0 turns the automatic rule off (the manual button stays).
	MaterialShortHorizon time.Duration `yaml:"material_short_horizon"`
	// MaterialShortEvery: the stock projection behind the automatic
	// material_short runs at most this often (one run covers every line),
	// however many count batches ask for an evaluation meanwhile; the other
	// rules still run at each evaluation. 0 runs it at every evaluation.
	MaterialShortEvery time.Duration `yaml:"material_short_every"`
}

// DefaultConfig: behind below 85 % with more than 50 expected (the
// rescheduler's trigger thresholds) for 5 minutes, resolved at 90 %, down
// for 2 minutes, no data for 2 minutes, an edge silent for 30 seconds
// (three missed heartbeats), evaluated every second.
func DefaultConfig() Config {
	return Config{BehindAttainment: 85, BehindMinExpected: 50, BehindMinDuration: 5 * time.Minute, BehindClearMargin: 5,
		DownGrace: 2 * time.Minute, NoDataGrace: 2 * time.Minute, EdgeSilentAfter: 30 * time.Second, EdgeStalledAfter: 2 * time.Minute, Poll: time.Second,
		MaterialShortHorizon: 8 * time.Hour, MaterialShortEvery: 5 * time.Second}
}

// Validate reports every problem at once, each naming its key.
func (c Config) Validate() error {
	var errs []error
	if c.BehindAttainment <= 0 || c.BehindAttainment > 100 {
		errs = append(errs, configerr.Field("exceptions.behind_attainment", "%v must be a percentage above 0 and at most 100", c.BehindAttainment))
	}
	if c.BehindMinExpected < 0 {
		errs = append(errs, configerr.Field("exceptions.behind_min_expected", "must not be negative"))
	}
	if c.BehindMinDuration < 0 {
		errs = append(errs, configerr.Field("exceptions.behind_min_duration", "must not be negative"))
	}
	if c.BehindClearMargin < 0 || c.BehindAttainment+c.BehindClearMargin > 100 {
		errs = append(errs, configerr.Field("exceptions.behind_clear_margin", "%v must not be negative, and behind_attainment plus it at most 100", c.BehindClearMargin))
	}
	if c.DownGrace < 0 {
		errs = append(errs, configerr.Field("exceptions.down_grace", "must not be negative"))
	}
	if c.NoDataGrace < 0 {
		errs = append(errs, configerr.Field("exceptions.no_data_grace", "must not be negative"))
	}
	if c.EdgeSilentAfter < 100*time.Millisecond {
		errs = append(errs, configerr.Field("exceptions.edge_silent_after", "%v is too short; at least 100ms", c.EdgeSilentAfter))
	}
	if c.EdgeStalledAfter != 0 && c.EdgeStalledAfter < time.Second {
		errs = append(errs, configerr.Field("exceptions.edge_stalled_after", "%v is too short; at least 1s (0 turns it off)", c.EdgeStalledAfter))
	}
	if c.MaterialShortHorizon < 0 {
		errs = append(errs, configerr.Field("exceptions.material_short_horizon", "must not be negative (0 turns it off)"))
	}
	if c.MaterialShortEvery < 0 {
		errs = append(errs, configerr.Field("exceptions.material_short_every", "must not be negative (0 runs it at every evaluation)"))
	}
	if c.Poll < 100*time.Millisecond {
		errs = append(errs, configerr.Field("exceptions.poll", "%v is too short; at least 100ms", c.Poll))
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
	// Rules are the execution rules (the overrun tolerance); nil:
	// domain.DefaultExecutionRules.
	Rules *domain.ExecutionRules
	// Materials projects stock for the automatic material_short; nil
	// turns that rule off.
	Materials Materials
	// Purchasing gives purchasing's alerts (late purchase order lines,
	// rejected receipts, suppliers below the scorecard thresholds, late
	// outsourced operations), checked as often as the stock projection;
	// nil turns them off.
	Purchasing Purchasing
	// Timed, when set, says whether the timer's evaluations are this
	// replica's to make (it leads): with several replicas only the leader
	// evaluates on the clock, each still evaluates after its own commits.
	Timed func() bool
}

// Materials is the stock projection the material_short rule reads.
type Materials interface {
	MaterialShortages(ctx context.Context, now time.Time, horizon time.Duration) ([]domain.MaterialShortage, error)
}

// Service evaluates the rules.
type Service struct {
	cfg     Config
	st      Store
	log     *slog.Logger
	now     func() time.Time
	changed func()
	timed   func() bool

	poke    chan struct{}
	qcMu    sync.Mutex
	qc      []wire.Event // failed QC events waiting
	queue   int
	dropped atomic.Int64
	rules   domain.ExecutionRules
	mat     Materials
	pur     Purchasing

	// below is when each line's running work order (line/work order)
	// was first seen below the behind-plan threshold in the current
	// stretch, for BehindMinDuration. Kept in memory: after a restart,
	// or on another replica, the stretch starts anew (later, never
	// earlier).
	belowMu sync.Mutex
	below   map[string]time.Time

	// matLast is when the material_short projection last ran (by now()),
	// for MaterialShortEvery.
	matMu   sync.Mutex
	matLast time.Time
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
	rules := domain.DefaultExecutionRules()
	if o.Rules != nil {
		rules = *o.Rules
	}
	return &Service{cfg: o.Config, st: o.Store, log: o.Log, now: o.Now, changed: o.Changed, timed: o.Timed,
		poke: make(chan struct{}, 1), queue: o.Queue, rules: rules, mat: o.Materials, pur: o.Purchasing, below: map[string]time.Time{}}, nil
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
			if s.timed != nil && !s.timed() {
				continue
			}
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
		Kind: []domain.ExceptionKind{domain.ExceptionBehindPlan, domain.ExceptionMachineDown, domain.ExceptionNoData, domain.ExceptionOverrun,
			domain.ExceptionEdgeStalled, domain.ExceptionClockSkew}})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	now := s.now().UTC()
	for _, l := range lines {
		want := s.conditions(l, now)
		for _, c := range want {
			if c.holdOnly || covered(open, c) {
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
			if x.Line != l.ID || x.Kind == domain.ExceptionOverrun || holds(want, x) {
				continue // an overrun stays until a person resolves it
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
			case domain.ExceptionEdgeStalled:
				why = "the edge's events commit again"
				if l.State == wire.StateNoData && strings.HasPrefix(l.Reason, "edge ") {
					why = "the edge went offline (see no_data)"
				}
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
	if (s.mat != nil && s.cfg.MaterialShortHorizon > 0 || s.pur != nil) && s.materialDue(now) {
		if s.mat != nil && s.cfg.MaterialShortHorizon > 0 {
			ch, err := s.materialShort(ctx, now)
			changed = changed || ch
			if err != nil {
				errs = append(errs, err)
			}
		}
		if s.pur != nil {
			ch, err := s.purchasingAlerts(ctx, now)
			changed = changed || ch
			if err != nil {
				errs = append(errs, err)
			}
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
	// holdOnly: keeps an open exception open (hysteresis) but does not
	// open one.
	holdOnly bool
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
		out = append(out, condition{x: domain.Exception{Line: l.ID, WorkOrder: wo, Kind: domain.ExceptionMachineDown,
			OpenedAt: since, Detail: detail}, occurrence: occ})
	case l.State == wire.StateNoData && l.StateSince != nil && now.Sub(since) >= s.cfg.NoDataGrace:
		// A line that never reported has no state at all: that is a line
		// without an edge, not an edge that lost its devices.
		detail := "the edge reports no data since " + since.UTC().Format(time.RFC3339)
		if offline, ok := strings.CutSuffix(l.Reason, " offline"); ok && strings.HasPrefix(offline, "edge ") {
			detail = "no data since " + since.UTC().Format(time.RFC3339) + ": " + l.Reason // central/liveness
		} else if l.Reason != "" {
			detail += ": " + l.Reason
		}
		out = append(out, condition{x: domain.Exception{Line: l.ID, WorkOrder: wo, Kind: domain.ExceptionNoData,
			OpenedAt: since, Detail: detail}, occurrence: occ})
	}
	if l.ClockSkewMS != 0 {
		// One per line, whatever work order runs: the clock is the line's.
		out = append(out, condition{x: domain.Exception{Line: l.ID, Kind: domain.ExceptionClockSkew, OpenedAt: now,
			Detail: fmt.Sprintf("a device clock of line %s is %s: its events are stamped with the edge's receive time (the device's time is kept in each event); set the device's clock or time sync", l.ID, skewText(l.ClockSkewMS))}})
	}
	if st := l.Stall; st != nil {
		out = append(out, condition{x: domain.Exception{Line: l.ID, WorkOrder: wo, Kind: domain.ExceptionEdgeStalled, OpenedAt: st.Since,
			Detail: fmt.Sprintf("edge %s stalled: %d events wait, the oldest for %s, none new committed since %s; its counts lag",
				st.Edge, st.OutboxDepth, (time.Duration(st.OldestUnackedS) * time.Second).String(), st.Since.UTC().Format(time.RFC3339))},
			occurrence: strconv.FormatInt(st.Since.UnixNano(), 10)})
	}
	if c, ok := s.behind(l, now); ok {
		out = append(out, c)
	}
	if a := l.Active; a != nil && s.rules.Overrun(a.PlannedQty, a.Good) {
		limit := s.rules.OverrunLimit(a.PlannedQty)
		out = append(out, condition{x: domain.Exception{Line: l.ID, WorkOrder: a.WorkOrderID, Kind: domain.ExceptionOverrun, OpenedAt: now,
			Detail: fmt.Sprintf("%s made %d good of %d ordered, past the %g%% tolerance (%d): stop it or change the quantity",
				a.WorkOrderID, a.Good, a.PlannedQty, s.rules.OverrunTolerancePct, limit)},
			occurrence: fmt.Sprintf("overrun/%s/%d", a.WorkOrderID, a.PlannedQty)})
	}
	return out
}

// behind is the behind-plan condition of l's running work order, with
// hysteresis: below the threshold it opens once it has been below for
// BehindMinDuration (until then, and between the threshold and the
// threshold plus BehindClearMargin, it only keeps an open one open).
func (s *Service) behind(l domain.LineView, now time.Time) (condition, bool) {
	s.belowMu.Lock()
	defer s.belowMu.Unlock()
	a := l.Active
	key := l.ID + "/"
	if a != nil {
		key += a.WorkOrderID
	}
	for k := range s.below {
		if strings.HasPrefix(k, l.ID+"/") && k != key {
			delete(s.below, k) // another work order runs now
		}
	}
	if a == nil || a.Status != domain.StatusInProgress {
		delete(s.below, key)
		return condition{}, false
	}
	exp, pct := a.Progress(now)
	if pct == nil || exp <= s.cfg.BehindMinExpected || *pct >= s.cfg.BehindAttainment+s.cfg.BehindClearMargin {
		delete(s.below, key)
		return condition{}, false
	}
	c := condition{x: domain.Exception{Line: l.ID, WorkOrder: a.WorkOrderID, Kind: domain.ExceptionBehindPlan,
		OpenedAt: now, Detail: fmt.Sprintf("%s at %.0f%% of plan: %d good of %d expected by now (threshold %.0f%%)",
			a.WorkOrderID, *pct, a.Good, exp, s.cfg.BehindAttainment)}}
	if *pct >= s.cfg.BehindAttainment {
		delete(s.below, key) // in the margin: not below, but not recovered either
		c.holdOnly = true
		return c, true
	}
	since, ok := s.below[key]
	if !ok {
		since = now
		s.below[key] = now
	}
	if now.Sub(since) < s.cfg.BehindMinDuration {
		c.holdOnly = true
	} else {
		c.x.OpenedAt = since
	}
	return c, true
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
