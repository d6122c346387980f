package domain

import "fmt"

// StockLevel sets a material's safety stock, reorder point and maximum,
// over all its usable stock (Location "") or at one location. Usable:
// released lots outside quarantine locations.
type StockLevel struct {
	Location     string `json:"location,omitempty"`
	SafetyStock  Qty    `json:"safety_stock"`
	ReorderPoint Qty    `json:"reorder_point"`
	Maximum      Qty    `json:"maximum,omitempty"` // 0: none
}

// CheckStockLevels wants at most one level per location, and 0 ≤ safety
// stock ≤ reorder point ≤ maximum (when set).
func CheckStockLevels(ls []StockLevel) error {
	seen := map[string]bool{}
	for i, l := range ls {
		f := fmt.Sprintf("[%d]", i)
		if l.Location != "" {
			if err := ValidNumber(f+".location", l.Location); err != nil {
				return err
			}
		}
		if seen[l.Location] {
			return Invalid(f+".location", "is listed twice (\"\" is all locations)")
		}
		seen[l.Location] = true
		for _, q := range []struct {
			name string
			v    Qty
		}{{"safety_stock", l.SafetyStock}, {"reorder_point", l.ReorderPoint}, {"maximum", l.Maximum}} {
			if q.v < 0 || q.v > MaxStock {
				return Invalid(f+"."+q.name, "must be from 0 to %d", int64(MaxQuantity))
			}
		}
		if l.ReorderPoint < l.SafetyStock {
			return Invalid(f+".reorder_point", "must be at least the safety stock (%s)", l.SafetyStock)
		}
		if l.Maximum != 0 && l.Maximum < l.ReorderPoint {
			return Invalid(f+".maximum", "must be at least the reorder point (%s), or 0 for none", l.ReorderPoint)
		}
	}
	return nil
}

// StockAlert is a material whose usable stock is below its safety stock
// or reorder point, or above its maximum.
type StockAlert struct {
	Material     string `json:"material"`
	Location     string `json:"location,omitempty"` // "" all locations
	Unit         string `json:"unit"`
	Kind         string `json:"kind"` // below_safety_stock, below_reorder_point, above_maximum
	Stock        Qty    `json:"stock"`
	SafetyStock  Qty    `json:"safety_stock"`
	ReorderPoint Qty    `json:"reorder_point"`
	Maximum      Qty    `json:"maximum,omitempty"`
}

// Stock alert kinds, worst first.
const (
	AlertBelowSafety  = "below_safety_stock"
	AlertBelowReorder = "below_reorder_point"
	AlertAboveMaximum = "above_maximum"
)

// Alert says which alert stock raises against l ("" none). At or above
// the reorder point is fine: a reorder point is the level to order at.
func (l StockLevel) Alert(stock Qty) string {
	switch {
	case stock < l.SafetyStock:
		return AlertBelowSafety
	case stock < l.ReorderPoint:
		return AlertBelowReorder
	case l.Maximum > 0 && stock > l.Maximum:
		return AlertAboveMaximum
	}
	return ""
}
