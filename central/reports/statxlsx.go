package reports

import (
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"
)

// WriteOrdersXLSX writes the order statistics as a workbook in lang: the
// groups with their totals and a chart of on-time delivery by group, then
// every order counted, its times in loc.
func WriteOrdersXLSX(w io.Writer, s OrderStatistics, lang string, loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	f := excelize.NewFile()
	defer f.Close()
	b := &xlsxBook{f: f, lang: lang, st: map[string]int{}, loc: loc}
	b.styles()
	sh, list := b.t("xlsx.sheet.order_stats"), b.t("xlsx.sheet.orders")
	b.do(f.SetSheetName("Sheet1", sh))
	b.row(sh, 1, b.t("stats.orders_title", "from", s.From, "to", s.To), b.t("stats.basis."+s.Basis))
	b.style(sh, "A1", "A1", "title")
	b.header(sh, 3, "stats.by."+s.By, "stats.col.orders", "report.col.quantity", "report.col.good", "stats.col.completed",
		"stats.col.on_time", "stats.col.late", "stats.col.overdue", "stats.col.on_time_rate", "stats.col.lead_time_h")
	n := 4
	row := func(key string, g OrderGroup, bold bool) {
		var lead any
		if g.LeadTimeH != nil {
			lead = *g.LeadTimeH
		}
		b.row(sh, n, key, g.Orders, g.Quantity, g.Good, g.Completed, g.OnTime, g.Late, g.Overdue, ratioCell(g.OnTimeRate), lead)
		ns, ps, hs := "num", "pct", "hours"
		if bold {
			ns, ps, hs = "boldNum", "boldPct", "boldHours"
			b.style(sh, cellAt("A", n), cellAt("A", n), "bold")
		}
		b.style(sh, cellAt("B", n), cellAt("H", n), ns)
		b.style(sh, cellAt("I", n), cellAt("I", n), ps)
		b.style(sh, cellAt("J", n), cellAt("J", n), hs)
		n++
	}
	for _, g := range s.Groups {
		key := g.Key
		if key == "" {
			key = b.t("stats.none")
		}
		row(key, g, false)
	}
	last := n - 1
	row(b.t("report.plant"), s.Total, true)
	b.do(f.SetColWidth(sh, "A", "J", 14))
	if last >= 4 {
		q := "'" + sh + "'!"
		b.do(f.AddChart(sh, "L3", &excelize.Chart{Type: excelize.Col,
			Series:    []excelize.ChartSeries{{Name: q + "$I$3", Categories: fmt.Sprintf("%s$A$4:$A$%d", q, last), Values: fmt.Sprintf("%s$I$4:$I$%d", q, last)}},
			Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: b.t("stats.col.on_time_rate")}}},
			Legend:    excelize.ChartLegend{Position: "none"},
			YAxis:     excelize.ChartAxis{NumFmt: excelize.ChartNumFmt{CustomNumFmt: "0%"}},
			Dimension: excelize.ChartDimension{Width: 560, Height: 320},
		}))
	}
	_, err := f.NewSheet(list)
	b.do(err)
	b.header(list, 1, "report.col.order", "report.col.product", "report.col.customer", "stats.col.status", "report.col.quantity",
		"report.col.good", "stats.col.created", "report.col.due", "stats.col.completed_at")
	n = 2
	day := func(t time.Time) string { return t.Format("2006-01-02 15:04") }
	for _, o := range s.Orders {
		var due, done any
		if o.Due != nil {
			due = day(o.Due.In(b.loc))
		}
		if o.Completed != nil {
			done = day(o.Completed.In(b.loc))
		}
		b.row(list, n, o.Number, o.Product, o.Customer, o.Status, o.Quantity, o.Good, day(o.Created.In(b.loc)), due, done)
		n++
	}
	b.do(f.SetColWidth(list, "A", "I", 16))
	f.SetActiveSheet(0)
	if b.err != nil {
		return b.err
	}
	return f.Write(w)
}

// WriteOutputXLSX writes the output statistics as a workbook in lang: the
// output by day with its chart, by line, by product, and every day, line
// and product.
func WriteOutputXLSX(w io.Writer, s OutputStatistics, lang string) error {
	f := excelize.NewFile()
	defer f.Close()
	b := &xlsxBook{f: f, lang: lang, st: map[string]int{}}
	b.styles()
	sh, detail := b.t("xlsx.sheet.output"), b.t("xlsx.sheet.output_detail")
	b.do(f.SetSheetName("Sheet1", sh))
	b.row(sh, 1, b.t("stats.output_title", "from", s.From, "to", s.To))
	b.style(sh, "A1", "A1", "title")
	n := 3
	table := func(keyHead string, ts []OutputTotal) (first, last int) {
		b.header(sh, n, keyHead, "report.col.good", "report.col.reject", "stats.col.produced", "report.col.scrap_rate")
		n++
		first = n
		for _, t := range ts {
			key := t.Key
			if key == "" {
				key = b.t("stats.none")
			}
			b.row(sh, n, key, t.Good, t.Reject, t.Produced, ratioCell(t.ScrapRate))
			b.style(sh, cellAt("B", n), cellAt("D", n), "num")
			b.style(sh, cellAt("E", n), cellAt("E", n), "pct")
			n++
		}
		last = n - 1
		t := s.Total
		b.row(sh, n, b.t("report.plant"), t.Good, t.Reject, t.Produced, ratioCell(t.ScrapRate))
		b.style(sh, cellAt("A", n), cellAt("A", n), "bold")
		b.style(sh, cellAt("B", n), cellAt("D", n), "boldNum")
		b.style(sh, cellAt("E", n), cellAt("E", n), "boldPct")
		n += 2
		return first, last
	}
	dFirst, dLast := table("stats.col.day", s.ByDay)
	table("report.col.line", s.ByLine)
	table("report.col.product", s.ByProduct)
	b.do(f.SetColWidth(sh, "A", "E", 14))
	if dLast >= dFirst {
		q := "'" + sh + "'!"
		cats := fmt.Sprintf("%s$A$%d:$A$%d", q, dFirst, dLast)
		b.do(f.AddChart(sh, "G3", &excelize.Chart{Type: excelize.ColStacked,
			Series: []excelize.ChartSeries{
				{Name: fmt.Sprintf("%s$B$%d", q, dFirst-1), Categories: cats, Values: fmt.Sprintf("%s$B$%d:$B$%d", q, dFirst, dLast)},
				{Name: fmt.Sprintf("%s$C$%d", q, dFirst-1), Categories: cats, Values: fmt.Sprintf("%s$C$%d:$C$%d", q, dFirst, dLast)}},
			Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: b.t("stats.output_by_day")}}},
			Legend:    excelize.ChartLegend{Position: "bottom"},
			Dimension: excelize.ChartDimension{Width: 640, Height: 340},
		}))
	}
	_, err := f.NewSheet(detail)
	b.do(err)
	b.header(detail, 1, "stats.col.day", "report.col.line", "report.col.product", "report.col.good", "report.col.reject", "stats.col.produced", "report.col.scrap_rate")
	n = 2
	for _, r := range s.Rows {
		b.row(detail, n, r.Date, r.Line, r.Product, r.Good, r.Reject, r.Produced, ratioCell(r.ScrapRate))
		b.style(detail, cellAt("G", n), cellAt("G", n), "pct")
		n++
	}
	b.do(f.SetColWidth(detail, "A", "G", 14))
	f.SetActiveSheet(0)
	if b.err != nil {
		return b.err
	}
	return f.Write(w)
}
