package store

import (
	"context"
	"fmt"

	"github.com/linewise/linewise/central/domain"
)

// MasterETag is the version of a stored master data record (v names it by
// its key; its other fields are ignored): a hash of its stored columns.
// domain.ErrNotFound if there is none.
func (s *Store) MasterETag(ctx context.Context, v any) (string, error) {
	r, err := s.rowOf(v)
	if err != nil {
		return "", err
	}
	row, err := s.readRow(ctx, s.db, r)
	if err != nil {
		return "", err
	}
	if row == nil {
		return "", fmt.Errorf("store: %s %s: %w", r.spec.entity, r.id(), domain.ErrNotFound)
	}
	return domain.HashETag(row), nil
}

// SaveMasterIfMatch is SaveMaster for an update that must find the record
// still at version ifMatch (MasterETag; "" or "*" match any): the record's
// row is locked first (an update of nothing), then compared, then written,
// in one transaction, so two editors cannot both win. domain.ErrStale if
// it changed.
func (s *Store) SaveMasterIfMatch(ctx context.Context, v any, mode domain.SaveMode, actor domain.Actor, ifMatch string) error {
	if ifMatch == "" {
		return s.SaveMaster(ctx, v, mode, actor)
	}
	r, err := s.rowOf(v)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: save %s: %w", r.spec.entity, err)
	}
	defer tx.Rollback()
	k := r.spec.keys[0]
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE `+r.spec.table+` SET `+k+` = `+k+` WHERE `+r.where()), r.keys...); err != nil {
		return fmt.Errorf("store: lock %s %s: %w", r.spec.entity, r.id(), err)
	}
	row, err := s.readRow(ctx, tx, r)
	if err != nil {
		return err
	}
	if row != nil && !domain.MatchETag(ifMatch, domain.HashETag(row)) {
		return fmt.Errorf("store: %s %s: %w", r.spec.entity, r.id(), domain.ErrStale)
	}
	_, ferrs, err := s.writeRow(ctx, tx, r, mode, actor, "")
	if err != nil {
		return err
	}
	if len(ferrs) > 0 {
		return ferrs[0]
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: save %s %s: %w", r.spec.entity, r.id(), err)
	}
	return nil
}
