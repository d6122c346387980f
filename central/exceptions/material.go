package exceptions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// materialDue reports whether the stock projection is due at now (at most
// once per MaterialShortEvery; a clock set back runs it) and, if so, takes
// the turn.
func (s *Service) materialDue(now time.Time) bool {
	s.matMu.Lock()
	defer s.matMu.Unlock()
	if !s.matLast.IsZero() && !now.Before(s.matLast) && now.Sub(s.matLast) < s.cfg.MaterialShortEvery {
		return false
	}
	s.matLast = now
	return true
}

// materialShort raises material_short for each work order the stock
// projection finds short, and resolves the ones it raised itself once the
// projection no longer does (stock arrived, the work order finished or
// left the horizon). A material_short a person raised is theirs to
// resolve; while it is open it stands for the work order (one per line,
// kind and work order).
func (s *Service) materialShort(ctx context.Context, now time.Time) (bool, error) {
	short, err := s.mat.MaterialShortages(ctx, now, s.cfg.MaterialShortHorizon)
	if err != nil {
		return false, fmt.Errorf("material shortages: %w", err)
	}
	open, err := s.st.ListExceptions(ctx, domain.ExceptionFilter{
		Status: []domain.ExceptionStatus{domain.ExceptionOpen, domain.ExceptionAcknowledged},
		Kind:   []domain.ExceptionKind{domain.ExceptionMaterialShort}})
	if err != nil {
		return false, err
	}
	var errs []error
	changed := false
	want := map[string]bool{}
	for _, m := range short {
		key := m.Line + "/" + m.WorkOrder
		want[key] = true
		if slices.ContainsFunc(open, func(x domain.Exception) bool { return x.Line == m.Line && x.WorkOrder == m.WorkOrder }) {
			continue
		}
		mats := make([]string, 0, len(m.Materials))
		for _, sm := range m.Materials {
			mats = append(mats, sm.Material)
		}
		sort.Strings(mats)
		x := domain.Exception{Line: m.Line, WorkOrder: m.WorkOrder, Kind: domain.ExceptionMaterialShort, OpenedAt: now, LastAt: now,
			Detail: shortDetail(m)}
		_, o, err := s.st.RaiseException(ctx, x, "projected/"+m.WorkOrder+"/"+strings.Join(mats, ","), system)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		changed = changed || o != domain.RaiseUnchanged
	}
	for _, x := range open {
		if x.RaisedBy != domain.SystemActor || want[x.Line+"/"+x.WorkOrder] {
			continue
		}
		if _, err := s.st.ResolveException(ctx, x.ID, system, "stock covers work order "+x.WorkOrder+" now", now); err != nil {
			if errors.Is(err, domain.ErrConflict) {
				continue
			}
			errs = append(errs, err)
			continue
		}
		changed = true
	}
	return changed, errors.Join(errs...)
}

// shortDetail names each material, how much is short and of what need, and
// when the work order needs it.
func shortDetail(m domain.MaterialShortage) string {
	parts := make([]string, 0, len(m.Materials))
	for _, sm := range m.Materials {
		if sm.Backflush {
			parts = append(parts, fmt.Sprintf("%s: line side %s holds none; %s %s consumed without stock", sm.Material, m.Line, sm.Short, sm.Unit))
			continue
		}
		out := ""
		if !sm.At.IsZero() {
			out = ", runs out about " + sm.At.UTC().Format("2006-01-02 15:04Z")
		}
		parts = append(parts, fmt.Sprintf("%s short %s %s (needs %s %s, %s %s projected%s)", sm.Material, sm.Short, sm.Unit, sm.Need, sm.Unit, sm.Projected, sm.Unit, out))
	}
	when := "running"
	if !m.Start.IsZero() {
		when = "from " + m.Start.UTC().Format("2006-01-02 15:04Z")
	}
	return fmt.Sprintf("work order %s (order %s) %s: %s", m.WorkOrder, m.Order, when, strings.Join(parts, "; "))
}
