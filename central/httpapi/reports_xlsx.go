package httpapi

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"github.com/linewise/linewise/central/oee"
)

// dailyXLSX serves GET /api/v1/reports/daily.xlsx: the daily report as a
// workbook a manager sends on — the lines' days (then their shifts) with
// units in the headers, plant totals, downtime by reason, and a chart sheet
// of OEE by line.
func (s *Server) dailyXLSX(c echo.Context) error {
	r, err := s.daily(c)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := writeDailyXLSX(&b, r); err != nil {
		return fmt.Errorf("daily report %s as xlsx: %w", r.Date, err)
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="daily-`+r.Date+`.xlsx"`)
	return c.Blob(http.StatusOK, xlsxType, b.Bytes())
}

const (
	dailySheet    = "Daily report"
	downtimeSheet = "Downtime"
	chartSheet    = "Chart"
)

var dailyHeader = []string{"Line", "Period", "Planned busy time (h)", "Run time (h)", "No data (h)",
	"Good (pcs)", "Reject (pcs)", "Availability", "Performance", "Quality", "OEE"}

// figureRow is one row of the daily sheet; a ratio that is unknown is left empty.
func figureRow(line, period string, pbt, run, noData oee.Dur, good, reject int64, a, p, q, o *float64) []any {
	ratio := func(v *float64) any {
		if v == nil {
			return nil
		}
		return *v
	}
	return []any{line, period, pbt.Seconds() / 3600, run.Seconds() / 3600, noData.Seconds() / 3600, good, reject,
		ratio(a), ratio(p), ratio(q), ratio(o)}
}

func writeDailyXLSX(b *bytes.Buffer, r oee.DailyReport) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", dailySheet); err != nil {
		return err
	}
	pct, hours := "0.0%", "0.00"
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	if err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE3EA"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"}})
	if err != nil {
		return err
	}
	hourStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &hours})
	if err != nil {
		return err
	}
	pctStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &pct})
	if err != nil {
		return err
	}
	totalHour, err := f.NewStyle(&excelize.Style{CustomNumFmt: &hours, Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	totalPct, err := f.NewStyle(&excelize.Style{CustomNumFmt: &pct, Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	set := func(sheet, cell string, v any) error { return f.SetCellValue(sheet, cell, v) }
	row := func(sheet string, n int, vals []any) error {
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return f.SetSheetRow(sheet, cell, &vals)
	}
	styleRow := func(sheet string, n int, hs, ps int) error {
		for _, rng := range []struct {
			from, to string
			st       int
		}{{"C", "E", hs}, {"H", "K", ps}} {
			if err := f.SetCellStyle(sheet, fmt.Sprintf("%s%d", rng.from, n), fmt.Sprintf("%s%d", rng.to, n), rng.st); err != nil {
				return err
			}
		}
		return nil
	}

	if err := set(dailySheet, "A1", "Daily production report "+r.Date+" (plant day from "+r.DayStart+")"); err != nil {
		return err
	}
	if err := f.SetCellStyle(dailySheet, "A1", "A1", title); err != nil {
		return err
	}
	header := make([]any, len(dailyHeader))
	for i, h := range dailyHeader {
		header[i] = h
	}
	if err := row(dailySheet, 3, header); err != nil {
		return err
	}
	if err := f.SetCellStyle(dailySheet, "A3", "K3", head); err != nil {
		return err
	}
	n := 4
	for _, l := range r.Lines {
		d := l.Day.Figures
		if err := row(dailySheet, n, figureRow(l.Line, "day", d.PlannedBusyTime, d.RunTime, d.NoDataTime, d.Good, d.Reject,
			d.Availability, d.Performance, d.Quality, d.OEE)); err != nil {
			return err
		}
		if err := styleRow(dailySheet, n, hourStyle, pctStyle); err != nil {
			return err
		}
		n++
	}
	lastDay := n - 1
	p := r.Plant
	if err := row(dailySheet, n, figureRow("Plant", "day", p.PlannedBusyTime, p.RunTime, p.NoDataTime, p.Good, p.Reject,
		p.Availability, p.Performance, p.Quality, p.OEE)); err != nil {
		return err
	}
	if err := styleRow(dailySheet, n, totalHour, totalPct); err != nil {
		return err
	}
	if err := f.SetCellStyle(dailySheet, fmt.Sprintf("A%d", n), fmt.Sprintf("G%d", n), bold); err != nil {
		return err
	}
	n += 2
	if err := set(dailySheet, fmt.Sprintf("A%d", n), "Shifts"); err != nil {
		return err
	}
	if err := f.SetCellStyle(dailySheet, fmt.Sprintf("A%d", n), fmt.Sprintf("A%d", n), bold); err != nil {
		return err
	}
	n++
	for _, l := range r.Lines {
		for _, sh := range l.Shifts {
			if err := row(dailySheet, n, figureRow(l.Line, sh.Name, sh.PlannedBusyTime, sh.RunTime, sh.NoDataTime, sh.Good, sh.Reject,
				sh.Availability, sh.Performance, sh.Quality, sh.OEE)); err != nil {
				return err
			}
			if err := styleRow(dailySheet, n, hourStyle, pctStyle); err != nil {
				return err
			}
			n++
		}
	}
	if err := f.SetColWidth(dailySheet, "A", "B", 12); err != nil {
		return err
	}
	if err := f.SetColWidth(dailySheet, "C", "K", 13); err != nil {
		return err
	}
	if err := f.SetPanes(dailySheet, &excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"}); err != nil {
		return err
	}

	if _, err := f.NewSheet(downtimeSheet); err != nil {
		return err
	}
	if err := row(downtimeSheet, 1, []any{"Line", "State", "Reason", "Category", "Time (min)", "Stops"}); err != nil {
		return err
	}
	if err := f.SetCellStyle(downtimeSheet, "A1", "F1", head); err != nil {
		return err
	}
	n = 2
	for _, l := range r.Lines {
		for _, rt := range l.Day.Reasons {
			if err := row(downtimeSheet, n, []any{l.Line, rt.State, rt.Label, rt.Category, rt.Time.Seconds() / 60, rt.Stops}); err != nil {
				return err
			}
			n++
		}
	}
	if err := f.SetColWidth(downtimeSheet, "A", "F", 16); err != nil {
		return err
	}

	if lastDay >= 4 {
		q := "'" + dailySheet + "'!"
		if err := f.AddChartSheet(chartSheet, &excelize.Chart{Type: excelize.Col,
			Series: []excelize.ChartSeries{{Name: q + "$K$3", Categories: fmt.Sprintf("%s$A$4:$A$%d", q, lastDay),
				Values: fmt.Sprintf("%s$K$4:$K$%d", q, lastDay)}},
			Title:  excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "OEE by line, " + r.Date}}},
			Legend: excelize.ChartLegend{Position: "none"},
			YAxis:  excelize.ChartAxis{NumFmt: excelize.ChartNumFmt{CustomNumFmt: "0%"}},
		}); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	return f.Write(b)
}
