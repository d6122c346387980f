package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/linewise/linewise/central/domain"
)

func newID(prefix string, s *Store) string {
	return fmt.Sprintf("%s-%019d-%s", prefix, s.now().UnixNano(), randomSuffix())
}

// PutInspectionPlan sets a product's plan of one kind (audited).
func (s *Store) PutInspectionPlan(ctx context.Context, p domain.QCPlan, actor domain.Actor) (domain.QCPlan, error) {
	if _, err := s.GetProduct(ctx, p.Product); err != nil {
		return p, err
	}
	chars, err := json.Marshal(p.Characteristics)
	if err != nil {
		return p, err
	}
	p.UpdatedBy, p.UpdatedAt = actor.Name, s.now()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return p, fmt.Errorf("store: inspection plan %s/%s: %w", p.Product, p.Kind, err)
	}
	defer tx.Rollback()
	before, err := s.inspectionPlan(ctx, tx, p.Product, p.Kind)
	var prev any
	if err == nil {
		prev = before
	} else if !errors.Is(err, domain.ErrNotFound) {
		return p, err
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO qc_plans (product_code, kind, sample_size, characteristics, hold_on_fail, updated_by, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (product_code, kind) DO UPDATE SET sample_size = excluded.sample_size, characteristics = excluded.characteristics,
			hold_on_fail = excluded.hold_on_fail, updated_by = excluded.updated_by, updated_at = excluded.updated_at`),
		p.Product, p.Kind, p.SampleSize, string(chars), boolInt(p.HoldOnFail), p.UpdatedBy, nanos(p.UpdatedAt)); err != nil {
		return p, fmt.Errorf("store: inspection plan %s/%s: %w", p.Product, p.Kind, err)
	}
	if err := s.writeAudit(ctx, tx, domain.AuditEntry{At: p.UpdatedAt, Actor: actor.Name, Role: actor.Role, Entity: "inspection_plan",
		EntityID: p.Product + "/" + p.Kind, Action: "set", Before: snapshot(prev), After: snapshot(p)}); err != nil {
		return p, err
	}
	return p, tx.Commit()
}

// GetInspectionPlan reads a product's plan of one kind.
func (s *Store) GetInspectionPlan(ctx context.Context, product, kind string) (domain.QCPlan, error) {
	return s.inspectionPlan(ctx, s.db, product, kind)
}

func (s *Store) inspectionPlan(ctx context.Context, q dbtx, product, kind string) (domain.QCPlan, error) {
	p := domain.QCPlan{Product: product, Kind: kind}
	var chars string
	var hold int
	var at int64
	err := q.QueryRowContext(ctx, s.q(`SELECT sample_size, characteristics, hold_on_fail, updated_by, updated_at
		FROM qc_plans WHERE product_code = ? AND kind = ?`), product, kind).Scan(&p.SampleSize, &chars, &hold, &p.UpdatedBy, &at)
	if err != nil {
		return p, notFound("store: "+kind+" plan of "+product, err)
	}
	p.HoldOnFail, p.UpdatedAt = hold != 0, fromNanos(at)
	return p, json.Unmarshal([]byte(chars), &p.Characteristics)
}

// ListInspectionPlans lists a product's plans.
func (s *Store) ListInspectionPlans(ctx context.Context, product string) ([]domain.QCPlan, error) {
	out := []domain.QCPlan{}
	for _, k := range []string{domain.InspectIPQC, domain.InspectOQC} {
		p, err := s.GetInspectionPlan(ctx, product, k)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// RecordInspection stores an inspection; a failure opens a nonconformance
// for the values outside their limits and, with hold, a quality hold on the
// work order (unless one is open), all in one transaction with the audit.
func (s *Store) RecordInspection(ctx context.Context, in domain.QCInspection, hold bool, actor domain.Actor) (domain.QCInspection, error) {
	in.ID, in.At, in.Inspector = newID("INS", s), s.now(), actor.Name
	ms, err := json.Marshal(in.Measurements)
	if err != nil {
		return in, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return in, fmt.Errorf("store: inspection of %s: %w", in.WorkOrder, err)
	}
	defer tx.Rollback()
	if !in.Pass {
		var failed int64
		desc := in.Kind + " failed:"
		for _, m := range in.Measurements {
			if !m.Pass {
				failed += int64(m.Failed)
				desc += fmt.Sprintf(" %s %d of %d outside %s;", m.Characteristic, m.Failed, len(m.Values), m.Limits)
			}
		}
		nc := domain.Nonconformance{ID: newID("NC", s), WorkOrder: in.WorkOrder, Line: in.Line, Inspection: in.ID,
			Description: desc[:len(desc)-1], Quantity: failed, OpenedBy: actor.Name, OpenedAt: in.At}
		if err := s.insertNC(ctx, tx, nc, actor); err != nil {
			return in, err
		}
		in.NC = nc.ID
		if hold {
			if _, err := s.openHold(ctx, tx, in.WorkOrder); errors.Is(err, domain.ErrNotFound) {
				h := domain.Hold{ID: newID("HOLD", s), WorkOrder: in.WorkOrder, Line: in.Line, Reason: nc.Description, Inspection: in.ID,
					OpenedBy: actor.Name, OpenedAt: in.At}
				if err := s.insertHold(ctx, tx, h, actor); err != nil {
					return in, err
				}
				in.Hold = h.ID
			} else if err != nil {
				return in, err
			}
			if in.Lot != "" {
				h := domain.Hold{ID: newID("HOLD", s), Lot: in.Lot, Line: in.Line, Reason: nc.Description + " (" + in.WorkOrder + ")",
					Inspection: in.ID, OpenedBy: actor.Name, OpenedAt: in.At}
				if err := s.insertHold(ctx, tx, h, actor); err != nil && !errors.Is(err, errLotHeld) {
					return in, err
				} else if err == nil {
					in.LotHold = h.ID
				}
			}
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO qc_inspections (id, work_order_id, line_id, station_id, kind, pass, measurements, inspector, at, hold_id, nc_id, lot_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), in.ID, in.WorkOrder, in.Line, in.Station, in.Kind, boolInt(in.Pass), string(ms),
		in.Inspector, nanos(in.At), in.Hold, in.NC, in.Lot); err != nil {
		return in, fmt.Errorf("store: inspection of %s: %w", in.WorkOrder, err)
	}
	action := "inspect_pass"
	if !in.Pass {
		action = "inspect_fail"
	}
	if err := s.writeAudit(ctx, tx, domain.AuditEntry{At: in.At, Actor: actor.Name, Role: actor.Role, Entity: "work_order",
		EntityID: in.WorkOrder, Action: action, Reason: in.Kind, After: snapshot(in)}); err != nil {
		return in, err
	}
	return in, tx.Commit()
}

func (s *Store) insertNC(ctx context.Context, tx *sql.Tx, nc domain.Nonconformance, actor domain.Actor) error {
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO nonconformances (id, work_order_id, line_id, inspection_id, description, quantity, opened_by, opened_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), nc.ID, nc.WorkOrder, nc.Line, nc.Inspection, nc.Description, nc.Quantity, nc.OpenedBy, nanos(nc.OpenedAt)); err != nil {
		return fmt.Errorf("store: nonconformance on %s: %w", nc.WorkOrder, err)
	}
	return s.writeAudit(ctx, tx, domain.AuditEntry{At: nc.OpenedAt, Actor: actor.Name, Role: actor.Role, Entity: "nonconformance",
		EntityID: nc.ID, Action: "open", Reason: nc.Description, After: snapshot(nc)})
}

// errLotHeld: the lot already has an open hold.
var errLotHeld = fmt.Errorf("lot already on hold: %w", domain.ErrConflict)

func (s *Store) insertHold(ctx context.Context, tx *sql.Tx, h domain.Hold, actor domain.Actor) error {
	if h.Lot != "" {
		return s.insertLotHold(ctx, tx, h, actor)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO quality_holds (id, work_order_id, line_id, reason, inspection_id, opened_by, opened_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`), h.ID, h.WorkOrder, h.Line, h.Reason, h.Inspection, h.OpenedBy, nanos(h.OpenedAt)); err != nil {
		if isUnique(err) {
			return fmt.Errorf("store: work order %s is already on hold: %w", h.WorkOrder, domain.ErrConflict)
		}
		return fmt.Errorf("store: hold on %s: %w", h.WorkOrder, err)
	}
	return s.writeAudit(ctx, tx, domain.AuditEntry{At: h.OpenedAt, Actor: actor.Name, Role: actor.Role, Entity: "work_order",
		EntityID: h.WorkOrder, Action: "hold", Reason: h.Reason, After: snapshot(h)})
}

// OpenHold puts a work order on quality hold by hand.
func (s *Store) OpenHold(ctx context.Context, h domain.Hold, actor domain.Actor) (domain.Hold, error) {
	h.ID, h.OpenedBy, h.OpenedAt = newID("HOLD", s), actor.Name, s.now()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return h, err
	}
	defer tx.Rollback()
	if err := s.insertHold(ctx, tx, h, actor); err != nil {
		return h, err
	}
	return h, tx.Commit()
}

const holdCols = `id, work_order_id, line_id, reason, inspection_id, opened_by, opened_at, released_by, released_at, release_note, lot_id`

func scanHold(sc interface{ Scan(...any) error }) (domain.Hold, error) {
	var h domain.Hold
	var at int64
	var rel sql.NullInt64
	err := sc.Scan(&h.ID, &h.WorkOrder, &h.Line, &h.Reason, &h.Inspection, &h.OpenedBy, &at, &h.ReleasedBy, &rel, &h.ReleaseNote, &h.Lot)
	h.OpenedAt, h.ReleasedAt = fromNanos(at), fromNull(rel)
	return h, err
}

// OpenHoldOn returns the open hold on a work order, or ErrNotFound.
func (s *Store) OpenHoldOn(ctx context.Context, workOrder string) (domain.Hold, error) {
	return s.openHold(ctx, s.db, workOrder)
}

func (s *Store) openHold(ctx context.Context, q dbtx, workOrder string) (domain.Hold, error) {
	h, err := scanHold(q.QueryRowContext(ctx, s.q(`SELECT `+holdCols+` FROM quality_holds WHERE work_order_id = ? AND lot_id = '' AND released_at IS NULL`), workOrder))
	if err != nil {
		return h, notFound("store: hold on "+workOrder, err)
	}
	return h, nil
}

// ReleaseHold releases a hold with a note (audited); a released one is a conflict.
func (s *Store) ReleaseHold(ctx context.Context, id, note string, actor domain.Actor) (domain.Hold, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return domain.Hold{}, err
	}
	defer tx.Rollback()
	before, err := scanHold(tx.QueryRowContext(ctx, s.q(`SELECT `+holdCols+` FROM quality_holds WHERE id = ?`), id))
	if err != nil {
		return before, notFound("store: hold "+id, err)
	}
	if before.ReleasedAt != nil {
		return before, fmt.Errorf("hold %s was released by %s: %w", id, before.ReleasedBy, domain.ErrConflict)
	}
	now := s.now()
	after := before
	after.ReleasedBy, after.ReleasedAt, after.ReleaseNote = actor.Name, &now, note
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE quality_holds SET released_by = ?, released_at = ?, release_note = ? WHERE id = ? AND released_at IS NULL`),
		actor.Name, nanos(now), note, id); err != nil {
		return before, fmt.Errorf("store: release hold %s: %w", id, err)
	}
	entity, entityID := "work_order", before.WorkOrder
	if before.Lot != "" {
		entity, entityID = "lot", before.Lot
		if err := s.setHeldLot(ctx, tx, before.Lot, domain.LotBlocked, domain.LotReleased, "hold "+id+" released: "+note, actor, now); err != nil {
			return before, err
		}
	}
	if err := s.writeAudit(ctx, tx, domain.AuditEntry{At: now, Actor: actor.Name, Role: actor.Role, Entity: entity,
		EntityID: entityID, Action: "release_hold", Reason: note, Before: snapshot(before), After: snapshot(after)}); err != nil {
		return before, err
	}
	return after, tx.Commit()
}

// ListHolds lists holds, newest first; open only when openOnly.
func (s *Store) ListHolds(ctx context.Context, openOnly bool) ([]domain.Hold, error) {
	where := ""
	if openOnly {
		where = " WHERE released_at IS NULL"
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+holdCols+` FROM quality_holds`+where+` ORDER BY opened_at DESC LIMIT 500`)
	if err != nil {
		return nil, fmt.Errorf("store: holds: %w", err)
	}
	defer rows.Close()
	out := []domain.Hold{}
	for rows.Next() {
		h, err := scanHold(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

const ncCols = `id, work_order_id, line_id, inspection_id, description, quantity, opened_by, opened_at, disposition, note, decided_by, decided_at`

func scanNC(sc interface{ Scan(...any) error }) (domain.Nonconformance, error) {
	var n domain.Nonconformance
	var at int64
	var dec sql.NullInt64
	err := sc.Scan(&n.ID, &n.WorkOrder, &n.Line, &n.Inspection, &n.Description, &n.Quantity, &n.OpenedBy, &at, &n.Disposition, &n.Note, &n.DecidedBy, &dec)
	n.OpenedAt, n.DecidedAt = fromNanos(at), fromNull(dec)
	return n, err
}

// ListNonconformances lists them, newest first; undecided only when openOnly.
func (s *Store) ListNonconformances(ctx context.Context, openOnly bool) ([]domain.Nonconformance, error) {
	where := ""
	if openOnly {
		where = " WHERE decided_at IS NULL"
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+ncCols+` FROM nonconformances`+where+` ORDER BY opened_at DESC LIMIT 500`)
	if err != nil {
		return nil, fmt.Errorf("store: nonconformances: %w", err)
	}
	defer rows.Close()
	out := []domain.Nonconformance{}
	for rows.Next() {
		n, err := scanNC(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Dispose records a nonconformance's disposition and who decided (audited);
// a decided one is a conflict.
func (s *Store) Dispose(ctx context.Context, id, disposition, note string, actor domain.Actor) (domain.Nonconformance, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return domain.Nonconformance{}, err
	}
	defer tx.Rollback()
	before, err := scanNC(tx.QueryRowContext(ctx, s.q(`SELECT `+ncCols+` FROM nonconformances WHERE id = ?`), id))
	if err != nil {
		return before, notFound("store: nonconformance "+id, err)
	}
	if before.DecidedAt != nil {
		return before, fmt.Errorf("nonconformance %s was decided (%s) by %s: %w", id, before.Disposition, before.DecidedBy, domain.ErrConflict)
	}
	now := s.now()
	after := before
	after.Disposition, after.Note, after.DecidedBy, after.DecidedAt = disposition, note, actor.Name, &now
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE nonconformances SET disposition = ?, note = ?, decided_by = ?, decided_at = ? WHERE id = ?`),
		disposition, note, actor.Name, nanos(now), id); err != nil {
		return before, fmt.Errorf("store: nonconformance %s: %w", id, err)
	}
	if err := s.writeAudit(ctx, tx, domain.AuditEntry{At: now, Actor: actor.Name, Role: actor.Role, Entity: "nonconformance",
		EntityID: id, Action: "dispose", Reason: disposition + ": " + note, Before: snapshot(before), After: snapshot(after)}); err != nil {
		return before, err
	}
	return after, tx.Commit()
}

// ListInspections lists qc_inspections, newest first, of one work order or all.
func (s *Store) ListInspections(ctx context.Context, workOrder string) ([]domain.QCInspection, error) {
	q, args := `SELECT id, work_order_id, line_id, station_id, kind, pass, measurements, inspector, at, hold_id, nc_id, lot_id FROM qc_inspections`, []any{}
	if workOrder != "" {
		q += ` WHERE work_order_id = ?`
		args = append(args, workOrder)
	}
	rows, err := s.db.QueryContext(ctx, s.q(q+` ORDER BY at DESC LIMIT 500`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: qc_inspections: %w", err)
	}
	defer rows.Close()
	out := []domain.QCInspection{}
	for rows.Next() {
		var in domain.QCInspection
		var pass int
		var ms string
		var at int64
		if err := rows.Scan(&in.ID, &in.WorkOrder, &in.Line, &in.Station, &in.Kind, &pass, &ms, &in.Inspector, &at, &in.Hold, &in.NC, &in.Lot); err != nil {
			return nil, err
		}
		in.Pass, in.At = pass != 0, fromNanos(at)
		if err := json.Unmarshal([]byte(ms), &in.Measurements); err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}
