package domain

import (
	"fmt"
	"time"

	"github.com/linewise/linewise/central/money"
)

// Rates are the cost rates of the plant, all in one currency: a line's
// machine hour (and the labour grade that works it by standard), a labour
// grade's hour, a material's standard cost per base unit.
type LineRate struct {
	Line        string       `json:"line"`
	MachineHour money.Amount `json:"machine_hour"`
	// LabourGrade is the grade the line's standard labour is costed at.
	LabourGrade string     `json:"labour_grade,omitempty"`
	Currency    string     `json:"currency"`
	UpdatedAt   *time.Time `json:"updated_at,omitempty"`
	UpdatedBy   string     `json:"updated_by,omitempty"`
}

// LabourGrade is a labour hour's cost for users of that grade.
type LabourGrade struct {
	Grade      string       `json:"grade"`
	Name       string       `json:"name"`
	LabourHour money.Amount `json:"labour_hour"`
	Currency   string       `json:"currency"`
	UpdatedAt  *time.Time   `json:"updated_at,omitempty"`
	UpdatedBy  string       `json:"updated_by,omitempty"`
}

// MaterialCost is a material's standard cost per unit of its base unit.
type MaterialCost struct {
	Material     string       `json:"material"`
	Unit         string       `json:"unit,omitempty"`
	StandardCost money.Amount `json:"standard_cost"`
	Currency     string       `json:"currency"`
	UpdatedAt    *time.Time   `json:"updated_at,omitempty"`
	UpdatedBy    string       `json:"updated_by,omitempty"`
}

// RateSetters may change cost rates and users' labour grades.
func RateSetters() []Role { return []Role{RolePlanner, RoleManager, RoleAdmin} }

// CostInput is what an order's cost is computed from (the store gathers
// it; CostOf is pure). Times are milliseconds.
type CostInput struct {
	Order, Product, Currency string
	Good                     int64 // the order's good: its last operation's
	Price                    *money.Amount
	PriceCurrency            string
	Materials                []CostMaterialIn
	Ops                      []CostOpIn
	// Outsourcing is the actual cost of subcontracted work (0 until
	// purchasing books subcontract orders; see OutsourcingSource).
	Outsourcing money.Amount
	Missing     []string // rates or costs not set, named
}

// CostMaterialIn is one BOM component of the order's product.
type CostMaterialIn struct {
	Material, Unit string
	PerUnit        Qty           // base-unit thousandths per unit of product
	StdCost        *money.Amount // nil: not set (costed at 0, listed in Missing)
	// Consumed is the net quantity the order's work orders consumed from
	// the ledger (issues, backflush, scanned lots − returns); nil when the
	// material is not tracked there (costed at standard × BOM × produced).
	Consumed *Qty
	// ConsumedCost is what the consumed lots cost: each lot at its
	// purchase receipt's price where purchasing received it (in the
	// plant's currency), else at standard. nil: all at standard.
	ConsumedCost *money.Amount
}

// CostOpIn is one operation (work order) of the order.
type CostOpIn struct {
	Seq                  int
	WorkOrder            string
	Line, StdLine        string // where it ran; where the routing puts it
	Good, Scrap          int64
	CycleMS, SetupMS     int64 // the routing's ideal cycle and setup
	MachineMS            int64 // run time: the line running within the work order's runs
	MachineRate          money.Amount
	StdMachineRate       money.Amount
	StdLabourRate        money.Amount
	Labour               []CostLabourIn
	MachineRateMissing   bool
	StdLabourRateMissing bool
}

// CostLabourIn is one operator's scanned time on a work order.
type CostLabourIn struct {
	Operator, Grade string
	MS              int64
	Rate            money.Amount
}

// CostElements is a cost split by element.
type CostElements struct {
	Material    money.Amount `json:"material"`
	Labour      money.Amount `json:"labour"`
	Machine     money.Amount `json:"machine"`
	Outsourcing money.Amount `json:"outsourcing"`
	Total       money.Amount `json:"total"`
}

func (c *CostElements) sum() {
	c.Total = c.Material + c.Labour + c.Machine + c.Outsourcing
}

// Variance is one cause's share of actual − standard (positive: costlier
// than standard).
type Variance struct {
	Element string       `json:"element"` // material, labour, machine
	Cause   string       `json:"cause"`   // price, quantity, efficiency, scrap
	Item    string       `json:"item"`    // the material, or the work order
	Amount  money.Amount `json:"amount"`
}

// MaterialCostLine is one material's actual and standard.
type MaterialCostLine struct {
	Material    string       `json:"material"`
	Unit        string       `json:"unit"`
	Tracked     bool         `json:"tracked"` // actual from the ledger, else standard × BOM × produced
	StdCost     money.Amount `json:"standard_cost"`
	StdQty      Qty          `json:"standard_qty"` // for the good quantity
	ActualQty   Qty          `json:"actual_qty"`
	Standard    money.Amount `json:"standard"`
	Actual      money.Amount `json:"actual"`
	Price       money.Amount `json:"price_variance"`
	Quantity    money.Amount `json:"quantity_variance"`
	Scrap       money.Amount `json:"scrap_variance"`
	CostMissing bool         `json:"cost_missing,omitempty"`
}

// OperationCost is one work order's labour and machine cost.
type OperationCost struct {
	WorkOrder        string         `json:"work_order"`
	Seq              int            `json:"seq"`
	Line             string         `json:"line"`
	Good             int64          `json:"good"`
	Scrap            int64          `json:"scrap"`
	LabourHours      string         `json:"labour_h"`
	StdLabourHours   string         `json:"standard_labour_h"`
	MachineHours     string         `json:"machine_h"`
	StdMachineHours  string         `json:"standard_machine_h"`
	MachineRate      money.Amount   `json:"machine_rate"`
	StdLabourRate    money.Amount   `json:"standard_labour_rate"`
	Labour           money.Amount   `json:"labour"`
	Machine          money.Amount   `json:"machine"`
	StdLabour        money.Amount   `json:"standard_labour"`
	StdMachine       money.Amount   `json:"standard_machine"`
	LabourByOperator []LabourCostLn `json:"labour_by_operator"`
}

// LabourCostLn is one operator's time and cost on a work order.
type LabourCostLn struct {
	Operator string       `json:"operator"`
	Grade    string       `json:"grade"`
	Hours    string       `json:"hours"`
	Rate     money.Amount `json:"rate"`
	Amount   money.Amount `json:"amount"`
}

// CostSheet is an order's cost settlement: actual against the standard for
// the good quantity, the variances by cause, and the margin when priced.
type CostSheet struct {
	Order        string        `json:"order"`
	Product      string        `json:"product"`
	Currency     string        `json:"currency"`
	Good         int64         `json:"good"`
	Scrap        int64         `json:"scrap"`
	Actual       CostElements  `json:"actual"`
	Standard     CostElements  `json:"standard"`
	StandardUnit money.Amount  `json:"standard_unit_cost"`
	ActualUnit   *money.Amount `json:"actual_unit_cost"`
	Variance     money.Amount  `json:"variance"` // actual − standard
	Variances    []Variance    `json:"variances"`
	// VarianceByCause sums Variances per cause.
	VarianceByCause map[string]money.Amount `json:"variance_by_cause"`
	Price           *money.Amount           `json:"price"` // per unit
	PriceCurrency   string                  `json:"price_currency,omitempty"`
	Revenue         *money.Amount           `json:"revenue"` // price × good
	Margin          *money.Amount           `json:"margin"`  // revenue − actual
	MarginPct       string                  `json:"margin_pct,omitempty"`
	StandardMargin  *money.Amount           `json:"standard_margin"`
	MarginNote      string                  `json:"margin_note,omitempty"`
	Materials       []MaterialCostLine      `json:"materials"`
	Operations      []OperationCost         `json:"operations"`
	Missing         []string                `json:"missing"`
	Frozen          bool                    `json:"frozen"`
	ClosedAt        *time.Time              `json:"closed_at,omitempty"`
	ComputedAt      time.Time               `json:"computed_at"`
}

const msPerHour = 3_600_000

func perHour(rate money.Amount, ms int64) money.Amount { return money.MulDiv(rate, ms, msPerHour) }

func perQty(cost money.Amount, q Qty) money.Amount { return money.MulDiv(cost, int64(q), QtyScale) }

// hours shows milliseconds as hours with four decimals.
func hours(ms int64) string { return money.MulDiv(money.Scale, ms, msPerHour).String() }

// CostOf computes the cost sheet (README "Cost settlement" has the
// formulas and a worked example). Each variance but the last of its
// element is computed on its own; the last (quantity for material,
// efficiency for labour and machine) is the remainder, so the variances
// add up to actual − standard exactly.
func CostOf(in CostInput, now time.Time) CostSheet {
	cs := CostSheet{Order: in.Order, Product: in.Product, Currency: in.Currency, Good: in.Good, Materials: []MaterialCostLine{},
		Operations: []OperationCost{}, Variances: []Variance{}, Missing: append([]string{}, in.Missing...), ComputedAt: now,
		VarianceByCause: map[string]money.Amount{"price": 0, "quantity": 0, "efficiency": 0, "scrap": 0}}
	add := func(v Variance) {
		cs.Variances = append(cs.Variances, v)
		cs.VarianceByCause[v.Cause] += v.Amount
	}
	g := in.Good
	// Units that took material: the first operation's good + scrap.
	var started int64
	for i, op := range in.Ops {
		cs.Scrap += op.Scrap
		if i == 0 {
			started = op.Good + op.Scrap
		}
	}
	for _, m := range in.Materials {
		l := MaterialCostLine{Material: m.Material, Unit: m.Unit, Tracked: m.Consumed != nil, StdQty: m.PerUnit * Qty(g)}
		if m.StdCost != nil {
			l.StdCost = *m.StdCost
		} else {
			l.CostMissing = true
		}
		producedQty := m.PerUnit * Qty(max(started, g))
		l.ActualQty = producedQty
		if m.Consumed != nil {
			l.ActualQty = *m.Consumed
		}
		l.Actual = perQty(l.StdCost, l.ActualQty)
		if m.Consumed != nil && m.ConsumedCost != nil {
			l.Actual = *m.ConsumedCost // purchase prices of the lots consumed
		}
		l.Standard = perQty(l.StdCost, l.StdQty)
		l.Price = l.Actual - perQty(l.StdCost, l.ActualQty)
		l.Scrap = perQty(l.StdCost, producedQty) - l.Standard
		l.Quantity = l.Actual - l.Standard - l.Price - l.Scrap
		cs.Actual.Material += l.Actual
		cs.Standard.Material += l.Standard
		add(Variance{"material", "price", m.Material, l.Price})
		add(Variance{"material", "scrap", m.Material, l.Scrap})
		add(Variance{"material", "quantity", m.Material, l.Quantity})
		cs.Materials = append(cs.Materials, l)
	}
	for _, op := range in.Ops {
		oc := OperationCost{WorkOrder: op.WorkOrder, Seq: op.Seq, Line: op.Line, Good: op.Good, Scrap: op.Scrap,
			MachineRate: op.MachineRate, StdLabourRate: op.StdLabourRate, LabourByOperator: []LabourCostLn{}}
		notDelivered := max(op.Good+op.Scrap-g, 0)
		var labourMS int64
		var ratePart money.Amount
		for _, l := range op.Labour {
			amt := perHour(l.Rate, l.MS)
			oc.Labour += amt
			labourMS += l.MS
			ratePart += perHour(l.Rate-op.StdLabourRate, l.MS)
			oc.LabourByOperator = append(oc.LabourByOperator, LabourCostLn{Operator: l.Operator, Grade: l.Grade, Hours: hours(l.MS), Rate: l.Rate, Amount: amt})
		}
		stdLabourMS := op.CycleMS*g + op.SetupMS
		stdMachineMS := op.CycleMS * g
		oc.StdLabour = perHour(op.StdLabourRate, stdLabourMS)
		oc.Machine = perHour(op.MachineRate, op.MachineMS)
		oc.StdMachine = perHour(op.StdMachineRate, stdMachineMS)
		oc.LabourHours, oc.StdLabourHours = hours(labourMS), hours(stdLabourMS)
		oc.MachineHours, oc.StdMachineHours = hours(op.MachineMS), hours(stdMachineMS)

		lScrap := perHour(op.StdLabourRate, op.CycleMS*notDelivered)
		add(Variance{"labour", "price", op.WorkOrder, ratePart})
		add(Variance{"labour", "scrap", op.WorkOrder, lScrap})
		add(Variance{"labour", "efficiency", op.WorkOrder, oc.Labour - oc.StdLabour - ratePart - lScrap})
		mPrice := perHour(op.MachineRate-op.StdMachineRate, op.MachineMS)
		mScrap := perHour(op.StdMachineRate, op.CycleMS*notDelivered)
		add(Variance{"machine", "price", op.WorkOrder, mPrice})
		add(Variance{"machine", "scrap", op.WorkOrder, mScrap})
		add(Variance{"machine", "efficiency", op.WorkOrder, oc.Machine - oc.StdMachine - mPrice - mScrap})
		cs.Actual.Labour += oc.Labour
		cs.Actual.Machine += oc.Machine
		cs.Standard.Labour += oc.StdLabour
		cs.Standard.Machine += oc.StdMachine
		cs.Operations = append(cs.Operations, oc)
	}
	cs.Actual.Outsourcing = in.Outsourcing
	if in.Outsourcing != 0 {
		add(Variance{"outsourcing", "price", "", in.Outsourcing})
	}
	cs.Actual.sum()
	cs.Standard.sum()
	cs.Variance = cs.Actual.Total - cs.Standard.Total
	if g > 0 {
		cs.StandardUnit = money.MulDiv(cs.Standard.Total, 1, g)
		u := money.MulDiv(cs.Actual.Total, 1, g)
		cs.ActualUnit = &u
	}
	cs.Price, cs.PriceCurrency = in.Price, in.PriceCurrency
	switch {
	case in.Price == nil:
		cs.MarginNote = "the order has no price"
	case in.PriceCurrency != in.Currency:
		cs.MarginNote = "the order is priced in " + in.PriceCurrency + ", costs are in " + in.Currency + ": no margin without a rate"
	default:
		rev := money.MulDiv(*in.Price, g, 1)
		m := rev - cs.Actual.Total
		sm := rev - cs.Standard.Total
		cs.Revenue, cs.Margin, cs.StandardMargin = &rev, &m, &sm
		if rev != 0 {
			cs.MarginPct = pct(m, rev)
		}
	}
	return cs
}

// pct is 100 × a / b rounded to two decimals, as a decimal string.
func pct(a, b money.Amount) string {
	v := int64(money.MulDiv(a, 100*100, int64(b))) // hundredths of a percent
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}
