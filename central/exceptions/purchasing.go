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

// Purchasing gives the purchasing alerts (store/purchasing implements it).
type Purchasing interface {
	PurchaseAlerts(ctx context.Context, now time.Time) ([]domain.PurchaseAlert, error)
}

var purchasingKinds = []domain.ExceptionKind{domain.ExceptionLatePurchase, domain.ExceptionReceiptRejected,
	domain.ExceptionSupplierBelow, domain.ExceptionSubcontractLate}

// purchasingAlerts raises one exception per kind and work order at risk
// (or per kind on no line, for what puts no work order at risk) listing
// every purchasing problem behind it, and resolves the ones it raised once
// purchasing no longer reports them (received, returned, back).
func (s *Service) purchasingAlerts(ctx context.Context, now time.Time) (bool, error) {
	alerts, err := s.pur.PurchaseAlerts(ctx, now)
	if err != nil {
		return false, fmt.Errorf("purchasing alerts: %w", err)
	}
	type group struct {
		x    domain.Exception
		keys []string
		text []string
	}
	groups := map[string]*group{}
	var order []string
	for _, a := range alerts {
		k := string(a.Kind) + "|" + a.Line + "|" + a.WorkOrder
		g := groups[k]
		if g == nil {
			g = &group{x: domain.Exception{Line: a.Line, WorkOrder: a.WorkOrder, Kind: a.Kind, OpenedAt: now, LastAt: now}}
			groups[k] = g
			order = append(order, k)
		}
		g.keys, g.text = append(g.keys, a.Key), append(g.text, a.Detail)
	}
	open, err := s.st.ListExceptions(ctx, domain.ExceptionFilter{
		Status: []domain.ExceptionStatus{domain.ExceptionOpen, domain.ExceptionAcknowledged}, Kind: purchasingKinds})
	if err != nil {
		return false, err
	}
	var errs []error
	changed := false
	for _, k := range order {
		g := groups[k]
		sort.Strings(g.keys)
		g.x.Detail = strings.Join(g.text, " · ")
		_, o, err := s.st.RaiseException(ctx, g.x, strings.Join(g.keys, ","), system)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		changed = changed || o != domain.RaiseUnchanged
	}
	for _, x := range open {
		if x.RaisedBy != domain.SystemActor || groups[string(x.Kind)+"|"+x.Line+"|"+x.WorkOrder] != nil || !slices.Contains(purchasingKinds, x.Kind) {
			continue
		}
		if _, err := s.st.ResolveException(ctx, x.ID, system, "purchasing no longer reports it", now); err != nil {
			if !errors.Is(err, domain.ErrConflict) {
				errs = append(errs, err)
			}
			continue
		}
		changed = true
	}
	return changed, errors.Join(errs...)
}
