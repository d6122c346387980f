package domain

import "time"

// MaterialShortage is why one work order will run (or is running) short of
// material: the projection over the released and running work orders in
// their start order found its remaining need above the stock left for it,
// or its line side lacked what its counts consumed (backflush).
type MaterialShortage struct {
	WorkOrder string `json:"work_order"`
	Order     string `json:"order"`
	Line      string `json:"line"`
	// Start is when the work order needs the material: its actual start
	// when running, else its planned start.
	Start     time.Time       `json:"start"`
	Materials []ShortMaterial `json:"materials"`
}

// ShortMaterial is one material a work order lacks, in the material's base
// unit. Backflush: the line side holds none of it while the work order's
// counts consumed Short more than was there.
type ShortMaterial struct {
	Material  string `json:"material"`
	Unit      string `json:"unit"`
	Need      Qty    `json:"need"`      // remaining need (BOM × quantity, less what was issued)
	Projected Qty    `json:"projected"` // stock left for it after earlier work orders
	Short     Qty    `json:"short"`
	// At is when the stock left for the work order runs out at the
	// product's ideal rate (zero when the rate is unknown, or backflush).
	At        time.Time `json:"at,omitzero"`
	Backflush bool      `json:"backflush,omitempty"`
}

// LotLoad is what scanning a lot at a station did: the lot's stock moved
// to its line's line-side location (Moved; 0 when it was there already),
// and what that line side holds now.
type LotLoad struct {
	Lot       string `json:"lot"`
	Material  string `json:"material"`
	WorkOrder string `json:"work_order"`
	Location  string `json:"location"`
	Moved     Qty    `json:"moved"`
	// Issued: the component is consumed by manual issue, and this much of
	// the lot was issued to the work order (nothing moved to the line side).
	Issued Qty       `json:"issued,omitempty"`
	Unit   string    `json:"unit"`
	Loaded []Balance `json:"loaded"`
}

// ScanLoadLot: a component lot scanned at a station was loaded for the
// running work order.
const ScanLoadLot ScanAction = "load_lot"
