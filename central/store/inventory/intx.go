package inventory

import (
	"context"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// BookIn books m inside the caller's transaction q, with the same checks,
// balances and audit as Book: purchasing's goods receipts and inspection
// decisions commit with their own rows, or not at all.
func (s *Store) BookIn(ctx context.Context, q store.Q, m domain.MovementRequest, actor domain.Actor) (domain.Movement, error) {
	if err := domain.CheckMovement(m); err != nil {
		return domain.Movement{}, err
	}
	return s.book(ctx, q, m, actor)
}
