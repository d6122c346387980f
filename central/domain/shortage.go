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
	Backflush bool   `json:"backflush,omitempty"`
}
