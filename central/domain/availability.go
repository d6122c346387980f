package domain

import "time"

// Availability is an order's material check: its bill of materials
// exploded through in-house semi-finished products (a component with a
// BOM of its own), each requirement netted against usable stock — released
// lots outside quarantine locations, less what other orders have
// allocated — then against confirmed incoming stock: what open purchase
// order lines still owe whose supplier confirmed a date before the day the
// order is planned to start. What neither covers of an in-house product is
// to be made and is exploded a level further; of a bought one it is a
// shortfall.
type Availability struct {
	Order    string             `json:"order"`
	Product  string             `json:"product"`
	Quantity int64              `json:"quantity"`
	Lines    []AvailabilityLine `json:"lines"`
	// Short: some line has a shortfall.
	Short bool      `json:"short"`
	At    time.Time `json:"at"`
	// PlannedStart is the order's earliest planned operation start; without
	// one no incoming stock is counted (nothing to compare a delivery with).
	PlannedStart *time.Time `json:"planned_start,omitempty"`
}

// AvailabilityLine is one component at one level (Parent is what it goes
// into; level 1 goes into the order's product). All quantities are in
// the component's base unit. A material met on several branches draws on
// one stock: a later line sees what earlier ones took.
type AvailabilityLine struct {
	Level     int    `json:"level"`
	Parent    string `json:"parent"`
	Material  string `json:"material"`
	Unit      string `json:"unit"`
	Required  Qty    `json:"required"`
	OnHand    Qty    `json:"on_hand"`             // usable stock of the material
	Allocated Qty    `json:"allocated_to_others"` // reserved by other orders
	Reserved  Qty    `json:"allocated_to_order"`  // reserved by this order
	Available Qty    `json:"available"`           // on hand − allocated to others − taken by earlier lines
	FromStock Qty    `json:"from_stock"`
	// Incoming: confirmed on open purchase order lines (ordered − received,
	// approved or sent, not subcontracting) for a date before the planned
	// start's day, less what earlier lines counted on; FromIncoming is what
	// of the requirement it covers. Only stock is reserved at release.
	Incoming     Qty `json:"incoming"`
	FromIncoming Qty `json:"from_incoming,omitempty"`
	ToMake       Qty `json:"to_make,omitempty"` // in-house: exploded below
	Shortfall    Qty `json:"shortfall"`
}
