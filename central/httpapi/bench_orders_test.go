package httpapi_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/httpapi"
	"github.com/linewise/linewise/central/live"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/pgtest"
)

// Sizes and the target from issue #5.
const (
	benchOrders   = 100_000
	benchProducts = 200
	benchLines    = 10
	benchPage     = 50
	benchTarget   = 50 * time.Millisecond // p99 per filtered page
)

// benchQuery is one filtered page as a client asks for it.
type benchQuery struct {
	name  string
	query url.Values
}

// TestBenchOrderQueries loads 100,000 orders (with work orders for the
// started ones) into SQLite and PostgreSQL and times filtered list pages
// through the real router and an HTTP round trip: p50/p95/p99 per page.
// Run: LINEWISE_BENCH=1 go test -run TestBenchOrderQueries -v ./central/httpapi
func TestBenchOrderQueries(t *testing.T) {
	if os.Getenv("LINEWISE_BENCH") != "1" {
		t.Skip("benchmark: set LINEWISE_BENCH=1 to run")
	}
	rounds := 100
	if os.Getenv("LINEWISE_BENCH_ROUNDS") != "" {
		fmt.Sscan(os.Getenv("LINEWISE_BENCH_ROUNDS"), &rounds)
	}
	type row struct {
		backend, query string
		hits           int
		p50, p95, p99  time.Duration
	}
	var rows []row
	loads := map[string]time.Duration{}
	for _, backend := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(backend, func(t *testing.T) {
			srv, queries, load := newOrderBench(t, backend)
			loads[backend] = load
			lat := make([][]time.Duration, len(queries))
			hits := make([]int, len(queries))
			// Rounds interleave the queries so noise from the shared
			// machine spreads over all of them; round 0 warms caches.
			for r := 0; r <= rounds; r++ {
				for i, q := range queries {
					d, n := getPage(t, srv, q.query)
					if r > 0 {
						lat[i] = append(lat[i], d)
					}
					hits[i] = n
				}
			}
			for i, q := range queries {
				slices.Sort(lat[i])
				rows = append(rows, row{backend, q.name, hits[i], pctl(lat[i], 50), pctl(lat[i], 95), pctl(lat[i], 99)})
			}
		})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nGET /api/v1/orders through the real router over HTTP (httptest, loopback); %d orders, %d products, page size %d, %d timed rounds; GOMAXPROCS=%s\n",
		benchOrders, benchProducts, benchPage, rounds, os.Getenv("GOMAXPROCS"))
	for _, be := range []string{store.DriverSQLite, store.DriverPostgres} {
		if d, ok := loads[be]; ok {
			fmt.Fprintf(&b, "bulk load on %s: %s\n", be, d.Round(time.Millisecond))
		}
	}
	fmt.Fprintf(&b, "%-9s %-58s %5s %9s %9s %9s  target p99 ≤ %s\n", "backend", "page", "rows", "p50", "p95", "p99", benchTarget)
	for _, r := range rows {
		ok := "✓"
		if r.p99 > benchTarget {
			ok = "✗"
		}
		fmt.Fprintf(&b, "%-9s %-58s %5d %9s %9s %9s  %s\n", r.backend, r.query, r.hits,
			r.p50.Round(10*time.Microsecond), r.p95.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), ok)
	}
	t.Log(b.String())
	fmt.Print(b.String())
}

// getPage fetches one page and returns its latency and how many orders
// it held (counted from the JSON's "number" keys, which is enough here).
func getPage(t *testing.T, srv *httptest.Server, q url.Values) (time.Duration, int) {
	t.Helper()
	start := time.Now()
	res, err := srv.Client().Get(srv.URL + "/api/v1/orders?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	d := time.Since(start)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v %s", q.Encode(), res.StatusCode, err, body)
	}
	return d, strings.Count(string(body), `"number":`)
}

func pctl(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

// newOrderBench opens a store on backend, bulk-loads the orders and
// returns a server on the real router and the pages to time.
func newOrderBench(t *testing.T, backend string) (*httptest.Server, []benchQuery, time.Duration) {
	t.Helper()
	ctx := context.Background()
	var dsn, sqlDriver string
	switch backend {
	case store.DriverSQLite:
		dsn, sqlDriver = store.SQLiteDSN(filepath.Join(t.TempDir(), "c.db")), "sqlite"
	case store.DriverPostgres:
		dsn, sqlDriver = pgtest.Schema(t), "pgx"
	}
	st, err := store.Open(ctx, backend, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for i := 1; i <= benchLines; i++ {
		if err := st.CreateLine(ctx, domain.Line{ID: fmt.Sprintf("L%d", i), Name: fmt.Sprintf("Line %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= benchProducts; i++ {
		code := fmt.Sprintf("P%03d", i)
		if err := st.CreateProduct(ctx, domain.Product{Code: code, Name: productName(i), Unit: "pcs", IdealCycle: time.Second}); err != nil {
			t.Fatal(err)
		}
		if err := st.SetRouting(ctx, code, []domain.RoutingOp{{Seq: 10, Name: "op", LineID: fmt.Sprintf("L%d", 1+i%benchLines), IdealCycle: time.Second}}); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open(sqlDriver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	bulkLoadOrders(t, db, backend == store.DriverPostgres)
	load := time.Since(start)
	if backend == store.DriverPostgres {
		// Autovacuum vacuums and analyses a table within a minute of such
		// an insert-only load (PostgreSQL 13+); do it now rather than time
		// the planner's guesses and heap visits an index-only scan avoids.
		if _, err := db.Exec("VACUUM ANALYZE orders, work_orders, products"); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%s: %d orders loaded in %s", backend, benchOrders, load)

	api := httpapi.New(httpapi.Options{Store: st, Hub: live.New(8), Log: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() { api.CloseStreams(); srv.Close() })

	v := func(kv ...string) url.Values {
		q := url.Values{"limit": {fmt.Sprint(benchPage)}}
		for i := 0; i+1 < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		return q
	}
	// A cursor halfway through the orders, as a client paging with
	// X-Next-Cursor would send it.
	cursor := func(after string) string { return base64.RawURLEncoding.EncodeToString([]byte(after)) }
	return srv, []benchQuery{
		{"no filter, first page", v()},
		{"no filter, offset 90000", v("offset", "90000")},
		{"status=released", v("status", "released")},
		{"status=released, offset 5000 (page 101)", v("status", "released", "offset", "5000")},
		{"status=released, cursor past PO-1050000", v("status", "released", "cursor", cursor("PO-1050000"))},
		{"status=released&product=P042", v("status", "released", "product", "P042")},
		{"status=released&product=P042&due in one quarter", v("status", "released", "product", "P042", "due_from", "2026-04-01", "due_to", "2026-07-01")},
		{"status=released,in_progress&due in one month", v("status", "released,in_progress", "due_from", "2026-05-01", "due_to", "2026-06-01")},
		{"q=ACME-77 (customer ref, substring)", v("q", "ACME-77")},
		{"q=bracket (product name), offset 2000", v("q", "bracket", "offset", "2000")},
		{"status=released&product=P042&due&q=acme", v("status", "released", "product", "P042", "due_from", "2026-01-01", "due_to", "2027-01-01", "q", "acme")},
		{"line=L3&status=scheduled", v("line", "L3", "status", "scheduled")},
		{"q=no-such-text (matches nothing)", v("q", "no-such-text")},
	}, load
}

var productWords = []string{"bracket", "housing", "shaft", "gear", "cover", "panel", "valve", "flange", "hinge", "spring"}

func productName(i int) string {
	return fmt.Sprintf("%s %s %d", productWords[i%len(productWords)], []string{"steel", "alu", "brass", "nylon"}[i%4], i)
}

// benchStatuses is a plausible mix: most orders are history.
var benchStatuses = []struct {
	s      domain.OrderStatus
	weight int
}{
	{domain.StatusClosed, 40}, {domain.StatusCompleted, 10}, {domain.StatusCancelled, 5},
	{domain.StatusDraft, 5}, {domain.StatusUnderReview, 3}, {domain.StatusApproved, 4}, {domain.StatusRejected, 1},
	{domain.StatusScheduled, 10}, {domain.StatusReleased, 10}, {domain.StatusInProgress, 8}, {domain.StatusPaused, 4},
}

// bulkLoadOrders inserts the orders, and one work order for every order
// that has started, with multi-row INSERTs in one transaction.
func bulkLoadOrders(t *testing.T, db *sql.DB, postgres bool) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 5))
	var total int
	for _, s := range benchStatuses {
		total += s.weight
	}
	base := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const chunk = 500
	var orders, wos []any
	var nOrders, nWOs int
	flush := func(table, cols string, ncol int, args *[]any, n *int) {
		if *n == 0 {
			return
		}
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
		p := 0
		for r := 0; r < *n; r++ {
			if r > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('(')
			for c := 0; c < ncol; c++ {
				if c > 0 {
					b.WriteByte(',')
				}
				p++
				if postgres {
					fmt.Fprintf(&b, "$%d", p)
				} else {
					b.WriteByte('?')
				}
			}
			b.WriteByte(')')
		}
		if _, err := tx.Exec(b.String(), *args...); err != nil {
			t.Fatalf("bulk insert into %s: %v", table, err)
		}
		*args, *n = (*args)[:0], 0
	}
	const orderCols = "number, product_code, quantity, due_at, priority, status, created_at, unit, customer_ref, order_type, site, review_round, updated_at"
	const woCols = "id, order_number, operation_seq, line_id, barcode, quantity, planned_start, planned_end, actual_start, status, good, reject"
	for i := 0; i < benchOrders; i++ {
		w := rng.IntN(total)
		var st domain.OrderStatus
		for _, s := range benchStatuses {
			if w < s.weight {
				st = s.s
				break
			}
			w -= s.weight
		}
		number := fmt.Sprintf("PO-%d", 1_000_000+i)
		p := 1 + rng.IntN(benchProducts)
		due := base.Add(time.Duration(rng.IntN(730*24)) * time.Hour)
		created := due.Add(-time.Duration(7+rng.IntN(60)) * 24 * time.Hour).UnixNano()
		qty := 10 + rng.IntN(5000)
		orders = append(orders, number, fmt.Sprintf("P%03d", p), qty, due.UnixNano(), rng.IntN(3), string(st), created,
			"pcs", fmt.Sprintf("ACME-%d", rng.IntN(100_000)), "standard", "main", 0, created)
		nOrders++
		switch st {
		case domain.StatusReleased, domain.StatusInProgress, domain.StatusPaused, domain.StatusCompleted, domain.StatusClosed:
			wst := "released"
			good := 0
			if st != domain.StatusReleased {
				wst, good = "in_progress", rng.IntN(qty)
			}
			start := due.Add(-72 * time.Hour).UnixNano()
			wos = append(wos, number+"-10", number, 10, fmt.Sprintf("L%d", 1+p%benchLines), "WO"+number, qty,
				start, due.UnixNano(), start, wst, good, good/50)
			nWOs++
		}
		if nOrders == chunk {
			flush("orders", orderCols, 13, &orders, &nOrders)
		}
		if nWOs == chunk {
			// Work orders reference orders: flush those first.
			flush("orders", orderCols, 13, &orders, &nOrders)
			flush("work_orders", woCols, 12, &wos, &nWOs)
		}
	}
	flush("orders", orderCols, 13, &orders, &nOrders)
	flush("work_orders", woCols, 12, &wos, &nWOs)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
