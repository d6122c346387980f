package domain

import "time"

// Availability is an order's material check: its bill of materials
// exploded through in-house semi-finished products (a component with a
// BOM of its own), each requirement netted against usable stock — released
// lots outside quarantine locations, less what other orders have
// allocated. What stock does not cover of an in-house product is to be made
// and is exploded a level further; what it does not cover of a bought one
// is a shortfall.
type Availability struct {
	Order    string             `json:"order"`
	Product  string             `json:"product"`
	Quantity int64              `json:"quantity"`
	Lines    []AvailabilityLine `json:"lines"`
	// Short: some line has a shortfall.
	Short bool      `json:"short"`
	At    time.Time `json:"at"`
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
	ToMake    Qty    `json:"to_make,omitempty"` // in-house: exploded below
	Shortfall Qty    `json:"shortfall"`
}
