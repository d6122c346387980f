package reports

import (
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/linewise/linewise/central/i18n"
	"github.com/linewise/linewise/central/oee"
	"github.com/linewise/linewise/central/store"
)

// Stamp says which report a workbook holds: a stored revision (Revision
// ≥ 1, generated at GeneratedAt) or, with Revision 0, one computed at
// GeneratedAt from the data so far. Times are shown in Location.
type Stamp struct {
	Revision    int
	GeneratedAt time.Time
	Location    *time.Location
}

// xlsxBook writes a workbook and keeps the first error, so the sheets
// read as a list of what goes where.
type xlsxBook struct {
	f    *excelize.File
	lang string
	err  error
	st   map[string]int
	loc  *time.Location
}

func (b *xlsxBook) t(key string, args ...any) string { return i18n.T(b.lang, key, args...) }

func (b *xlsxBook) do(err error) {
	if b.err == nil && err != nil {
		b.err = err
	}
}

func (b *xlsxBook) row(sheet string, n int, vals ...any) {
	cell, _ := excelize.CoordinatesToCellName(1, n)
	b.do(b.f.SetSheetRow(sheet, cell, &vals))
}

// style sets a named style on sheet!from:to (cells like "C4").
func (b *xlsxBook) style(sheet, from, to, name string) {
	b.do(b.f.SetCellStyle(sheet, from, to, b.st[name]))
}

func cellAt(col string, n int) string { return fmt.Sprintf("%s%d", col, n) }

func (b *xlsxBook) styles() {
	pct, hours, num := "0.0%", "0.00", "#,##0"
	for name, s := range map[string]*excelize.Style{
		"bold":      {Font: &excelize.Font{Bold: true}},
		"title":     {Font: &excelize.Font{Bold: true, Size: 14}},
		"head":      {Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE3EA"}}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"}},
		"hours":     {CustomNumFmt: &hours},
		"pct":       {CustomNumFmt: &pct},
		"num":       {CustomNumFmt: &num},
		"boldHours": {CustomNumFmt: &hours, Font: &excelize.Font{Bold: true}},
		"boldPct":   {CustomNumFmt: &pct, Font: &excelize.Font{Bold: true}},
		"boldNum":   {CustomNumFmt: &num, Font: &excelize.Font{Bold: true}},
	} {
		id, err := b.f.NewStyle(s)
		b.do(err)
		b.st[name] = id
	}
}

// header writes a header row of catalogue keys, styled.
func (b *xlsxBook) header(sheet string, n int, keys ...string) {
	vals := make([]any, len(keys))
	for i, k := range keys {
		vals[i] = b.t(k)
	}
	b.row(sheet, n, vals...)
	last, _ := excelize.ColumnNumberToName(len(keys))
	b.style(sheet, cellAt("A", n), cellAt(last, n), "head")
}

func ratioCell(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

// WriteDayXLSX writes the daily production report as a workbook a manager
// sends on, its texts in lang: the lines' days and shifts (OEE, hours,
// pieces, plant totals in bold), the production part (planned vs actual
// per line and product, scrap by reason, labour hours, orders completed
// and at risk), downtime by line and reason, the downtime Pareto with its
// chart, and a chart sheet of OEE by line.
func WriteDayXLSX(w io.Writer, r DayReport, lang string, stamp Stamp) error {
	f := excelize.NewFile()
	defer f.Close()
	b := &xlsxBook{f: f, lang: lang, st: map[string]int{}}
	b.styles()
	daily, prod, down, par, chart := b.t("xlsx.sheet.daily"), b.t("xlsx.sheet.production"), b.t("xlsx.sheet.downtime"), b.t("xlsx.sheet.pareto"), b.t("xlsx.sheet.chart")
	b.do(f.SetSheetName("Sheet1", daily))
	lastDay := b.dailySheet(daily, r, stamp)
	_, err := f.NewSheet(prod)
	b.do(err)
	loc := stamp.Location
	if loc == nil {
		loc = time.UTC
	}
	b.productionSheet(prod, r, loc)
	_, err = f.NewSheet(down)
	b.do(err)
	b.downtimeSheet(down, r)
	_, err = f.NewSheet(par)
	b.do(err)
	b.paretoSheet(par, r)
	if lastDay >= 4 {
		q := "'" + daily + "'!"
		b.do(f.AddChartSheet(chart, &excelize.Chart{Type: excelize.Col,
			Series: []excelize.ChartSeries{{Name: q + "$K$3", Categories: fmt.Sprintf("%s$A$4:$A$%d", q, lastDay),
				Values: fmt.Sprintf("%s$K$4:$K$%d", q, lastDay)}},
			Title:  excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: b.t("xlsx.chart_oee", "date", r.Date)}}},
			Legend: excelize.ChartLegend{Position: "none"},
			YAxis:  excelize.ChartAxis{NumFmt: excelize.ChartNumFmt{CustomNumFmt: "0%"}},
		}))
	}
	f.SetActiveSheet(0)
	if b.err != nil {
		return b.err
	}
	return f.Write(w)
}

func (b *xlsxBook) dailySheet(sh string, r DayReport, stamp Stamp) int {
	f := b.f
	b.row(sh, 1, b.t("xlsx.title_day", "date", r.Date, "start", r.DayStart))
	b.style(sh, "A1", "A1", "title")
	loc := stamp.Location
	if loc == nil {
		loc = time.UTC
	}
	at := stamp.GeneratedAt.In(loc).Format("2006-01-02 15:04")
	if stamp.Revision > 0 {
		b.row(sh, 2, b.t("xlsx.revision", "n", stamp.Revision, "at", at))
	} else {
		b.row(sh, 2, b.t("xlsx.live", "at", at))
	}
	b.header(sh, 3, "report.col.line", "report.col.period", "report.col.pbt_h", "report.col.run_h", "report.col.nodata_h",
		"report.col.good", "report.col.reject", "report.col.availability", "report.col.performance", "report.col.quality", "report.col.oee")
	figures := func(n int, line, period string, pbt, run, noData oee.Dur, good, reject int64, a, p, q, o *float64, bold bool) {
		b.row(sh, n, line, period, pbt.Seconds()/3600, run.Seconds()/3600, noData.Seconds()/3600, good, reject,
			ratioCell(a), ratioCell(p), ratioCell(q), ratioCell(o))
		hs, ns, ps := "hours", "num", "pct"
		if bold {
			hs, ns, ps = "boldHours", "boldNum", "boldPct"
			b.style(sh, cellAt("A", n), cellAt("B", n), "bold")
		}
		b.style(sh, cellAt("C", n), cellAt("E", n), hs)
		b.style(sh, cellAt("F", n), cellAt("G", n), ns)
		b.style(sh, cellAt("H", n), cellAt("K", n), ps)
	}
	n := 4
	day := b.t("xlsx.day")
	for _, l := range r.Lines {
		d := l.Day.Figures
		figures(n, l.Line, day, d.PlannedBusyTime, d.RunTime, d.NoDataTime, d.Good, d.Reject, d.Availability, d.Performance, d.Quality, d.OEE, false)
		n++
	}
	lastDay := n - 1
	p := r.Plant
	figures(n, b.t("report.plant"), day, p.PlannedBusyTime, p.RunTime, p.NoDataTime, p.Good, p.Reject, p.Availability, p.Performance, p.Quality, p.OEE, true)
	n += 2
	b.row(sh, n, b.t("xlsx.shifts"))
	b.style(sh, cellAt("A", n), cellAt("A", n), "bold")
	n++
	for _, l := range r.Lines {
		for _, s := range l.Shifts {
			figures(n, l.Line, s.Name, s.PlannedBusyTime, s.RunTime, s.NoDataTime, s.Good, s.Reject, s.Availability, s.Performance, s.Quality, s.OEE, false)
			n++
		}
	}
	n++
	b.row(sh, n, b.t("report.losses"))
	b.style(sh, cellAt("A", n), cellAt("A", n), "bold")
	n++
	b.header(sh, n, "report.col.line", "report.loss.breakdowns", "report.loss.setup", "report.loss.small_stops", "report.loss.reduced_speed",
		"report.loss.startup_rejects", "report.loss.production_rejects")
	n++
	min := func(d oee.Dur) float64 { return d.Seconds() / 60 }
	for _, l := range r.Lines {
		ls := l.Day.Losses
		var reduced any
		if ls.ReducedSpeed != nil {
			reduced = min(*ls.ReducedSpeed)
		}
		b.row(sh, n, l.Line, min(ls.Breakdowns), min(ls.SetupChangeover), min(ls.SmallStops), reduced, min(ls.StartupRejects), min(ls.ProductionRejects))
		b.style(sh, cellAt("B", n), cellAt("G", n), "hours")
		n++
	}
	b.do(f.SetColWidth(sh, "A", "B", 12))
	b.do(f.SetColWidth(sh, "C", "K", 13))
	b.do(f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"}))
	return lastDay
}

func (b *xlsxBook) productionSheet(sh string, r DayReport, loc *time.Location) {
	b.header(sh, 1, "report.col.line", "report.col.product", "report.col.planned", "report.col.good", "report.col.reject", "report.col.attainment", "report.col.scrap_rate")
	n := 2
	for _, p := range r.Production {
		b.row(sh, n, p.Line, p.Product, p.Planned, p.Good, p.Reject, ratioCell(p.Attainment), ratioCell(p.ScrapRate))
		b.style(sh, cellAt("C", n), cellAt("E", n), "num")
		b.style(sh, cellAt("F", n), cellAt("G", n), "pct")
		n++
	}
	t := r.PlantTotals
	b.row(sh, n, b.t("report.plant"), "", t.Planned, t.Good, t.Reject, ratioCell(t.Attainment), ratioCell(t.ScrapRate))
	b.style(sh, cellAt("A", n), cellAt("B", n), "bold")
	b.style(sh, cellAt("C", n), cellAt("E", n), "boldNum")
	b.style(sh, cellAt("F", n), cellAt("G", n), "boldPct")
	n += 2

	b.row(sh, n, b.t("report.scrap"))
	b.style(sh, cellAt("A", n), cellAt("A", n), "bold")
	n++
	b.header(sh, n, "report.col.line", "report.col.reason", "report.col.quantity")
	n++
	var scrap int64
	for _, s := range r.ScrapReasons {
		b.row(sh, n, s.Line, s.Reason, s.Quantity)
		scrap += s.Quantity
		n++
	}
	b.row(sh, n, b.t("report.plant"), "", scrap)
	b.style(sh, cellAt("A", n), cellAt("C", n), "bold")
	n += 2

	b.row(sh, n, b.t("report.labour"))
	b.style(sh, cellAt("A", n), cellAt("A", n), "bold")
	n++
	b.header(sh, n, "report.col.line", "report.col.labour_h")
	n++
	for _, l := range r.Labour {
		b.row(sh, n, l.Line, l.Hours)
		b.style(sh, cellAt("B", n), cellAt("B", n), "hours")
		n++
	}
	b.row(sh, n, b.t("report.plant"), t.LabourHours)
	b.style(sh, cellAt("A", n), cellAt("A", n), "bold")
	b.style(sh, cellAt("B", n), cellAt("B", n), "boldHours")
	n += 2

	for _, part := range []struct {
		title  string
		orders []orderRow
	}{{"report.orders_completed", orderRows(r.OrdersCompleted, loc)}, {"report.orders_at_risk", orderRows(r.OrdersAtRisk, loc)}} {
		b.row(sh, n, b.t(part.title), len(part.orders))
		b.style(sh, cellAt("A", n), cellAt("B", n), "bold")
		n++
		b.header(sh, n, "report.col.order", "report.col.product", "report.col.customer", "report.col.quantity", "report.col.good",
			"report.col.remaining", "report.col.due", "report.col.status")
		n++
		for _, o := range part.orders {
			status := b.t("report.on_time")
			if o.Late {
				status = b.t("report.late")
			}
			b.row(sh, n, o.Number, o.Product, o.Customer, o.Quantity, o.Good, o.Remaining, o.Due, status)
			n++
		}
		n++
	}
	b.do(b.f.SetColWidth(sh, "A", "H", 15))
}

// orderRow is an order line of the workbook, its due time as text in the plant's zone.
type orderRow struct {
	Number, Product, Customer string
	Quantity, Good, Remaining int64
	Due                       string
	Late                      bool
}

func orderRows(in []store.OrderLine, loc *time.Location) []orderRow {
	out := make([]orderRow, 0, len(in))
	for _, o := range in {
		r := orderRow{Number: o.Number, Product: o.Product, Customer: o.Customer, Quantity: o.Quantity, Good: o.Good, Remaining: o.Remaining, Late: o.Late}
		if o.DueAt != nil {
			r.Due = o.DueAt.In(loc).Format("2006-01-02 15:04")
		}
		out = append(out, r)
	}
	return out
}

func (b *xlsxBook) downtimeSheet(sh string, r DayReport) {
	b.header(sh, 1, "report.col.line", "report.col.state", "report.col.reason", "xlsx.col.category", "report.col.minutes", "report.col.stops")
	n := 2
	for _, l := range r.Lines {
		for _, rt := range l.Day.Reasons {
			b.row(sh, n, l.Line, b.t("state."+rt.State), rt.Label, rt.Category, time.Duration(rt.Time).Seconds()/60, rt.Stops)
			n++
		}
	}
	b.do(b.f.SetColWidth(sh, "A", "F", 16))
}

func (b *xlsxBook) paretoSheet(sh string, r DayReport) {
	b.header(sh, 1, "report.col.reason", "report.col.state", "report.col.minutes", "report.col.stops", "report.col.share", "report.col.cumulative")
	n := 2
	for _, p := range r.DowntimePareto {
		b.row(sh, n, p.Label, b.t("state."+p.State), p.Seconds/60, p.Stops, p.Share, p.Cumulative)
		b.style(sh, cellAt("C", n), cellAt("C", n), "hours")
		b.style(sh, cellAt("E", n), cellAt("F", n), "pct")
		n++
	}
	b.do(b.f.SetColWidth(sh, "A", "F", 16))
	if last := n - 1; last >= 2 {
		q := "'" + sh + "'!"
		cats := fmt.Sprintf("%s$A$2:$A$%d", q, last)
		b.do(b.f.AddChart(sh, "H2", &excelize.Chart{Type: excelize.Col,
			Series:    []excelize.ChartSeries{{Name: q + "$C$1", Categories: cats, Values: fmt.Sprintf("%s$C$2:$C$%d", q, last)}},
			Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: b.t("report.pareto")}}},
			Legend:    excelize.ChartLegend{Position: "bottom"},
			Dimension: excelize.ChartDimension{Width: 640, Height: 360},
		}, &excelize.Chart{Type: excelize.Line,
			Series: []excelize.ChartSeries{{Name: q + "$F$1", Categories: cats, Values: fmt.Sprintf("%s$F$2:$F$%d", q, last)}},
			YAxis:  excelize.ChartAxis{Secondary: true, NumFmt: excelize.ChartNumFmt{CustomNumFmt: "0%"}},
		}))
	}
}

// WriteShiftXLSX writes a stored shift report as a workbook in lang: each
// line's figures of the shift (hours, pieces, A/P/Q/OEE), the plant's in
// bold, and the six losses.
func WriteShiftXLSX(w io.Writer, r ShiftReport, lang string, stamp Stamp) error {
	f := excelize.NewFile()
	defer f.Close()
	b := &xlsxBook{f: f, lang: lang, st: map[string]int{}}
	b.styles()
	sh := b.t("xlsx.sheet.shift")
	b.do(f.SetSheetName("Sheet1", sh))
	b.row(sh, 1, b.t("xlsx.title_shift", "date", r.Date, "shift", r.Shift))
	b.style(sh, "A1", "A1", "title")
	loc := stamp.Location
	if loc == nil {
		loc = time.UTC
	}
	b.row(sh, 2, b.t("xlsx.revision", "n", stamp.Revision, "at", stamp.GeneratedAt.In(loc).Format("2006-01-02 15:04")))
	b.header(sh, 3, "report.col.line", "report.col.period", "report.col.pbt_h", "report.col.run_h", "report.col.nodata_h",
		"report.col.good", "report.col.reject", "report.col.availability", "report.col.performance", "report.col.quality", "report.col.oee")
	n := 4
	put := func(line string, pbt, run, noData oee.Dur, good, reject int64, a, p, q, o *float64, bold bool) {
		b.row(sh, n, line, r.Shift, pbt.Seconds()/3600, run.Seconds()/3600, noData.Seconds()/3600, good, reject,
			ratioCell(a), ratioCell(p), ratioCell(q), ratioCell(o))
		hs, ns, ps := "hours", "num", "pct"
		if bold {
			hs, ns, ps = "boldHours", "boldNum", "boldPct"
			b.style(sh, cellAt("A", n), cellAt("B", n), "bold")
		}
		b.style(sh, cellAt("C", n), cellAt("E", n), hs)
		b.style(sh, cellAt("F", n), cellAt("G", n), ns)
		b.style(sh, cellAt("H", n), cellAt("K", n), ps)
		n++
	}
	for _, l := range r.Lines {
		put(l.Line, l.PlannedBusyTime, l.RunTime, l.NoDataTime, l.Good, l.Reject, l.Availability, l.Performance, l.Quality, l.OEE, false)
	}
	p := r.Plant
	put(b.t("report.plant"), p.PlannedBusyTime, p.RunTime, p.NoDataTime, p.Good, p.Reject, p.Availability, p.Performance, p.Quality, p.OEE, true)
	n++
	b.row(sh, n, b.t("report.losses"))
	b.style(sh, cellAt("A", n), cellAt("A", n), "bold")
	n++
	b.header(sh, n, "report.col.line", "report.loss.breakdowns", "report.loss.setup", "report.loss.small_stops", "report.loss.reduced_speed",
		"report.loss.startup_rejects", "report.loss.production_rejects")
	n++
	min := func(d oee.Dur) float64 { return d.Seconds() / 60 }
	for _, l := range r.Lines {
		ls := l.Losses
		var reduced any
		if ls.ReducedSpeed != nil {
			reduced = min(*ls.ReducedSpeed)
		}
		b.row(sh, n, l.Line, min(ls.Breakdowns), min(ls.SetupChangeover), min(ls.SmallStops), reduced, min(ls.StartupRejects), min(ls.ProductionRejects))
		b.style(sh, cellAt("B", n), cellAt("G", n), "hours")
		n++
	}
	b.do(f.SetColWidth(sh, "A", "B", 12))
	b.do(f.SetColWidth(sh, "C", "K", 13))
	if b.err != nil {
		return b.err
	}
	return f.Write(w)
}
