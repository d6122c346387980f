package app

import (
	"github.com/linewise/linewise/central/store/costing"
	"github.com/linewise/linewise/central/store/inventory"
	"github.com/linewise/linewise/central/store/purchasing"
)

// Purchasing is central's purchasing store (suppliers, purchase orders,
// receipts, inspections, MRP), for tests and tools beside the API.
func (a *App) Purchasing() *purchasing.Store { return a.pur }

// Inventory is central's stock ledger.
func (a *App) Inventory() *inventory.Store { return a.inv }

// costing is the cost store, with outsourced work at its subcontract
// purchase orders' prices.
func (a *App) costing() *costing.Store {
	c := costing.New(a.store.Handle(), a.cfg.Cost.Currency)
	c.Outsourcing = a.pur.OutsourcingCost(a.cfg.Cost.Currency)
	return c
}
