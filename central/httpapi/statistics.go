package httpapi

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/reports"
	"github.com/linewise/linewise/central/store"
)

//go:embed web/statistics.html
var statisticsPage []byte

// StatisticsStore reads what the statistics count (central/store implements it).
type StatisticsStore interface {
	OrderStats(ctx context.Context, from, to time.Time, basis string) ([]store.OrderStat, error)
	OutputBuckets(ctx context.Context, from, to time.Time) ([]store.OutputBucket, error)
}

// statReaders see the statistics page (the JSON is readable by every role).
var statReaders = []domain.Role{domain.RoleSupervisor, domain.RoleManager, domain.RolePlanner, domain.RoleSales, domain.RoleAdmin}

// maxStatDays bounds a statistics range.
const maxStatDays = 366

func (s *Server) registerStatistics() {
	get := http.MethodGet
	s.handle(get, "/statistics", func(c echo.Context) error { return htmlPage(c, statisticsPage) }, Authenticated,
		"the statistics page (HTML): order statistics (on-time delivery, lead time by product, customer or status) and output by day, line and product over a range of plant days, each chart with its table and XLSX", statReaders...)
	s.handle(get, "/api/v1/statistics/orders", s.orderStats, Authenticated,
		"order statistics over the plant days from..to (?from=&to=YYYY-MM-DD, at most 366 days; default the last 30) by basis (created, due or completed: which of an order's times falls in the range; default created), grouped by product, customer or status (?by=, default product): orders, quantity, good, completed, on time, late, overdue, on-time delivery rate, mean lead time (h), with totals and the orders counted", anyRole...)
	s.handle(get, "/api/v1/statistics/orders.xlsx", s.orderStatsXLSX, Authenticated,
		"the order statistics as XLSX in the request's language: the groups with totals and a chart of on-time delivery, and the orders", anyRole...)
	s.handle(get, "/api/v1/statistics/output", s.outputStats, Authenticated,
		"output (good, reject, scrap rate) over the plant days from..to (?from=&to=YYYY-MM-DD, at most 366 days; default the last 30) per day, line and product, with totals by day, line and product, read from the rollups", anyRole...)
	s.handle(get, "/api/v1/statistics/output.xlsx", s.outputStatsXLSX, Authenticated,
		"the output statistics as XLSX in the request's language: by day (with a chart), by line, by product, and every day, line and product", anyRole...)
}

func (s *Server) statsStore() (StatisticsStore, error) {
	st, ok := s.opts.Store.(StatisticsStore)
	if !ok {
		return nil, &Problem{Status: http.StatusNotImplemented, Detail: "this store keeps no statistics"}
	}
	return st, nil
}

// statRange reads from..to (plant days) and returns them with their days.
func (s *Server) statRange(c echo.Context) (string, string, []reports.PlantDay, *time.Location, error) {
	cfg := s.reports()
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return "", "", nil, nil, err
	}
	from, to := c.QueryParam("from"), c.QueryParam("to")
	for _, p := range []struct{ name, v string }{{"from", from}, {"to", to}} {
		if p.v != "" {
			if _, err := time.Parse(time.DateOnly, p.v); err != nil {
				return "", "", nil, nil, invalid(p.name, p.name+" must be a day YYYY-MM-DD, got "+quoteShort(p.v))
			}
		}
	}
	if to == "" {
		to = s.opts.Now().In(loc).Format(time.DateOnly)
	}
	t, _ := time.Parse(time.DateOnly, to)
	if from == "" {
		from = t.AddDate(0, 0, -29).Format(time.DateOnly)
	}
	f, _ := time.Parse(time.DateOnly, from)
	if t.Before(f) {
		return "", "", nil, nil, invalid("to", "to must not be before from")
	}
	if t.Sub(f) >= maxStatDays*24*time.Hour {
		return "", "", nil, nil, invalid("to", fmt.Sprintf("the range from..to must be at most %d days", maxStatDays))
	}
	days, err := reports.PlantDays(from, to, loc, cfg.DayStart)
	if err != nil {
		return "", "", nil, nil, err
	}
	return from, to, days, loc, nil
}

func (s *Server) orderStatistics(c echo.Context) (reports.OrderStatistics, *time.Location, error) {
	st, err := s.statsStore()
	if err != nil {
		return reports.OrderStatistics{}, nil, err
	}
	from, to, days, loc, err := s.statRange(c)
	if err != nil {
		return reports.OrderStatistics{}, nil, err
	}
	basis, by := c.QueryParam("basis"), c.QueryParam("by")
	switch basis {
	case "":
		basis = store.BasisCreated
	case store.BasisCreated, store.BasisDue, store.BasisCompleted:
	default:
		return reports.OrderStatistics{}, nil, invalid("basis", "basis must be created, due or completed, got "+quoteShort(basis))
	}
	switch by {
	case "":
		by = reports.ByProduct
	case reports.ByProduct, reports.ByCustomer, reports.ByStatus:
	default:
		return reports.OrderStatistics{}, nil, invalid("by", "by must be product, customer or status, got "+quoteShort(by))
	}
	orders, err := st.OrderStats(c.Request().Context(), days[0].Start, days[len(days)-1].End, basis)
	if err != nil {
		return reports.OrderStatistics{}, nil, err
	}
	r := reports.Orders(orders, by, s.opts.Now())
	r.From, r.To, r.Basis = from, to, basis
	return r, loc, nil
}

func (s *Server) orderStats(c echo.Context) error {
	r, _, err := s.orderStatistics(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (s *Server) orderStatsXLSX(c echo.Context) error {
	r, loc, err := s.orderStatistics(c)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := reports.WriteOrdersXLSX(&b, r, requestLang(c), loc); err != nil {
		return fmt.Errorf("order statistics as xlsx: %w", err)
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="order-statistics-`+r.From+`-`+r.To+`.xlsx"`)
	return c.Blob(http.StatusOK, xlsxType, b.Bytes())
}

func (s *Server) outputStatistics(c echo.Context) (reports.OutputStatistics, error) {
	st, err := s.statsStore()
	if err != nil {
		return reports.OutputStatistics{}, err
	}
	_, _, days, _, err := s.statRange(c)
	if err != nil {
		return reports.OutputStatistics{}, err
	}
	bs, err := st.OutputBuckets(c.Request().Context(), days[0].Start, days[len(days)-1].End)
	if err != nil {
		return reports.OutputStatistics{}, err
	}
	return reports.Output(bs, days), nil
}

func (s *Server) outputStats(c echo.Context) error {
	r, err := s.outputStatistics(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (s *Server) outputStatsXLSX(c echo.Context) error {
	r, err := s.outputStatistics(c)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := reports.WriteOutputXLSX(&b, r, requestLang(c)); err != nil {
		return fmt.Errorf("output statistics as xlsx: %w", err)
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="output-`+r.From+`-`+r.To+`.xlsx"`)
	return c.Blob(http.StatusOK, xlsxType, b.Bytes())
}
