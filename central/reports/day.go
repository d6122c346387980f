package reports

import (
	"context"
	"sort"
	"time"

	"github.com/linewise/linewise/central/oee"
	"github.com/linewise/linewise/central/store"
)

// DayReport is the daily production report: the OEE of the lines' day and
// shifts (oee.DailyReport) with, per line and product, planned against
// actual quantity, attainment and scrap rate; scrap by reason and downtime
// by reason as Paretos; attended labour hours; the orders completed and
// those at risk; and the plant's totals.
type DayReport struct {
	oee.DailyReport
	Production      []ProductionRow     `json:"production"`
	ScrapReasons    []store.ScrapQty    `json:"scrap_reasons"`
	DowntimePareto  []ParetoRow         `json:"downtime_pareto"`
	Labour          []store.LabourHours `json:"labour"`
	OrdersCompleted []store.OrderLine   `json:"orders_completed"`
	OrdersAtRisk    []store.OrderLine   `json:"orders_at_risk"`
	PlantTotals     PlantProduction     `json:"plant_production"`
}

// ProductionRow is one line and product of the day.
type ProductionRow struct {
	Line       string   `json:"line"`
	Product    string   `json:"product"`
	Planned    int64    `json:"planned"`
	Good       int64    `json:"good"`
	Reject     int64    `json:"reject"`
	Produced   int64    `json:"produced"`
	Attainment *float64 `json:"attainment"` // good / planned; null without a plan
	ScrapRate  *float64 `json:"scrap_rate"` // reject / produced
}

// ParetoRow is a downtime reason summed over the lines, largest first,
// with its share and the cumulative share of all downtime.
type ParetoRow struct {
	State      string  `json:"state"`
	Label      string  `json:"label"`
	Category   string  `json:"category,omitempty"`
	Seconds    float64 `json:"time_s"`
	Stops      int     `json:"stops"`
	Share      float64 `json:"share"`
	Cumulative float64 `json:"cumulative"`
}

// PlantProduction sums the production rows.
type PlantProduction struct {
	Planned     int64    `json:"planned"`
	Good        int64    `json:"good"`
	Reject      int64    `json:"reject"`
	Produced    int64    `json:"produced"`
	Attainment  *float64 `json:"attainment"`
	ScrapRate   *float64 `json:"scrap_rate"`
	LabourHours float64  `json:"labour_hours"`
	Completed   int      `json:"orders_completed"`
	AtRisk      int      `json:"orders_at_risk"`
}

// ProductionSource reads what the daily report adds to the OEE.
type ProductionSource interface {
	DayProduction(ctx context.Context, from, to time.Time) (store.DayProduction, error)
}

func ratio(n, d int64) *float64 {
	if d == 0 {
		return nil
	}
	v := float64(n) / float64(d)
	return &v
}

// Day builds the daily production report of rep (the lines' OEE of the
// day) from src, over the plant day from..to.
func Day(ctx context.Context, src ProductionSource, rep oee.DailyReport, from, to time.Time) (DayReport, error) {
	p, err := src.DayProduction(ctx, from, to)
	if err != nil {
		return DayReport{}, err
	}
	out := DayReport{DailyReport: rep, Production: []ProductionRow{}, ScrapReasons: p.Scrap, DowntimePareto: []ParetoRow{},
		Labour: p.Labour, OrdersCompleted: p.Completed, OrdersAtRisk: p.AtRisk}
	rows := map[[2]string]*ProductionRow{}
	var keys [][2]string
	row := func(line, product string) *ProductionRow {
		k := [2]string{line, product}
		if r, ok := rows[k]; ok {
			return r
		}
		rows[k] = &ProductionRow{Line: line, Product: product}
		keys = append(keys, k)
		return rows[k]
	}
	pareto := map[[2]string]*ParetoRow{}
	var total float64
	for _, l := range rep.Lines {
		for _, g := range l.Day.Products {
			if g.Produced == 0 && g.Product == "" {
				continue
			}
			r := row(l.Line, g.Product)
			r.Good, r.Reject, r.Produced = r.Good+g.Good, r.Reject+g.Reject, r.Produced+g.Produced
		}
		for _, rt := range l.Day.Reasons {
			k := [2]string{rt.State, rt.Label}
			pr := pareto[k]
			if pr == nil {
				pr = &ParetoRow{State: rt.State, Label: rt.Label, Category: rt.Category}
				pareto[k] = pr
			}
			pr.Seconds += time.Duration(rt.Time).Seconds()
			pr.Stops += rt.Stops
			total += time.Duration(rt.Time).Seconds()
		}
	}
	for _, pq := range p.Planned {
		row(pq.Line, pq.Product).Planned += pq.Quantity
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	t := &out.PlantTotals
	for _, k := range keys {
		r := rows[k]
		r.Attainment, r.ScrapRate = ratio(r.Good, r.Planned), ratio(r.Reject, r.Produced)
		out.Production = append(out.Production, *r)
		t.Planned, t.Good, t.Reject, t.Produced = t.Planned+r.Planned, t.Good+r.Good, t.Reject+r.Reject, t.Produced+r.Produced
	}
	t.Attainment, t.ScrapRate = ratio(t.Good, t.Planned), ratio(t.Reject, t.Produced)
	for _, l := range p.Labour {
		t.LabourHours += l.Hours
	}
	t.Completed, t.AtRisk = len(p.Completed), len(p.AtRisk)
	for _, pr := range pareto {
		out.DowntimePareto = append(out.DowntimePareto, *pr)
	}
	sort.Slice(out.DowntimePareto, func(i, j int) bool {
		a, b := out.DowntimePareto[i], out.DowntimePareto[j]
		if a.Seconds != b.Seconds {
			return a.Seconds > b.Seconds
		}
		return a.State+a.Label < b.State+b.Label
	})
	cum := 0.0
	for i := range out.DowntimePareto {
		pr := &out.DowntimePareto[i]
		if total > 0 {
			pr.Share = pr.Seconds / total
			cum += pr.Share
			pr.Cumulative = cum
		}
	}
	return out, nil
}
