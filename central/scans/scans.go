// Package scans applies the barcode scans that fixed scanners send through
// an edge (events of type "scan") to central's work orders, with the same
// rules as a scan at the station API: a badge signs its owner in at the
// station, a work order's barcode starts, pauses or resumes it (or does what
// the scanner's action says: start, pause, resume, complete).
//
// Each stored scan is applied exactly once, in order per line (by source
// time): the store queues it as it is stored (migration 0240) and the
// scan leaves the queue in the same transaction as the change it causes and
// the record of what it did, so a crash between ingest and apply, or a
// resent batch, neither repeats nor loses one. A scan that cannot apply
// changes nothing, is recorded with its reason and counted, and never holds
// up the scans after it. This package must never decide a rule itself: the
// rules are the domain's (domain.DecideScanAction, domain.CompleteWorkOrder)
// and the store's.
package scans

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/linewise/linewise/central/domain"
)

// Store is what the applier needs of central's store.
type Store interface {
	PendingScanLines(ctx context.Context) ([]string, error)
	ApplyNextScan(ctx context.Context, line string,
		fn func(tx domain.ScanTx, sc domain.PendingScan) (domain.ScanRecord, error)) (domain.PendingScan, domain.ScanRecord, bool, error)
	RecordScan(ctx context.Context, sc domain.PendingScan, rec domain.ScanRecord) (domain.ScanRecord, bool, error)
}

// Options configure an Applier; zero values take the defaults noted.
type Options struct {
	Store Store
	Log   *slog.Logger     // default slog.Default()
	Now   func() time.Time // default time.Now
	// Interval is how often it looks for scans without being poked: for
	// scans stored by another replica, and after a failure. Default 2s.
	Interval time.Duration
	// SignIn is how long a badge scanned at a fixed scanner keeps its
	// owner signed in at the station. Default 12h.
	SignIn time.Duration
	// RepeatWindow: the same code at the same station within this time
	// after an applied scan is its repeat (a scanner's bounce), recorded
	// as such and not applied again (execution.scan_repeat_window).
	// Default 2s; negative turns it off.
	RepeatWindow time.Duration
	// MaxAttempts is how often a scan may fail for a reason that is not
	// its own (the database) before it is recorded as failed so the
	// line's later scans go on. Default 5.
	MaxAttempts int
	// Changed, if set, is called after a pass that applied something
	// (to push the new state to dashboards); it must not block.
	Changed func()
}

// Applier applies pending scans. Run loops; Poke wakes it.
type Applier struct {
	o    Options
	poke chan struct{}

	mu       sync.Mutex
	attempts map[string]int // per edge/seq, failures not caused by the scan

	results *prometheus.CounterVec
	errs    prometheus.Counter
}

var _ prometheus.Collector = (*Applier)(nil)

// New builds an Applier.
func New(o Options) (*Applier, error) {
	if o.Store == nil {
		return nil, errors.New("scans: no store")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Interval <= 0 {
		o.Interval = 2 * time.Second
	}
	if o.SignIn <= 0 {
		o.SignIn = 12 * time.Hour
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.RepeatWindow == 0 {
		o.RepeatWindow = 2 * time.Second
	}
	return &Applier{o: o, poke: make(chan struct{}, 1), attempts: map[string]int{},
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "linewise_scans_total",
			Help: "Scan events from edges, by what became of them: applied, rejected (could not apply; nothing changed) or failed (given up after repeated store errors).",
		}, []string{"result"}),
		errs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "linewise_scan_apply_errors_total",
			Help: "Attempts to apply a scan that failed for a reason that is not the scan's (the scan is retried).",
		}),
	}, nil
}

// Describe implements prometheus.Collector.
func (a *Applier) Describe(ch chan<- *prometheus.Desc) { a.results.Describe(ch); a.errs.Describe(ch) }

// Collect implements prometheus.Collector.
func (a *Applier) Collect(ch chan<- prometheus.Metric) { a.results.Collect(ch); a.errs.Collect(ch) }

// Poke says scans may be pending (a batch was committed). It never blocks.
func (a *Applier) Poke() {
	select {
	case a.poke <- struct{}{}:
	default:
	}
}

// Run applies what is pending at once (scans stored before a crash or a
// stop), then on every poke and every Interval, until ctx ends.
func (a *Applier) Run(ctx context.Context) {
	t := time.NewTicker(a.o.Interval)
	defer t.Stop()
	for {
		if _, err := a.RunOnce(ctx); err != nil && ctx.Err() == nil {
			a.o.Log.Warn("applying scans", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-a.poke:
		case <-t.C:
		}
	}
}

// RunOnce applies every scan pending now, line by line, and returns how
// many it recorded (applied, rejected or failed). A line whose next scan
// fails for a store reason is left for the next pass (its order must hold);
// the other lines go on.
func (a *Applier) RunOnce(ctx context.Context) (int, error) {
	lines, err := a.o.Store.PendingScanLines(ctx)
	if err != nil {
		return 0, err
	}
	n, applied := 0, 0
	var errs []error
	for _, line := range lines {
		for ctx.Err() == nil {
			rec, ok, err := a.next(ctx, line)
			if err != nil {
				errs = append(errs, err)
				break
			}
			if !ok {
				break
			}
			n++
			if rec.Result == domain.ScanApplied {
				applied++
			}
		}
	}
	if applied > 0 && a.o.Changed != nil {
		a.o.Changed()
	}
	return n, errors.Join(errs...)
}

// next applies line's next scan. ok is false when none is pending.
func (a *Applier) next(ctx context.Context, line string) (domain.ScanRecord, bool, error) {
	sc, rec, ok, err := a.o.Store.ApplyNextScan(ctx, line, a.apply)
	if err == nil || !ok {
		if ok {
			a.done(sc, rec)
		}
		return rec, ok, err
	}
	key := fmt.Sprintf("%s/%d", sc.EdgeID, sc.Seq)
	if rej, isRej := errors.AsType[*rejection](err); isRej || domain.ScanRejection(err) {
		msg := cleanMessage(err)
		if isRej {
			msg = rej.msg
		}
		rec.Result, rec.Message = domain.ScanRejected, msg
		return a.record(ctx, sc, rec)
	}
	a.errs.Inc()
	a.mu.Lock()
	a.attempts[key]++
	tries := a.attempts[key]
	a.mu.Unlock()
	if tries < a.o.MaxAttempts {
		return rec, false, fmt.Errorf("scan %s on line %s (attempt %d of %d): %w", key, line, tries, a.o.MaxAttempts, err)
	}
	a.o.Log.Error("giving up on a scan that keeps failing", "edge", sc.EdgeID, "seq", sc.Seq, "line", line, "attempts", tries, "err", err)
	rec = domain.ScanRecord{Result: domain.ScanFailed, Message: "gave up after " + fmt.Sprint(tries) + " attempts: " + err.Error()}
	return a.record(ctx, sc, rec)
}

// record stores what became of a scan that changed nothing.
func (a *Applier) record(ctx context.Context, sc domain.PendingScan, rec domain.ScanRecord) (domain.ScanRecord, bool, error) {
	rec, recorded, err := a.o.Store.RecordScan(ctx, sc, rec)
	if err != nil {
		a.errs.Inc()
		return rec, false, fmt.Errorf("scan %s/%d on line %s: %w", sc.EdgeID, sc.Seq, sc.Line, err)
	}
	if recorded {
		a.done(sc, rec)
	}
	return rec, true, nil
}

func (a *Applier) done(sc domain.PendingScan, rec domain.ScanRecord) {
	a.mu.Lock()
	delete(a.attempts, fmt.Sprintf("%s/%d", sc.EdgeID, sc.Seq))
	a.mu.Unlock()
	a.results.WithLabelValues(string(rec.Result)).Inc()
	// The recorded code: a badge is "[badge]" there, never a credential in a log.
	code := rec.Code
	if code == "" && !domain.IsBadgeHash(sc.Code) {
		code = sc.Code
	}
	log := a.o.Log.With("edge", sc.EdgeID, "seq", sc.Seq, "station", sc.Station, "code", code)
	if rec.Result == domain.ScanRepeat {
		log.Info("scan repeated within the repeat window: not applied again", "message", rec.Message)
	} else if rec.Result == domain.ScanApplied {
		log.Info("scan applied", "action", rec.Action, "actor", rec.Actor, "message", rec.Message)
	} else {
		log.Warn("scan not applied", "result", rec.Result, "reason", rec.Message)
	}
}

// rejection is a scan that cannot apply, with the message to record.
type rejection struct{ msg string }

func (r *rejection) Error() string { return r.msg }

func reject(format string, args ...any) error { return &rejection{msg: fmt.Sprintf(format, args...)} }

// apply is one scan, inside the store's transaction: the same steps as
// POST /api/v1/stations/{id}/scan, with the station from the event.
func (a *Applier) apply(tx domain.ScanTx, sc domain.PendingScan) (domain.ScanRecord, error) {
	var rec domain.ScanRecord
	code := strings.TrimSpace(sc.Code)
	if code == "" {
		return rec, reject("code is empty")
	}
	st, err := tx.Station(sc.Station)
	if errors.Is(err, domain.ErrNotFound) {
		return rec, reject("unknown station %q", sc.Station)
	}
	if err != nil {
		return rec, err
	}
	if st.LineID != sc.Line {
		return rec, reject("station %s is on line %s, not on the event's line %s", st.ID, st.LineID, sc.Line)
	}
	if u, err := tx.UserByBadge(code); err == nil {
		if u.Disabled {
			return rec, reject("the badge of %s is disabled", u.Username)
		}
		if err := tx.SignInAtStation(st.ID, u.Username, sc.SourceTime, sc.SourceTime.Add(a.o.SignIn)); err != nil {
			return rec, err
		}
		name := u.DisplayName
		if name == "" {
			name = u.Username
		}
		return domain.ScanRecord{Result: domain.ScanApplied, Action: string(domain.ScanLogin), Actor: u.Username,
			Message: "signed in as " + name + " at " + st.ID}, nil
	} else if !errors.Is(err, domain.ErrNotFound) {
		return rec, err
	}
	if a.o.RepeatWindow > 0 {
		first, ok, err := tx.LastAppliedScan(st.ID, code, sc.Action, sc.SourceTime.Add(-a.o.RepeatWindow), sc.SourceTime)
		if err != nil {
			return rec, err
		}
		if ok {
			return domain.ScanRecord{Result: domain.ScanRepeat, Action: first.Action, WorkOrder: first.WorkOrder,
				Message: fmt.Sprintf("repeat of scan %s/%d within %s (scanner bounce): %s", first.EdgeID, first.Seq, a.o.RepeatWindow, first.Message)}, nil
		}
	}
	actor, reason, err := a.actor(tx, st, sc)
	if err != nil {
		return rec, err
	}
	requested := strings.TrimSpace(sc.Action)
	other := func() (domain.ScanRecord, error) {
		r, ok, err := tx.OtherCode(domain.ScanCode{Station: st.ID, Line: st.LineID, Code: code, Action: requested, At: sc.SourceTime, Actor: actor})
		if err == nil && !ok && requested != "" {
			return r, reject("unknown %s %s (the scanner said it is one)", requested, code)
		}
		if err == nil && !ok {
			return r, reject("unknown code %s: not a badge, a work order, a lot or a serial", code)
		}
		return r, err
	}
	if requested == "lot" || requested == "serial" {
		return other() // the scanner says what the code is
	}
	w, err := tx.WorkOrder(code)
	if errors.Is(err, domain.ErrNotFound) {
		return other()
	}
	if err != nil {
		return rec, err
	}
	order, err := tx.OrderRecord(w.OrderNumber)
	if err != nil {
		return rec, err
	}
	action, err := domain.DecideScanAction(st.LineID, w, order.Status, domain.ScanAction(strings.TrimSpace(sc.Action)))
	if err != nil {
		return rec, err
	}
	at, err := a.runTime(tx, st.LineID, sc.SourceTime)
	if err != nil {
		return rec, err
	}
	rec = domain.ScanRecord{Result: domain.ScanApplied, Action: string(action), WorkOrder: w.ID, Actor: actor.Name}
	switch action {
	case domain.ScanStart, domain.ScanResume:
		_, err = tx.StartWorkOrder(w.ID, at, actor, string(action), reason)
		rec.Message = map[domain.ScanAction]string{domain.ScanStart: "started ", domain.ScanResume: "resumed "}[action] + w.ID
	case domain.ScanPause:
		_, err = tx.StopWorkOrder(w.ID, at, actor, string(action), reason)
		rec.Message = "paused " + w.ID
	case domain.ScanComplete:
		rec.Message, err = a.complete(tx, w, at, actor, reason)
	}
	return rec, err
}

// actor is who a scan's change is audited against: the operator the scan
// names, else the one signed in at the station, else the edge itself. An
// operator the scan names who is not a known, enabled user is recorded in
// the audit entry's reason and the edge acts.
func (a *Applier) actor(tx domain.ScanTx, st domain.Station, sc domain.PendingScan) (domain.Actor, string, error) {
	edge := domain.Actor{Name: "edge:" + sc.EdgeID, Role: domain.RoleOperator}
	via := " via edge:" + sc.EdgeID
	if op := strings.TrimSpace(sc.Operator); op != "" {
		u, err := tx.UserByBadge(op)
		if errors.Is(err, domain.ErrNotFound) {
			u, err = tx.User(op)
		}
		switch {
		case err == nil && u.Disabled:
			return edge, fmt.Sprintf("scanner named operator %s, who is disabled", u.Username), nil
		case errors.Is(err, domain.ErrNotFound):
			return edge, fmt.Sprintf("scanner named operator %q, not a known badge or user", op), nil
		case err != nil:
			return edge, "", err
		case !domain.MayWorkAtStation(u.Role):
			return edge, "", reject("operator %s has role %s, which may not work at a station", u.Username, u.Role)
		}
		return domain.Actor{Name: u.Username + via, Role: u.Role}, "", nil
	}
	name, err := tx.StationOperator(st.ID, sc.SourceTime)
	if errors.Is(err, domain.ErrNotFound) {
		return edge, "", nil
	}
	if err != nil {
		return edge, "", err
	}
	u, err := tx.User(name)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && (u.Disabled || !domain.MayWorkAtStation(u.Role))) {
		return edge, "", nil
	}
	if err != nil {
		return edge, "", err
	}
	return domain.Actor{Name: u.Username + via, Role: u.Role}, "", nil
}

// runTime is when the scan's run starts or ends: its source time (counts
// are attributed by source time), but not in the future and not before
// the line's last run began or ended, so runs never overlap.
func (a *Applier) runTime(tx domain.ScanTx, line string, at time.Time) (time.Time, error) {
	if now := a.o.Now(); at.After(now) {
		at = now
	}
	b, err := tx.LastRunBoundary(line)
	if err != nil {
		return at, err
	}
	if at.Before(b) {
		at = b
	}
	return at, nil
}

// complete stops the work order if it runs and completes it, as the
// station's complete button does, in the scan's transaction.
func (a *Applier) complete(tx domain.ScanTx, w domain.WorkOrder, at time.Time, actor domain.Actor, reason string) (string, error) {
	if w.Status == domain.StatusInProgress {
		if _, err := tx.StopWorkOrder(w.ID, at, actor, "stop", reason); err != nil {
			return "", err
		}
	}
	var orderDone bool
	rec, err := tx.ChangeOrder(w.OrderNumber, actor, func(rec *domain.OrderRecord) (domain.OrderChange, error) {
		var err error
		orderDone, err = domain.CompleteWorkOrder(rec, w.ID, actor.Role, at)
		return domain.OrderChange{Action: "complete_work_order", Reason: reason}, err
	})
	if err != nil {
		return "", err
	}
	msg := "completed " + w.ID
	if orderDone {
		msg += "; order " + rec.Number + " is complete"
	}
	return msg, nil
}

// cleanMessage drops the "store: " prefixes and the sentinel suffix from a
// domain error, for the record an operator reads.
func cleanMessage(err error) string {
	var fe *domain.FieldError
	if errors.As(err, &fe) {
		return fe.Rule // the rule reads as a sentence; the field is the code
	}
	msg := err.Error()
	for _, s := range []error{domain.ErrConflict, domain.ErrNotFound, domain.ErrInvalid, domain.ErrForbidden} {
		msg = strings.TrimSuffix(msg, ": "+s.Error())
	}
	for strings.HasPrefix(msg, "store: ") {
		msg = strings.TrimPrefix(msg, "store: ")
	}
	return msg
}
