package domain

import "time"

// LineTotals is what a line made in [From, To), summed from its stored count
// events by their source time (when the machine made the parts, not when
// central heard of them), split by the work order each event is attributed
// to. Unattributed parts were counted while no work order ran on the line.
type LineTotals struct {
	Line               string            `json:"line"`
	From               time.Time         `json:"from"`
	To                 time.Time         `json:"to"`
	Good               int64             `json:"good"`
	Reject             int64             `json:"reject"`
	UnattributedGood   int64             `json:"unattributed_good"`
	UnattributedReject int64             `json:"unattributed_reject"`
	WorkOrders         []WorkOrderTotals `json:"work_orders"`
	CountEvents        int64             `json:"count_events"`
}

// WorkOrderTotals is one work order's share of a LineTotals.
type WorkOrderTotals struct {
	WorkOrderID string `json:"work_order"`
	OrderNumber string `json:"order"`
	Good        int64  `json:"good"`
	Reject      int64  `json:"reject"`
}
