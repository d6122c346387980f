package inventory

import (
	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

// Exports are the list the user was looking at: the same filters and,
// like the list, one page (X-Next-Cursor when there may be more).

func units(q domain.Qty) float64 { return float64(q) / domain.QtyScale }

func (a *api) exportStock(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		f, err := stockFilter(c)
		if err != nil {
			return err
		}
		bs, err := a.Store.Stock(ctx(c), f)
		if err != nil {
			return err
		}
		nextPage(c, len(bs), f.Limit, func() string { return bs[len(bs)-1].Cursor() })
		rows := make([][]any, len(bs))
		for i, b := range bs {
			rows[i] = []any{b.Material, b.Lot, b.Location, units(b.Quantity), b.Unit, string(b.LotStatus), b.ExpiresAt, &b.UpdatedAt}
		}
		return a.Sheet(c, format, "stock", []string{"material", "lot", "location", "quantity", "unit", "lot_status", "expires_at", "updated_at"}, rows)
	}
}

func (a *api) exportMovements(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		f, err := movementFilter(c)
		if err != nil {
			return err
		}
		ms, err := a.Store.ListMovements(ctx(c), f)
		if err != nil {
			return err
		}
		nextPage(c, len(ms), f.Limit, func() string { return ms[len(ms)-1].ID })
		rows := make([][]any, len(ms))
		for i, m := range ms {
			neg := ""
			if m.Negative {
				neg = "yes"
			}
			rows[i] = []any{m.ID, &m.At, string(m.Type), m.Material, m.Lot, m.From, m.To, units(m.Quantity), m.Unit,
				units(m.EnteredQuantity), m.EnteredUnit, m.WorkOrder, m.Order, m.Reason, neg, m.Actor, string(m.Role)}
		}
		return a.Sheet(c, format, "movements", []string{"id", "at", "type", "material", "lot", "from", "to", "quantity", "unit",
			"entered_quantity", "entered_unit", "work_order", "order", "reason", "negative", "actor", "role"}, rows)
	}
}
