package purchasing

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// Requirements planning (MRP, 按生产计划和库存采购). The demand is the
// bills of materials of the approved, scheduled and released orders (and
// those in progress or paused), each needed on its earliest planned work
// order start (else its due date, else today). Materials are netted level
// by level (low-level codes, so a material met at several depths is netted
// once, after every parent): gross requirements by day against usable
// stock (released, outside quarantine) less what orders outside the plan
// have allocated, plus open purchase order lines, keeping safety stock.
// What is short of a bought material becomes a purchase requisition
// (rounded up to the preferred supplier's minimum and multiple, ordered by
// the need date less its lead time); of an in-house product a production
// proposal, whose own components are then needed on its start (the need
// date less one day per started day of its ideal cycle × quantity). When
// the projected stock would end below a material's reorder point, a
// requisition tops it up (to its maximum, if one is set), needed a lead
// time from today.

type mrpMaterial struct {
	code, unit string
	cycle      time.Duration // in-house: ideal cycle per unit
	convs      []domain.UnitConversion
	bom        []bomLine
	level      int
	onHand     domain.Qty // usable stock less others' allocations
	incoming   domain.Qty // open purchase order lines
	safety     domain.Qty
	reorder    domain.Qty
	maximum    domain.Qty
	terms      *domain.SupplierItem // the preferred (else first) supplier's
	needs      map[string]*mrpNeed  // by need date
}

type bomLine struct {
	component, unit string
	per             float64
}

type mrpNeed struct {
	qty    domain.Qty
	orders map[string]bool
}

// planStatuses are the orders whose material MRP plans.
var planStatuses = []string{"approved", "scheduled", "released", "in_progress", "paused"}

// RunMRP computes the proposals from the current orders and stock and
// replaces the open ones of the last run (converted ones stay); audited.
func (s *Store) RunMRP(ctx context.Context, actor domain.Actor) ([]domain.Proposal, error) {
	var out []domain.Proposal
	err := s.h.InTx(ctx, func(q store.Q) error {
		now := s.now()
		var err error
		if out, err = s.plan(ctx, q, now); err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `DELETE FROM mrp_proposals WHERE status = 'open'`); err != nil {
			return err
		}
		// Many rows per statement: a plant-scale run proposes tens of
		// thousands, and one round trip each was most of its time.
		const chunk = 200
		for from := 0; from < len(out); from += chunk {
			part := out[from:min(from+chunk, len(out))]
			vals := make([]string, len(part))
			args := make([]any, 0, len(part)*12)
			for i := range part {
				p := &part[i]
				p.ID, p.Status, p.RunAt = "MRP-"+store.NewID(now), "open", now
				vals[i] = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open')`
				args = append(args, p.ID, store.Nanos(now), p.Kind, p.Material, int64(p.Quantity), p.NeedDate, p.OrderBy,
					p.Supplier, int64(p.Price), p.Currency, p.Reason, string(mustJSON(p.Orders)))
			}
			if _, err := q.Exec(ctx, `INSERT INTO mrp_proposals (id, run_at, kind, material, quantity, need_date, order_by, supplier, price, currency, reason, orders, status)
				VALUES `+strings.Join(vals, ", "), args...); err != nil {
				return fmt.Errorf("store: mrp proposals: %w", err)
			}
		}
		return audit(ctx, q, now, actor, "mrp", "run", "run", "", nil, map[string]any{"proposals": len(out)})
	})
	return out, err
}

// plan is the computation, reading through q.
func (s *Store) plan(ctx context.Context, q store.Q, now time.Time) ([]domain.Proposal, error) {
	today := now.UTC().Format(time.DateOnly)
	mats, err := loadMRPMaterials(ctx, q)
	if err != nil {
		return nil, err
	}
	if err := lowLevelCodes(mats); err != nil {
		return nil, err
	}
	// Demand: each planned order's BOM, one level, on its start.
	rows, err := q.Query(ctx, `SELECT o.number, o.product_code, o.quantity, o.due_at,
		(SELECT MIN(w.planned_start) FROM work_orders w WHERE w.order_number = o.number)
		FROM orders o WHERE o.status IN ('approved', 'scheduled', 'released', 'in_progress', 'paused') ORDER BY o.number`)
	if err != nil {
		return nil, fmt.Errorf("store: mrp orders: %w", err)
	}
	type order struct {
		number, product string
		qty             int64
		day             string
	}
	var orders []order
	for rows.Next() {
		var o order
		var due, start *int64
		if err := rows.Scan(&o.number, &o.product, &o.qty, &due, &start); err != nil {
			rows.Close()
			return nil, err
		}
		o.day = today
		if start != nil {
			o.day = store.FromNanos(*start).UTC().Format(time.DateOnly)
		} else if due != nil {
			o.day = store.FromNanos(*due).UTC().Format(time.DateOnly)
		}
		orders = append(orders, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, o := range orders {
		p := mats[o.product]
		if p == nil {
			continue
		}
		if err := explodeInto(mats, p, domain.Qty(o.qty*domain.QtyScale), o.day, []string{o.number}); err != nil {
			return nil, err
		}
	}
	// Net level by level.
	byLevel := make([]*mrpMaterial, 0, len(mats))
	for _, m := range mats {
		byLevel = append(byLevel, m)
	}
	sort.Slice(byLevel, func(i, j int) bool {
		if byLevel[i].level != byLevel[j].level {
			return byLevel[i].level < byLevel[j].level
		}
		return byLevel[i].code < byLevel[j].code
	})
	var out []domain.Proposal
	for _, m := range byLevel {
		if len(m.needs) == 0 && m.reorder == 0 {
			continue
		}
		props, err := net(mats, m, today)
		if err != nil {
			return nil, err
		}
		out = append(out, props...)
	}
	return out, nil
}

// explodeInto adds parent's components for qty of parent on day.
func explodeInto(mats map[string]*mrpMaterial, parent *mrpMaterial, qty domain.Qty, day string, orders []string) error {
	for _, b := range parent.bom {
		c := mats[b.component]
		if c == nil {
			continue
		}
		raw := domain.Qty(math.Round(float64(qty) * b.per))
		req, err := domain.Convert(c.code, c.unit, raw, b.unit, c.convs)
		if err != nil {
			return fmt.Errorf("bom of %s: %w", parent.code, err)
		}
		if req <= 0 {
			continue
		}
		if c.needs == nil {
			c.needs = map[string]*mrpNeed{}
		}
		n := c.needs[day]
		if n == nil {
			n = &mrpNeed{orders: map[string]bool{}}
			c.needs[day] = n
		}
		n.qty += req
		for _, o := range orders {
			n.orders[o] = true
		}
	}
	return nil
}

// net time-phases one material's needs and proposes what is short.
func net(mats map[string]*mrpMaterial, m *mrpMaterial, today string) ([]domain.Proposal, error) {
	days := make([]string, 0, len(m.needs))
	for d := range m.needs {
		days = append(days, d)
	}
	slices.Sort(days)
	avail := m.onHand + m.incoming - m.safety
	inHouse := len(m.bom) > 0
	var out []domain.Proposal
	for _, d := range days {
		n := m.needs[d]
		avail -= n.qty
		if avail >= 0 {
			continue
		}
		qty := -avail
		if !inHouse && m.terms != nil {
			qty = m.terms.RoundOrder(qty)
		}
		avail += qty
		p := m.proposal(qty, d, today, "net requirement")
		p.Orders = sortedKeys(n.orders)
		if inHouse {
			if err := explodeInto(mats, m, qty, p.OrderBy, p.Orders); err != nil {
				return nil, err
			}
		}
		out = append(out, p)
	}
	// Reorder point: the stock the plan leaves, safety stock included.
	end := avail + m.safety
	if m.reorder > 0 && end < m.reorder && !inHouse {
		target := m.reorder
		if m.maximum > m.reorder {
			target = m.maximum
		}
		qty := target - end
		if m.terms != nil {
			qty = m.terms.RoundOrder(qty)
		}
		lead := 0
		if m.terms != nil {
			lead = m.terms.LeadTimeDays
		}
		p := m.proposal(qty, addDays(today, lead), today, "reorder point")
		p.Orders = []string{}
		out = append(out, p)
	}
	return out, nil
}

func (m *mrpMaterial) proposal(qty domain.Qty, need, today, reason string) domain.Proposal {
	p := domain.Proposal{Kind: "purchase", Material: m.code, Unit: m.unit, Quantity: qty, NeedDate: need, Reason: reason}
	lead := 0
	if len(m.bom) > 0 {
		p.Kind = "production"
		// One day per started day of running the quantity.
		run := time.Duration(float64(m.cycle) * float64(qty) / domain.QtyScale)
		lead = int((run + 24*time.Hour - 1) / (24 * time.Hour))
	} else if m.terms != nil {
		lead = m.terms.LeadTimeDays
		p.Supplier, p.Price, p.Currency = m.terms.Supplier, m.terms.Price, m.terms.Currency
	}
	p.OrderBy = addDays(need, -lead)
	if p.OrderBy < today {
		p.OrderBy, p.LateRisk = today, true
	}
	return p
}

func addDays(day string, n int) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// lowLevelCodes sets each material's level: the deepest it occurs in any
// bill of materials (0 for one no BOM uses). A cycle is refused.
func lowLevelCodes(mats map[string]*mrpMaterial) error {
	const maxDepth = 20
	var walk func(m *mrpMaterial, level int, path []string) error
	walk = func(m *mrpMaterial, level int, path []string) error {
		if level > maxDepth {
			return conflict("bom", "the bill of materials of %s is more than %d levels deep or has a cycle (%v)", path[0], maxDepth, path)
		}
		for _, b := range m.bom {
			c := mats[b.component]
			if c == nil || c.level >= level+1 {
				continue
			}
			c.level = level + 1
			if err := walk(c, level+1, append(path, c.code)); err != nil {
				return err
			}
		}
		return nil
	}
	codes := make([]string, 0, len(mats))
	for c := range mats {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		if mats[c].level == 0 {
			if err := walk(mats[c], 0, []string{c}); err != nil {
				return err
			}
		}
	}
	return nil
}

// loadMRPMaterials reads every product with its BOM, stock, incoming,
// levels and preferred supplier terms, a query each.
func loadMRPMaterials(ctx context.Context, q store.Q) (map[string]*mrpMaterial, error) {
	mats := map[string]*mrpMaterial{}
	each := func(query string, scan func(rows interface{ Scan(...any) error }) error, args ...any) error {
		rows, err := q.Query(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("store: mrp: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	if err := each(`SELECT code, unit, ideal_cycle_ns FROM products`, func(r interface{ Scan(...any) error }) error {
		m := &mrpMaterial{}
		var ns int64
		if err := r.Scan(&m.code, &m.unit, &ns); err != nil {
			return err
		}
		m.cycle = time.Duration(ns)
		mats[m.code] = m
		return nil
	}); err != nil {
		return nil, err
	}
	err := each(`SELECT product_code, component_code, quantity, unit FROM bom_items ORDER BY product_code, component_code`, func(r interface{ Scan(...any) error }) error {
		var p string
		var b bomLine
		if err := r.Scan(&p, &b.component, &b.per, &b.unit); err != nil {
			return err
		}
		if m := mats[p]; m != nil {
			m.bom = append(m.bom, b)
		}
		return nil
	})
	if err == nil {
		err = each(`SELECT material, unit, factor FROM inv_unit_conversions`, func(r interface{ Scan(...any) error }) error {
			var code string
			var c domain.UnitConversion
			if err := r.Scan(&code, &c.Unit, &c.Factor); err != nil {
				return err
			}
			if m := mats[code]; m != nil {
				m.convs = append(m.convs, c)
			}
			return nil
		})
	}
	qtyInto := func(query string, set func(m *mrpMaterial, v domain.Qty)) error {
		return each(query, func(r interface{ Scan(...any) error }) error {
			var code string
			var v int64
			if err := r.Scan(&code, &v); err != nil {
				return err
			}
			if m := mats[code]; m != nil {
				set(m, domain.Qty(v))
			}
			return nil
		})
	}
	if err == nil {
		err = qtyInto(`SELECT b.material, SUM(b.quantity) FROM inv_balances b JOIN inv_lots l ON l.id = b.lot_id
			JOIN inv_locations loc ON loc.id = b.location_id
			WHERE l.status = 'released' AND loc.kind NOT IN ('quarantine', 'subcontractor') AND loc.disabled = 0 GROUP BY b.material`,
			func(m *mrpMaterial, v domain.Qty) { m.onHand += v })
	}
	if err == nil {
		// What orders outside the plan have reserved is not there for it.
		err = qtyInto(`SELECT a.material, SUM(a.quantity) FROM inv_allocations a JOIN orders o ON o.number = a.order_number
			WHERE o.status NOT IN ('approved', 'scheduled', 'released', 'in_progress', 'paused') GROUP BY a.material`,
			func(m *mrpMaterial, v domain.Qty) { m.onHand -= v })
	}
	if err == nil {
		err = qtyInto(`SELECT l.material, SUM(CASE WHEN l.quantity > l.received THEN l.quantity - l.received ELSE 0 END)
			FROM po_lines l JOIN purchase_orders o ON o.number = l.po_number
			WHERE l.closed = 0 AND o.status IN ('approved', 'sent', 'partially_received') GROUP BY l.material`,
			func(m *mrpMaterial, v domain.Qty) { m.incoming += v })
	}
	if err == nil {
		err = each(`SELECT material, safety_stock, reorder_point, maximum FROM inv_stock_levels WHERE location_id = ''`, func(r interface{ Scan(...any) error }) error {
			var code string
			var ss, rp, mx int64
			if err := r.Scan(&code, &ss, &rp, &mx); err != nil {
				return err
			}
			if m := mats[code]; m != nil {
				m.safety, m.reorder, m.maximum = domain.Qty(ss), domain.Qty(rp), domain.Qty(mx)
			}
			return nil
		})
	}
	if err == nil {
		err = each(`SELECT si.supplier, si.material, si.lead_time_days, si.price, si.currency, si.valid_from, si.valid_to, si.moq, si.multiple, si.preferred
			FROM supplier_items si JOIN suppliers s ON s.code = si.supplier WHERE s.status IN ('approved', 'probation')
			ORDER BY si.material, si.preferred DESC, si.supplier`, func(r interface{ Scan(...any) error }) error {
			var it domain.SupplierItem
			var price, moq, mult int64
			var pref int
			if err := r.Scan(&it.Supplier, &it.Material, &it.LeadTimeDays, &price, &it.Currency, &it.ValidFrom, &it.ValidTo, &moq, &mult, &pref); err != nil {
				return err
			}
			it.Price, it.MOQ, it.Multiple, it.Preferred = domain.Money(price), domain.Qty(moq), domain.Qty(mult), pref != 0
			if m := mats[it.Material]; m != nil && m.terms == nil {
				m.terms = &it
			}
			return nil
		})
	}
	return mats, err
}
