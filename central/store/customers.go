package store

import (
	"context"
	"fmt"

	"github.com/linewise/linewise/central/domain"
)

// Customers are master data (customerSpec in mastercrud.go): SaveMaster
// writes them, ImportMaster imports them, both audited as entity customer.

// ListCustomers returns every customer by code.
func (s *Store) ListCustomers(ctx context.Context) ([]domain.Customer, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT code, name, grade, contacts FROM customers ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("store: list customers: %w", err)
	}
	defer rows.Close()
	out := []domain.Customer{}
	for rows.Next() {
		var x domain.Customer
		if err := rows.Scan(&x.Code, &x.Name, &x.Grade, &x.Contacts); err != nil {
			return nil, fmt.Errorf("store: list customers: %w", err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// GetCustomer returns a customer; domain.ErrNotFound if absent.
func (s *Store) GetCustomer(ctx context.Context, code string) (domain.Customer, error) {
	var x domain.Customer
	err := s.db.QueryRowContext(ctx, s.q(`SELECT code, name, grade, contacts FROM customers WHERE code = ?`), code).
		Scan(&x.Code, &x.Name, &x.Grade, &x.Contacts)
	return x, notFoundIf("store: customer "+code, err)
}
