package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// onScanCode takes a fixed scanner's code that is no badge and no work
// order, in the scan's transaction: a lot is loaded for the work order
// running (or paused) on the line, as a station's lot scan is (LoadLot); a
// code with the prefix of that work order's serial-tracked product is
// registered as the serial of one of its parts. The scanner may say which
// it is (action "lot" or "serial"); then anything else is refused.
func (s *Store) onScanCode(ctx context.Context, q store.Q, c domain.ScanCode) (domain.ScanRecord, bool, error) {
	var rec domain.ScanRecord
	isLot, err := exists(ctx, q, `SELECT 1 FROM inv_lots WHERE id = ?`, c.Code)
	if err != nil {
		return rec, true, err
	}
	var wo, product string
	err = q.QueryRow(ctx, `SELECT w.id, o.product_code FROM work_orders w JOIN orders o ON o.number = w.order_number
		WHERE w.line_id = ? AND w.status IN ('in_progress', 'paused')
		ORDER BY CASE w.status WHEN 'in_progress' THEN 0 ELSE 1 END, w.actual_start DESC, w.id LIMIT 1`, c.Line).Scan(&wo, &product)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return rec, true, fmt.Errorf("store: work order running on %s: %w", c.Line, err)
	}
	switch {
	case c.Action == "lot" || c.Action == "" && isLot:
		if !isLot {
			return rec, true, domain.Invalid("code", "lot %s does not exist", c.Code)
		}
		if wo == "" {
			return rec, true, conflict("code", "lot %s can be loaded only for a running work order: nothing runs on line %s", c.Code, c.Line)
		}
		ld, err := s.loadLot(ctx, q, c.Line, wo, c.Code, c.Actor)
		if err != nil {
			return rec, true, err
		}
		msg := "loaded lot " + ld.Lot + " (" + ld.Material + ") for " + wo
		switch {
		case ld.Issued > 0:
			msg = "issued lot " + ld.Lot + " (" + ld.Material + ") to " + wo + ": " + ld.Issued.String() + " " + ld.Unit + " from " + ld.Location
		case ld.Moved > 0:
			msg += ": " + ld.Moved.String() + " " + ld.Unit + " to " + ld.Location
		default:
			msg += ": already at " + ld.Location
		}
		return domain.ScanRecord{Result: domain.ScanApplied, Action: string(domain.ScanLoadLot), WorkOrder: wo, Actor: c.Actor.Name, Message: msg}, true, nil
	case c.Action == "serial" || c.Action == "":
		if wo == "" {
			if c.Action == "" {
				return rec, false, nil
			}
			return rec, true, conflict("code", "serial %s belongs to a running work order: nothing runs on line %s", c.Code, c.Line)
		}
		var prefix string
		err := q.QueryRow(ctx, `SELECT prefix FROM inv_serial_products WHERE product = ?`, product).Scan(&prefix)
		if errors.Is(err, sql.ErrNoRows) || err == nil && !strings.HasPrefix(c.Code, prefix) {
			if c.Action == "" {
				return rec, false, nil
			}
			if err != nil {
				return rec, true, conflict("code", "product %s of work order %s is not serial-tracked", product, wo)
			}
			return rec, true, domain.Invalid("code", "serial %s does not start with %s, the prefix of %s's serials", c.Code, prefix, product)
		}
		if err != nil {
			return rec, true, err
		}
		r := domain.SerialRequest{Serials: []string{c.Code}, Station: c.Station}
		if err := domain.CheckSerialRequest(r); err != nil {
			return rec, true, err
		}
		if _, err := s.registerSerials(ctx, q, wo, r, c.Actor); err != nil {
			return rec, true, err
		}
		return domain.ScanRecord{Result: domain.ScanApplied, Action: "serial", WorkOrder: wo, Actor: c.Actor.Name,
			Message: "serial " + c.Code + " registered for " + wo}, true, nil
	}
	return rec, false, nil
}
