package purchasing

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// benchGate skips a benchmark test unless LINEWISE_BENCH=1 (make bench).
func benchGate(t *testing.T) {
	t.Helper()
	if os.Getenv("LINEWISE_BENCH") != "1" {
		t.Skip("benchmark: set LINEWISE_BENCH=1 (make bench)")
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// bulk inserts rows into table in chunks, each chunk one statement and
// one transaction (seeding only: the rows are what the store would leave).
func (x *fixture) bulk(table string, rows [][]any) {
	x.t.Helper()
	if len(rows) == 0 {
		return
	}
	cols := len(rows[0])
	chunk := max(1, 900/cols)
	ph := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	for from := 0; from < len(rows); from += chunk {
		part := rows[from:min(from+chunk, len(rows))]
		vals := make([]string, len(part))
		var args []any
		for i, r := range part {
			vals[i] = ph
			args = append(args, r...)
		}
		x.must(x.st.Handle().InTx(x.ctx, func(q store.Q) error {
			_, err := q.Exec(x.ctx, "INSERT INTO "+table+" VALUES "+strings.Join(vals, ", "), args...)
			return err
		}))
	}
}

// TestBenchMRP: requirements planning for LINEWISE_BENCH_ORDERS (default
// 10,000) released orders over 5,000 materials in three BOM levels — 500
// finished products of 3 first-level sub-assemblies each, 1,000 of those
// of 2 second-level parts and 1 bought material, 1,500 parts of 2 bought
// materials, 2,000 bought materials with a supplier, half of them in
// stock, a tenth with safety stock — on SQLite and PostgreSQL. The
// issue's bound is 5 s. The baseline is reading the same inputs raw (the
// orders with their first work order's start, the BOM lines, the stock
// per material) in the same run; the ratio says what the planning adds.
func TestBenchMRP(t *testing.T) {
	benchGate(t)
	orders := envInt("LINEWISE_BENCH_ORDERS", 10000)
	onBoth(t, func(t *testing.T, x *fixture) {
		const fin, s1, s2, bought = 500, 1000, 1500, 2000
		var prod, bom, lots, bal, levels, items, ord, wos [][]any
		now := store.Nanos(x.now)
		code := func(p string, i int) string { return fmt.Sprintf("%s%04d", p, i) }
		for i := range fin {
			prod = append(prod, []any{code("F", i), "finished", "pcs", int64(time.Second), ""})
			for k := range 3 {
				bom = append(bom, []any{code("F", i), code("S", (i*3+k)%s1), 1.0 + float64(k), ""})
			}
		}
		for i := range s1 {
			prod = append(prod, []any{code("S", i), "sub-assembly", "pcs", int64(time.Second), ""})
			bom = append(bom, []any{code("S", i), code("T", (i*2)%s2), 2.0, ""}, []any{code("S", i), code("T", (i*2+1)%s2), 1.0, ""},
				[]any{code("S", i), code("B", (i*7)%bought), 0.5, ""})
		}
		for i := range s2 {
			prod = append(prod, []any{code("T", i), "part", "pcs", int64(time.Second), ""})
			bom = append(bom, []any{code("T", i), code("B", (i*3)%bought), 1.0, ""}, []any{code("T", i), code("B", (i*3+1)%bought), 4.0, ""})
		}
		for i := range bought {
			m := code("B", i)
			prod = append(prod, []any{m, "bought", "pcs", int64(0), ""})
			items = append(items, []any{"ACME", m, 5 + i%20, int64(1000 + i), "CNY", "", "", int64(100_000), int64(50_000), 1})
			if i%2 == 0 {
				lots = append(lots, []any{"L" + m, m, "", nil, int64(5000_000), "released", now, nil, nil, now, now})
				bal = append(bal, []any{"L" + m, "WH-A", m, int64(5000_000), now})
			}
			if i%10 == 0 {
				levels = append(levels, []any{m, "", int64(1000_000), int64(2000_000), int64(0)})
			}
		}
		x.must(x.st.CreateLine(x.ctx, domain.Line{ID: "L1", Name: "Line 1"}))
		for i := range orders {
			n := fmt.Sprintf("O%05d", i)
			start := store.Nanos(x.now.AddDate(0, 0, 3+i%90).Add(8 * time.Hour))
			ord = append(ord, []any{n, code("F", i%fin), int64(10 + i%91), nil, 0, "released", now})
			wos = append(wos, []any{n + "-10", n, 10, "L1", n + "-10", int64(10 + i%91), start, nil, "released"})
		}
		t0 := time.Now()
		x.bulk("products (code, name, unit, ideal_cycle_ns, family)", prod)
		x.bulk("bom_items (product_code, component_code, quantity, unit)", bom)
		x.bulk("supplier_items (supplier, material, lead_time_days, price, currency, valid_from, valid_to, moq, multiple, preferred)", items)
		x.bulk("inv_lots (id, material, supplier_lot, work_order_id, quantity, status, received_at, produced_at, expires_at, created_at, updated_at)", lots)
		x.bulk("inv_balances (lot_id, location_id, material, quantity, updated_at)", bal)
		x.bulk("inv_stock_levels (material, location_id, safety_stock, reorder_point, maximum)", levels)
		x.bulk("orders (number, product_code, quantity, due_at, priority, status, created_at)", ord)
		x.bulk("work_orders (id, order_number, operation_seq, line_id, barcode, quantity, planned_start, planned_end, status)", wos)
		seed := time.Since(t0)

		// Baseline: the same inputs read raw.
		t0 = time.Now()
		read := 0
		for _, qs := range []string{
			`SELECT o.number, o.product_code, o.quantity, o.due_at, (SELECT MIN(w.planned_start) FROM work_orders w WHERE w.order_number = o.number)
				FROM orders o WHERE o.status IN ('approved', 'scheduled', 'released', 'in_progress', 'paused')`,
			`SELECT product_code, component_code, quantity, unit FROM bom_items`,
			`SELECT material, SUM(quantity) FROM inv_balances GROUP BY material`,
		} {
			rows, err := x.st.Handle().Read().Query(x.ctx, qs)
			x.must(err)
			for rows.Next() {
				read++
			}
			x.must(rows.Err())
			rows.Close()
		}
		raw := time.Since(t0)

		t0 = time.Now()
		ps, err := x.pur.RunMRP(x.ctx, buyer)
		took := time.Since(t0)
		x.must(err)
		purchase, production := 0, 0
		for _, p := range ps {
			if p.Kind == "purchase" {
				purchase++
			} else {
				production++
			}
		}
		if purchase == 0 || production == 0 {
			t.Fatalf("MRP proposed %d purchases, %d production orders", purchase, production)
		}
		verdict := "within"
		if took > 5*time.Second {
			verdict = "OVER"
		}
		fmt.Printf("MRP %-8s %d orders, %d materials (3 BOM levels, %d BOM lines): %v (%s the issue's 5 s) → %d purchase requisitions, %d production orders; raw read of the inputs (%d rows) %v, ratio %.1f×; seeding %v\n",
			x.st.Driver(), orders, len(prod), len(bom), took.Round(time.Millisecond), verdict, purchase, production, read, raw.Round(time.Millisecond),
			float64(took)/float64(max(raw, time.Microsecond)), seed.Round(time.Millisecond))
	})
}

// TestBenchScorecard: every supplier's scorecard and one supplier's
// monthly trend over a year of receipts — 100 suppliers, 5 receipts a
// week each (26,000 receipts, every other one inspected) — on SQLite and
// PostgreSQL. The bound is 500 ms. Baseline: counting the same
// receipts and inspections raw.
func TestBenchScorecard(t *testing.T) {
	benchGate(t)
	onBoth(t, func(t *testing.T, x *fixture) {
		const sups, perWeek = 100, 5
		year := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
		var sp, pos, lines, lots, rcs, ins [][]any
		now := store.Nanos(x.now)
		for s := range sups {
			c := fmt.Sprintf("S%03d", s)
			sp = append(sp, []any{c, "Supplier " + c, "approved", "[]", "", "", now, now})
			pos = append(pos, []any{"P" + c, c, "sent", "CNY", "", int64(0), 0, "bea", "", nil, nil, now, now})
			lines = append(lines, []any{"P" + c, 1, "STEEL", int64(1 << 40), int64(125000), int64(0), "2026-01-01", "", int64(0), 0, ""})
			for w := range 52 {
				for d := range perWeek {
					at := year.AddDate(0, 0, w*7+d).Add(9 * time.Hour)
					id := fmt.Sprintf("%s-%02d-%d", c, w, d)
					lots = append(lots, []any{"LOT" + id, "STEEL", "", nil, int64(100_000), "released", store.Nanos(at), nil, nil, store.Nanos(at), store.Nanos(at)})
					var inspected any
					insp := "none"
					if d%2 == 0 {
						inspected, insp = any(store.Nanos(at)), []string{"accept", "accept_with_deviation", "reject"}[(w+s)%3]
						ins = append(ins, []any{"I" + id, "R" + id, "LOT" + id, "STEEL", c, 3, "[]", insp, "", "qa", store.Nanos(at)})
					}
					rcs = append(rcs, []any{"R" + id, "P" + c, 1, c, "STEEL", "LOT" + id, "", int64(100_000), "WH-A", "MV" + id, store.Nanos(at), "wh",
						(w + d + s) % 4 / 3, at.Format(time.DateOnly), int64(125000 + (s%5)*1000), insp, inspected})
				}
			}
		}
		t0 := time.Now()
		x.bulk("suppliers (code, name, status, contacts, address, notes, created_at, updated_at)", sp)
		x.bulk("purchase_orders (number, supplier, status, currency, notes, total, subcontract, created_by, approved_by, approved_at, sent_at, created_at, updated_at)", pos)
		x.bulk("po_lines (po_number, line, material, quantity, price, amount, due_date, confirmed_date, received, closed, requisition)", lines)
		x.bulk("inv_lots (id, material, supplier_lot, work_order_id, quantity, status, received_at, produced_at, expires_at, created_at, updated_at)", lots)
		x.bulk("po_receipts (id, po_number, line, supplier, material, lot_id, supplier_lot, quantity, location_id, movement_id, received_at, actor, on_time, promised_by, price, inspection, inspected_at)", rcs)
		x.bulk("inspections (id, receipt_id, lot_id, material, supplier, sample_size, results, decision, reason, inspector, inspected_at)", ins)
		seed := time.Since(t0)
		from, to := year, year.AddDate(1, 0, 0)

		t0 = time.Now()
		var n, m int
		x.must(x.st.Handle().Read().QueryRow(x.ctx, `SELECT COUNT(*) FROM po_receipts WHERE received_at >= ? AND received_at < ?`,
			store.Nanos(from), store.Nanos(to)).Scan(&n))
		x.must(x.st.Handle().Read().QueryRow(x.ctx, `SELECT COUNT(*) FROM inspections WHERE inspected_at >= ? AND inspected_at < ?`,
			store.Nanos(from), store.Nanos(to)).Scan(&m))
		raw := time.Since(t0)

		var best, trend time.Duration
		var scs []Scorecard
		for i := range 5 {
			t0 = time.Now()
			var err error
			scs, err = x.pur.Scorecards(x.ctx, "", from, to)
			x.must(err)
			if d := time.Since(t0); i == 0 || d < best {
				best = d
			}
			t0 = time.Now()
			tr, err := x.pur.Trend(x.ctx, "S042", from, to)
			x.must(err)
			if d := time.Since(t0); i == 0 || d < trend {
				trend = d
			}
			if len(tr) != 12 {
				t.Fatalf("trend has %d months", len(tr))
			}
		}
		total := 0
		for _, sc := range scs {
			total += sc.Receipts
		}
		if total != len(rcs) || n != len(rcs) || m != len(ins) {
			t.Fatalf("scorecards count %d receipts (raw %d, %d inspections), seeded %d", total, n, m, len(ins))
		}
		verdict := "within"
		if best > 500*time.Millisecond {
			verdict = "OVER"
		}
		fmt.Printf("scorecard %-8s %d suppliers, %d receipts and %d inspections over a year: all scorecards %v (best of 5; %s the issue's 500 ms), one supplier's 12-month trend %v; raw counts %v, ratio %.1f×; seeding %v\n",
			x.st.Driver(), sups, len(rcs), len(ins), best.Round(time.Microsecond), verdict, trend.Round(time.Microsecond), raw.Round(time.Microsecond),
			float64(best)/float64(max(raw, time.Microsecond)), seed.Round(time.Millisecond))
	})
}
