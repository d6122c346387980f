package domain

// WorkOrderConsumption is a work order's material consumption against its
// bill of materials: per component what the parts it made should have
// taken (standard), what it took (actual: issued, backflushed or scanned,
// net of returns), what its counts consumed that the line side did not
// hold (short: used but not booked) and the variance (actual + short −
// standard; positive: more used than the BOM says).
type WorkOrderConsumption struct {
	WorkOrder string `json:"work_order"`
	Order     string `json:"order"`
	Product   string `json:"product"`
	Good      int64  `json:"good"`
	Reject    int64  `json:"reject"`
	// Standard is false for an operation after the first: components go in
	// at the first operation, so the BOM's standard is counted there.
	Standard bool              `json:"standard"`
	Lines    []ConsumptionLine `json:"lines"`
}

// ConsumptionLine is one component of a WorkOrderConsumption.
type ConsumptionLine struct {
	Material    string    `json:"material"`
	Unit        string    `json:"unit"`
	Consumption string    `json:"consumption"` // backflush or manual; "" when not in the BOM
	Standard    Qty       `json:"standard"`
	Actual      Qty       `json:"actual"`
	Short       Qty       `json:"short"`
	Variance    Qty       `json:"variance"`
	Lots        []LotUsed `json:"lots"`
}

// LotUsed is how much of a lot a work order holds, net of returns.
type LotUsed struct {
	Lot      string `json:"lot"`
	Quantity Qty    `json:"quantity"`
}
