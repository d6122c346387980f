package inventory

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/i18n"
)

// supplierLot reads supplier_lot= ("" when absent): the supplier's own lot
// number, free text as a receipt takes it.
func supplierLot(c echo.Context) (string, error) {
	v := c.QueryParam("supplier_lot")
	if v == "" {
		return "", nil
	}
	if e := domain.CheckText("supplier_lot", v, 80); e != nil {
		return "", e
	}
	return v, nil
}

// recall answers "which customer orders contain supplier lot X" in one
// call: the forward trace of every lot received under it, as orders.
func (a *api) recall(c echo.Context) error {
	sl, err := supplierLot(c)
	if err != nil {
		return err
	}
	if sl == "" {
		return domain.Invalid("supplier_lot", "query parameter supplier_lot is required")
	}
	lots, err := a.Store.ListLots(ctx(c), domain.LotFilter{SupplierLot: sl, Limit: maxPage})
	if err != nil {
		return err
	}
	if len(lots) == 0 {
		return fmt.Errorf("%w: no lot was received under supplier lot %q", domain.ErrNotFound, sl)
	}
	trees := make([]domain.TraceNode, 0, len(lots))
	for _, l := range lots {
		t, err := a.Store.Forward(ctx(c), l.ID)
		if err != nil {
			return fmt.Errorf("recall: %w", err)
		}
		trees = append(trees, t)
	}
	return c.JSON(http.StatusOK, domain.RecallFrom(sl, trees))
}

// exportTrace serves /api/v1/exports/trace.{csv,xlsx}?lot=&direction=: the
// genealogy tree one row per lot, depth first, with its level and parent;
// the header in the reader's language.
func (a *api) exportTrace(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		lot := c.QueryParam("lot")
		if lot == "" {
			return domain.Invalid("lot", "query parameter lot is required")
		}
		if err := domain.ValidNumber("lot", lot); err != nil {
			return err
		}
		dir := c.QueryParam("direction")
		if dir == "" {
			dir = "backward"
		}
		if dir != "backward" && dir != "forward" {
			return domain.Invalid("direction", "must be backward or forward")
		}
		get := a.Store.Backward
		if dir == "forward" {
			get = a.Store.Forward
		}
		tree, err := get(ctx(c), lot)
		if err != nil {
			return fmt.Errorf("trace: %w", err)
		}
		lang := i18n.Default
		if a.Lang != nil {
			lang = a.Lang(c)
		}
		header := []string{i18n.T(lang, "mat.col.level"), i18n.T(lang, "mat.col.lot"), i18n.T(lang, "mat.col.parent"),
			i18n.T(lang, "mat.col.material"), i18n.T(lang, "mat.col.quantity"), i18n.T(lang, "mat.col.unit"),
			i18n.T(lang, "mat.col.status"), i18n.T(lang, "mat.col.supplier_lot"), i18n.T(lang, "mat.col.work_order"),
			i18n.T(lang, "mat.col.order"), i18n.T(lang, "mat.col.line"), i18n.T(lang, "mat.col.received"),
			i18n.T(lang, "mat.col.produced"), i18n.T(lang, "mat.col.first_issued"), i18n.T(lang, "mat.col.last_issued"),
			i18n.T(lang, "mat.col.shipments")}
		var rows [][]any
		for _, r := range domain.FlattenTrace(tree) {
			n := r.Node
			var ships []string
			for _, s := range n.Shipments {
				x := s.Order + " " + s.Quantity.String() + " " + n.Unit
				if s.CustomerRef != "" {
					x += " (" + s.CustomerRef + ")"
				}
				ships = append(ships, x)
			}
			status := string(n.Status)
			switch n.Status {
			case domain.LotQuarantine:
				status = i18n.T(lang, "mat.status.quarantine")
			case domain.LotReleased:
				status = i18n.T(lang, "mat.status.released")
			case domain.LotBlocked:
				status = i18n.T(lang, "mat.status.blocked")
			case domain.LotConsumed:
				status = i18n.T(lang, "mat.status.consumed")
			}
			rows = append(rows, []any{int64(r.Level), n.Lot, r.Parent, n.Material, units(n.Quantity), n.Unit, status, n.SupplierLot,
				n.WorkOrder, n.Order, n.Line, n.ReceivedAt, n.ProducedAt, n.FirstAt, n.LastAt, strings.Join(ships, "; ")})
		}
		return a.Sheet(c, format, "trace-"+dir, header, rows)
	}
}

// exportAlerts serves /api/v1/exports/stock-alerts.{csv,xlsx}: the stock
// alerts list, header in the reader's language.
func (a *api) exportAlerts(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		list, err := a.Store.StockAlerts(ctx(c))
		if err != nil {
			return err
		}
		lang := a.lang(c)
		header := []string{i18n.T(lang, "mat.col.material"), i18n.T(lang, "mat.col.location"), i18n.T(lang, "mat.col.alert"),
			i18n.T(lang, "mat.col.stock"), i18n.T(lang, "mat.col.safety_stock"), i18n.T(lang, "mat.col.reorder_point"),
			i18n.T(lang, "mat.col.maximum"), i18n.T(lang, "mat.col.unit")}
		rows := make([][]any, len(list))
		for i, al := range list {
			kind := al.Kind
			switch al.Kind {
			case domain.AlertBelowSafety:
				kind = i18n.T(lang, "mat.alert.below_safety_stock")
			case domain.AlertBelowReorder:
				kind = i18n.T(lang, "mat.alert.below_reorder_point")
			case domain.AlertAboveMaximum:
				kind = i18n.T(lang, "mat.alert.above_maximum")
			}
			var maximum any = ""
			if al.Maximum > 0 {
				maximum = units(al.Maximum)
			}
			rows[i] = []any{al.Material, al.Location, kind, units(al.Stock), units(al.SafetyStock), units(al.ReorderPoint), maximum, al.Unit}
		}
		return a.Sheet(c, format, "stock-alerts", header, rows)
	}
}

// exportLots serves /api/v1/exports/lots.{csv,xlsx}: the lots list with
// its filters (material, status, supplier_lot; one page, like the list).
func (a *api) exportLots(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		var f domain.LotFilter
		var err error
		if f.Material, err = code(c, "material"); err != nil {
			return err
		}
		if v := c.QueryParam("status"); v != "" {
			if f.Status, err = oneOf("status", v, []domain.LotStatus{domain.LotQuarantine, domain.LotReleased, domain.LotBlocked, domain.LotConsumed}); err != nil {
				return err
			}
		}
		if f.SupplierLot, err = supplierLot(c); err != nil {
			return err
		}
		if f.Limit, err = limit(c); err != nil {
			return err
		}
		if f.After, err = cursor(c); err != nil {
			return err
		}
		ls, err := a.Store.ListLots(ctx(c), f)
		if err != nil {
			return err
		}
		nextPage(c, len(ls), f.Limit, func() string { return ls[len(ls)-1].ID })
		lang := a.lang(c)
		header := []string{i18n.T(lang, "mat.col.lot"), i18n.T(lang, "mat.col.material"), i18n.T(lang, "mat.col.status"),
			i18n.T(lang, "mat.col.quantity"), i18n.T(lang, "mat.col.on_hand"), i18n.T(lang, "mat.col.unit"), i18n.T(lang, "mat.col.supplier_lot"),
			i18n.T(lang, "mat.col.work_order"), i18n.T(lang, "mat.col.received"), i18n.T(lang, "mat.col.produced"), i18n.T(lang, "mat.col.expires")}
		rows := make([][]any, len(ls))
		for i, l := range ls {
			rows[i] = []any{l.ID, l.Material, string(l.Status), units(l.Quantity), units(l.OnHand), l.Unit, l.SupplierLot, l.WorkOrderID,
				l.ReceivedAt, l.ProducedAt, l.ExpiresAt}
		}
		return a.Sheet(c, format, "lots", header, rows)
	}
}

func (a *api) lang(c echo.Context) string {
	if a.Lang != nil {
		return a.Lang(c)
	}
	return i18n.Default
}
