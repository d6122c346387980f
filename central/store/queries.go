package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// HasLines reports whether any line exists (an empty database gets the demo seed).
func (s *Store) HasLines(ctx context.Context) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM lines`).Scan(&n); err != nil {
		return false, fmt.Errorf("store: count lines: %w", err)
	}
	return n > 0, nil
}

func (s *Store) insert(ctx context.Context, what, query string, args ...any) error {
	if _, err := s.db.ExecContext(ctx, s.q(query), args...); err != nil {
		if isUnique(err) {
			return fmt.Errorf("store: %s already exists: %w", what, domain.ErrConflict)
		}
		return fmt.Errorf("store: create %s: %w", what, err)
	}
	return nil
}

// CreateLine adds a line.
func (s *Store) CreateLine(ctx context.Context, l domain.Line) error {
	return s.insert(ctx, "line "+l.ID, `INSERT INTO lines (id, name) VALUES (?, ?)`, l.ID, l.Name)
}

// CreateProduct adds a product.
func (s *Store) CreateProduct(ctx context.Context, p domain.Product) error {
	return s.insert(ctx, "product "+p.Code, `INSERT INTO products (code, name, unit, ideal_cycle_ns, family) VALUES (?, ?, ?, ?, ?)`,
		p.Code, p.Name, p.Unit, int64(p.IdealCycle), p.Family)
}

// CreateOrder adds a production order.
func (s *Store) CreateOrder(ctx context.Context, o domain.Order) error {
	return s.insert(ctx, "order "+o.Number, `INSERT INTO orders (number, product_code, quantity, due_at, priority, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		o.Number, o.ProductCode, o.Quantity, nullNanos(o.Due), o.Priority, string(o.Status), nanos(s.now()))
}

// CreateWorkOrder adds a work order; counts start at zero.
func (s *Store) CreateWorkOrder(ctx context.Context, w domain.WorkOrder) error {
	return s.insert(ctx, "work order "+w.ID, `INSERT INTO work_orders
		(id, order_number, operation_seq, line_id, barcode, quantity, planned_start, planned_end, status)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		w.ID, w.OrderNumber, w.OperationSeq, w.LineID, w.Barcode, w.Quantity,
		nullNanos(w.PlannedStart), nullNanos(w.PlannedEnd), string(w.Status))
}

// SetLineState records a line state that began at since, unless a later one is stored.
func (s *Store) SetLineState(ctx context.Context, line, state, reason string, since time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO line_status (line_id, state, reason, since, last_event_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (line_id) DO UPDATE SET state = excluded.state, reason = excluded.reason, since = excluded.since
		WHERE excluded.since > line_status.since`), line, state, reason, nanos(since), nanos(since))
	if err != nil {
		return fmt.Errorf("store: set state of line %s: %w", line, err)
	}
	return nil
}

// ListLines returns every line with its state, unattributed counts and the
// work order in progress on it (else the most recently started paused one).
func (s *Store) ListLines(ctx context.Context) ([]domain.LineView, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT l.id, l.name, l.site_id, s.state, s.reason, s.since, s.last_event_at,
			COALESCE(u.good, 0), COALESCE(u.reject, 0),
			(SELECT e.payload FROM events e WHERE e.line_id = l.id ORDER BY e.source_time DESC LIMIT 1)
		FROM lines l
		LEFT JOIN line_status s ON s.line_id = l.id
		LEFT JOIN unattributed_counts u ON u.line_id = l.id
		ORDER BY l.id`)
	if err != nil {
		return nil, fmt.Errorf("store: list lines: %w", err)
	}
	var out []domain.LineView
	index := map[string]int{}
	for rows.Next() {
		var v domain.LineView
		var state, reason sql.NullString
		var since, last sql.NullInt64
		var latest sql.NullString
		if err := rows.Scan(&v.ID, &v.Name, &v.Site, &state, &reason, &since, &last, &v.UnattributedGood, &v.UnattributedReject, &latest); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: list lines: %w", err)
		}
		v.State, v.Reason = state.String, reason.String
		v.StateSince, v.LastEventAt = fromNull(since), fromNull(last)
		if latest.Valid {
			// The edge puts its clock report on every event of the line
			// (wire.Event.ClockOffsetMS): the latest event says where the
			// line's device clocks stand, with no write at ingest.
			var clock struct {
				Offset int64 `json:"clock_offset_ms"`
			}
			if json.Unmarshal([]byte(latest.String), &clock) == nil {
				v.ClockSkewMS = clock.Offset
			}
		}
		index[v.ID] = len(out)
		out = append(out, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list lines: %w", err)
	}

	rows, err = s.db.QueryContext(ctx, s.q(`SELECT w.line_id, w.id, w.order_number, w.barcode, o.product_code, p.name,
			w.status, w.quantity, w.planned_start, p.ideal_cycle_ns, w.good, w.reject
		FROM work_orders w
		JOIN orders o ON o.number = w.order_number
		JOIN products p ON p.code = o.product_code
		WHERE w.status IN (?, ?)
		ORDER BY w.line_id, CASE WHEN w.status = ? THEN 0 ELSE 1 END, COALESCE(w.actual_start, 0) DESC`),
		string(domain.StatusInProgress), string(domain.StatusPaused), string(domain.StatusInProgress))
	if err != nil {
		return nil, fmt.Errorf("store: list active work orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var line, status string
		var a domain.ActiveWork
		var start sql.NullInt64
		var cycle int64
		if err := rows.Scan(&line, &a.WorkOrderID, &a.OrderNumber, &a.Barcode, &a.ProductCode, &a.ProductName,
			&status, &a.PlannedQty, &start, &cycle, &a.Good, &a.Reject); err != nil {
			return nil, fmt.Errorf("store: list active work orders: %w", err)
		}
		i, ok := index[line]
		if !ok || out[i].Active != nil {
			continue // first row per line wins
		}
		a.Status, a.PlannedStart, a.IdealCycle = domain.OrderStatus(status), fromNull(start), time.Duration(cycle)
		out[i].Active = &a
	}
	return out, rows.Err()
}

const orderColumns = `o.number, o.product_code, p.name, o.quantity, o.due_at, o.priority, o.status,
	CAST(COALESCE((SELECT w.good FROM work_orders w WHERE w.order_number = o.number AND w.status <> 'cancelled' ORDER BY w.operation_seq DESC, w.id DESC LIMIT 1), 0) AS BIGINT),
	CAST(COALESCE((SELECT SUM(w.reject) FROM work_orders w WHERE w.order_number = o.number), 0) AS BIGINT)
	FROM orders o JOIN products p ON p.code = o.product_code`

func scanOrder(sc interface{ Scan(...any) error }) (domain.Order, error) {
	var o domain.Order
	var due sql.NullInt64
	var status string
	err := sc.Scan(&o.Number, &o.ProductCode, &o.ProductName, &o.Quantity, &due, &o.Priority, &status, &o.Good, &o.Reject)
	o.Due, o.Status = fromNull(due), domain.OrderStatus(status)
	return o, err
}

// ListOrders returns every production order by number.
func (s *Store) ListOrders(ctx context.Context) ([]domain.Order, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+orderColumns+` ORDER BY o.number`)
	if err != nil {
		return nil, fmt.Errorf("store: list orders: %w", err)
	}
	defer rows.Close()
	out := []domain.Order{}
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list orders: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// GetOrder returns an order with its work orders; domain.ErrNotFound if absent.
func (s *Store) GetOrder(ctx context.Context, number string) (domain.OrderDetail, error) {
	o, err := scanOrder(s.db.QueryRowContext(ctx, s.q(`SELECT `+orderColumns+` WHERE o.number = ?`), number))
	if err != nil {
		return domain.OrderDetail{}, notFound("store: order "+number, err)
	}
	d := domain.OrderDetail{Order: o, WorkOrders: []domain.WorkOrder{}}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+workOrderColumns+` WHERE order_number = ? ORDER BY operation_seq, id`), number)
	if err != nil {
		return d, fmt.Errorf("store: work orders of order %s: %w", number, err)
	}
	defer rows.Close()
	for rows.Next() {
		w, err := scanWorkOrder(rows)
		if err != nil {
			return d, fmt.Errorf("store: work orders of order %s: %w", number, err)
		}
		d.WorkOrders = append(d.WorkOrders, w)
	}
	return d, rows.Err()
}

const workOrderColumns = `id, order_number, operation_seq, line_id, barcode, quantity,
	planned_start, planned_end, actual_start, actual_end, status, good, reject, paused_by_order FROM work_orders`

func scanWorkOrder(sc interface{ Scan(...any) error }) (domain.WorkOrder, error) {
	var w domain.WorkOrder
	var ps, pe, as, ae sql.NullInt64
	var status string
	var byOrder int64
	err := sc.Scan(&w.ID, &w.OrderNumber, &w.OperationSeq, &w.LineID, &w.Barcode, &w.Quantity,
		&ps, &pe, &as, &ae, &status, &w.Good, &w.Reject, &byOrder)
	w.PausedByOrder = byOrder != 0
	w.PlannedStart, w.PlannedEnd, w.ActualStart, w.ActualEnd = fromNull(ps), fromNull(pe), fromNull(as), fromNull(ae)
	w.Status = domain.OrderStatus(status)
	return w, err
}

// GetWorkOrder returns one work order; domain.ErrNotFound if absent.
func (s *Store) GetWorkOrder(ctx context.Context, id string) (domain.WorkOrder, error) {
	w, err := scanWorkOrder(s.db.QueryRowContext(ctx, s.q(`SELECT `+workOrderColumns+` WHERE id = ?`), id))
	if err != nil {
		return w, notFound("store: work order "+id, err)
	}
	return w, nil
}

// LatestEvents returns up to limit raw events of a line, newest source time first.
func (s *Store) LatestEvents(ctx context.Context, line string, limit int) ([]domain.EventRecord, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT edge_id, seq, line_id, type, source_time, received_at, payload, work_order_id
		FROM events WHERE line_id = ? ORDER BY source_time DESC, edge_id, seq DESC LIMIT ?`), line, limit)
	if err != nil {
		return nil, fmt.Errorf("store: events of line %s: %w", line, err)
	}
	defer rows.Close()
	out := []domain.EventRecord{}
	for rows.Next() {
		var e domain.EventRecord
		var seq, ts, rx int64
		var payload string
		var wo sql.NullString
		if err := rows.Scan(&e.EdgeID, &seq, &e.LineID, &e.Type, &ts, &rx, &payload, &wo); err != nil {
			return nil, fmt.Errorf("store: events of line %s: %w", line, err)
		}
		e.Seq, e.SourceTime, e.ReceivedAt, e.Payload = uint64(seq), fromNanos(ts), fromNanos(rx), json.RawMessage(payload)
		if wo.Valid {
			e.WorkOrderID = &wo.String
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: events of line %s: %w", line, err)
	}
	rows.Close() // SQLite has one connection: free it for the lookups
	// A scan shows whose badge it was, never the code (events stored
	// before migration 0290 still hold codes; later ones hold hashes).
	names := s.newBadgeNames(ctx, s.db)
	for i := range out {
		if out[i].Type != wire.TypeScan {
			continue
		}
		if out[i].Payload, err = names.redactScan(out[i].Payload); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// StartWorkOrder opens a run of the work order on its line at the given
// time, so counts from then on are attributed to it, including those
// already stored (see reattribute). A line runs one work order at a time:
// domain.ErrConflict if it already runs one (or this one).
func (s *Store) StartWorkOrder(ctx context.Context, id string, at time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: start work order %s: %w", id, err)
	}
	defer tx.Rollback()
	if err := s.startWorkOrderTx(ctx, tx, id, at); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: start work order %s: %w", id, err)
	}
	return nil
}

// startWorkOrderTx is StartWorkOrder inside tx.
func (s *Store) startWorkOrderTx(ctx context.Context, tx *sql.Tx, id string, at time.Time) error {
	var line, status, order string
	err := tx.QueryRowContext(ctx, s.q(`SELECT line_id, status, order_number FROM work_orders WHERE id = ?`), id).Scan(&line, &status, &order)
	if err != nil {
		return notFound("store: start work order "+id, err)
	}
	switch domain.OrderStatus(status) {
	case domain.StatusCompleted, domain.StatusClosed, domain.StatusCancelled:
		return fmt.Errorf("store: start work order %s: it is %s: %w", id, status, domain.ErrConflict)
	}
	if err := s.lockLineRuns(ctx, tx, line); err != nil {
		return err
	}
	var running string
	err = tx.QueryRowContext(ctx, s.q(`SELECT work_order_id FROM wo_runs WHERE line_id = ? AND ended_at IS NULL`), line).Scan(&running)
	switch {
	case err == nil:
		return fmt.Errorf("store: start work order %s: line %s already runs %s: %w", id, line, running, domain.ErrConflict)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("store: start work order %s: %w", id, err)
	}
	ts := nanos(at)
	if err := s.checkStart(ctx, tx, id, order, line, ts); err != nil {
		return err
	}
	steps := []struct {
		query string
		args  []any
	}{
		{`INSERT INTO wo_runs (work_order_id, line_id, started_at) VALUES (?, ?, ?)`, []any{id, line, ts}},
		{`UPDATE work_orders SET status = ?, actual_start = COALESCE(actual_start, ?), paused_by_order = 0 WHERE id = ?`,
			[]any{string(domain.StatusInProgress), ts, id}},
		{`UPDATE orders SET status = ? WHERE number = ? AND status IN (?, ?, ?)`,
			[]any{string(domain.StatusInProgress), order, string(domain.StatusScheduled), string(domain.StatusReleased), string(domain.StatusPaused)}},
	}
	for _, st := range steps {
		if _, err := tx.ExecContext(ctx, s.q(st.query), st.args...); err != nil {
			if isUnique(err) {
				return fmt.Errorf("store: start work order %s: a run already starts at %s: %w", id, at.UTC().Format(time.RFC3339Nano), domain.ErrConflict)
			}
			return fmt.Errorf("store: start work order %s: %w", id, err)
		}
	}
	return s.reattribute(ctx, tx, line, ts)
}

// StopWorkOrder closes the work order's open run at the given time and marks
// it paused; domain.ErrConflict if it is not running. Counts already stored
// from that time on leave the work order (see reattribute).
func (s *Store) StopWorkOrder(ctx context.Context, id string, at time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: stop work order %s: %w", id, err)
	}
	defer tx.Rollback()
	if err := s.stopWorkOrderTx(ctx, tx, id, at); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: stop work order %s: %w", id, err)
	}
	return nil
}

// stopWorkOrderTx is StopWorkOrder inside tx.
func (s *Store) stopWorkOrderTx(ctx context.Context, tx *sql.Tx, id string, at time.Time) error {
	var started int64
	var line string
	openRun := func() error {
		return tx.QueryRowContext(ctx, s.q(`SELECT started_at, line_id FROM wo_runs WHERE work_order_id = ? AND ended_at IS NULL`),
			id).Scan(&started, &line)
	}
	err := openRun()
	if err == nil && s.postgres {
		if err := s.lockLineRuns(ctx, tx, line); err != nil {
			return err
		}
		err = openRun() // again under the lock: a stop committed meanwhile has closed it
	}
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := s.getWorkOrderTx(ctx, tx, id); err != nil {
			return err
		}
		return fmt.Errorf("store: stop work order %s: it is not running: %w", id, domain.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: stop work order %s: %w", id, err)
	}
	ts := nanos(at)
	if ts < started {
		return fmt.Errorf("store: stop work order %s: stop time is before its run started: %w", id, domain.ErrConflict)
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE wo_runs SET ended_at = ? WHERE work_order_id = ? AND ended_at IS NULL`), ts, id); err != nil {
		return fmt.Errorf("store: stop work order %s: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE work_orders SET status = ? WHERE id = ?`), string(domain.StatusPaused), id); err != nil {
		return fmt.Errorf("store: stop work order %s: %w", id, err)
	}
	return s.reattribute(ctx, tx, line, ts)
}

func (s *Store) getWorkOrderTx(ctx context.Context, tx *sql.Tx, id string) (domain.WorkOrder, error) {
	w, err := scanWorkOrder(tx.QueryRowContext(ctx, s.q(`SELECT `+workOrderColumns+` WHERE id = ?`), id))
	if err != nil {
		return w, notFound("store: work order "+id, err)
	}
	return w, nil
}
