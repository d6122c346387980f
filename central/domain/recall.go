package domain

import (
	"sort"
	"time"
)

// Recall answers "which customer orders contain supplier lot X": the lots
// received under that supplier lot and, from their forward traces, every
// order whose work orders made something from them and every shipment of
// such a lot (with the customer's reference).
type Recall struct {
	SupplierLot string        `json:"supplier_lot"`
	Lots        []string      `json:"lots"`
	Orders      []RecallOrder `json:"orders"`
}

// RecallOrder is one order a supplier lot reached: made (a work order of
// the order consumed it, or something made from it) or shipped (a lot
// holding it was shipped against the order).
type RecallOrder struct {
	Order       string     `json:"order"`
	Kind        string     `json:"kind"` // made | shipped
	CustomerRef string     `json:"customer_ref,omitempty"`
	Lot         string     `json:"lot,omitempty"` // the lot made, or shipped
	Material    string     `json:"material"`
	Quantity    Qty        `json:"quantity"` // made: what of the parent went in; shipped: what was shipped
	Unit        string     `json:"unit"`
	WorkOrder   string     `json:"work_order,omitempty"`
	Line        string     `json:"line,omitempty"`
	At          *time.Time `json:"at,omitempty"`
	// Path: the lots from the supplier's lot to this one.
	Path []string `json:"path"`
}

// RecallFrom collects the orders of forward traces (one per lot received
// under supplierLot): shipments first by time, then the orders that made
// something from it, each once per (order, kind, lot).
func RecallFrom(supplierLot string, trees []TraceNode) Recall {
	r := Recall{SupplierLot: supplierLot, Lots: []string{}, Orders: []RecallOrder{}}
	seen := map[string]bool{}
	var walk func(n TraceNode, path []string, root bool)
	walk = func(n TraceNode, path []string, root bool) {
		if n.Lot != "" {
			path = append(append([]string(nil), path...), n.Lot)
		}
		if !root && n.Order != "" {
			key := n.Order + "/made/" + n.Lot + "/" + n.WorkOrder
			if !seen[key] {
				seen[key] = true
				r.Orders = append(r.Orders, RecallOrder{Order: n.Order, Kind: "made", Lot: n.Lot, Material: n.Material, Quantity: n.Quantity,
					Unit: n.Unit, WorkOrder: n.WorkOrder, Line: n.Line, At: n.FirstAt, Path: path})
			}
		}
		for _, s := range n.Shipments {
			at := s.At
			r.Orders = append(r.Orders, RecallOrder{Order: s.Order, Kind: "shipped", CustomerRef: s.CustomerRef, Lot: n.Lot, Material: n.Material,
				Quantity: s.Quantity, Unit: n.Unit, At: &at, Path: path})
		}
		for _, c := range n.Children {
			walk(c, path, false)
		}
	}
	for _, t := range trees {
		r.Lots = append(r.Lots, t.Lot)
		walk(t, nil, true)
	}
	sort.SliceStable(r.Orders, func(i, j int) bool {
		a, b := r.Orders[i], r.Orders[j]
		if a.Kind != b.Kind {
			return a.Kind == "shipped"
		}
		return a.Order < b.Order
	})
	return r
}

// TraceRow is one node of a genealogy tree flattened for an export: its
// level (0: the lot asked about) and the lot it hangs under.
type TraceRow struct {
	Level  int
	Parent string
	Node   TraceNode
}

// FlattenTrace lists a tree depth first, parents before their children.
func FlattenTrace(root TraceNode) []TraceRow {
	var out []TraceRow
	var walk func(n TraceNode, parent string, level int)
	walk = func(n TraceNode, parent string, level int) {
		out = append(out, TraceRow{Level: level, Parent: parent, Node: n})
		for _, c := range n.Children {
			walk(c, n.Lot, level+1)
		}
	}
	walk(root, "", 0)
	return out
}
