package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"github.com/linewise/linewise/central/domain"
)

// The exports take the order list's filters (status, product, line,
// due_from, due_to, q, limit, offset, cursor) so that a download is the list
// the user was looking at; like the list, a full page sets X-Next-Cursor.

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// sheet is an export before it is written: a header and rows whose cells
// are string, int64, int or *time.Time (nil: empty), so XLSX keeps numbers
// and times typed while CSV prints them.
type sheet struct {
	name   string
	header []string
	rows   [][]any
}

var orderHeader = []string{"number", "product", "product_name", "quantity", "unit", "due", "priority", "status",
	"good", "reject", "customer_ref", "order_type", "site"}

func orderRow(o domain.Order) []any {
	return []any{o.Number, o.ProductCode, o.ProductName, o.Quantity, o.Unit, o.Due, o.Priority, string(o.Status),
		o.Good, o.Reject, o.CustomerRef, o.OrderType, o.Site}
}

var workOrderHeader = []string{"work_order", "order", "operation_seq", "line", "barcode", "product", "product_name",
	"quantity", "unit", "status", "order_status", "planned_start", "planned_end", "actual_start", "actual_end",
	"good", "reject", "due", "priority"}

func workOrderRow(o domain.Order, w domain.WorkOrder) []any {
	return []any{w.ID, w.OrderNumber, w.OperationSeq, w.LineID, w.Barcode, o.ProductCode, o.ProductName,
		w.Quantity, o.Unit, string(w.Status), string(o.Status), w.PlannedStart, w.PlannedEnd, w.ActualStart, w.ActualEnd,
		w.Good, w.Reject, o.Due, o.Priority}
}

// exportOrders serves /api/v1/exports/orders.{csv,xlsx}.
func (s *Server) exportOrders(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		f, err := orderFilter(c)
		if err != nil {
			return err
		}
		list, err := s.opts.Store.SearchOrders(c.Request().Context(), f)
		if err != nil {
			return err
		}
		sh := sheet{name: "orders", header: orderHeader}
		for _, o := range list {
			sh.rows = append(sh.rows, orderRow(o))
		}
		nextPage(c, f, len(list), func() string { return list[len(list)-1].Number })
		return writeSheet(c, format, sh)
	}
}

// exportWorkOrders serves /api/v1/exports/work-orders.{csv,xlsx}: the work
// orders of the orders the list would show, in order and operation order;
// with line= only those on that line. Paging counts orders, as in the list.
func (s *Server) exportWorkOrders(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		f, err := orderFilter(c)
		if err != nil {
			return err
		}
		list, err := s.opts.Store.SearchOrderDetails(c.Request().Context(), f)
		if err != nil {
			return err
		}
		sh := sheet{name: "work orders", header: workOrderHeader}
		for _, d := range list {
			for _, w := range d.WorkOrders {
				sh.rows = append(sh.rows, workOrderRow(d.Order, w))
			}
		}
		nextPage(c, f, len(list), func() string { return list[len(list)-1].Number })
		return writeSheet(c, format, sh)
	}
}

// nextPage sets X-Next-Cursor and a Link to the next page when the page is
// full, so a client can tell there may be more.
func nextPage(c echo.Context, f domain.OrderFilter, n int, last func() string) {
	if n == 0 || n != f.Limit {
		return
	}
	cur := base64.RawURLEncoding.EncodeToString([]byte(last()))
	q := c.QueryParams()
	q.Set("cursor", cur)
	q.Del("offset")
	c.Response().Header().Set("X-Next-Cursor", cur)
	c.Response().Header().Set("Link", `<`+c.Request().URL.Path+"?"+q.Encode()+`>; rel="next"`)
}

// writeSheet renders the whole file before sending, so a failure is still
// a problem response rather than a truncated download.
func writeSheet(c echo.Context, format string, sh sheet) error {
	var b bytes.Buffer
	var ctype string
	switch format {
	case "csv":
		ctype = "text/csv; charset=utf-8"
		writeCSV(&b, sh)
	case "xlsx":
		ctype = xlsxType
		if err := writeXLSX(&b, sh); err != nil {
			return fmt.Errorf("export %s as xlsx: %w", sh.name, err)
		}
	default:
		return fmt.Errorf("export: unknown format %q", format)
	}
	file := map[string]string{"orders": "orders", "work orders": "work-orders"}[sh.name]
	if file == "" {
		file = strings.ReplaceAll(sh.name, " ", "-")
	}
	file += "." + format
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+file+`"`)
	return c.Blob(http.StatusOK, ctype, b.Bytes())
}

func writeCSV(b *bytes.Buffer, sh sheet) {
	w := csv.NewWriter(b)
	_ = w.Write(sh.header) // a bytes.Buffer does not fail
	rec := make([]string, len(sh.header))
	for _, row := range sh.rows {
		for i, v := range row {
			rec[i] = csvCell(v)
		}
		_ = w.Write(rec)
	}
	w.Flush()
}

func csvCell(v any) string {
	switch v := v.(type) {
	case string:
		return csvSafe(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	case *time.Time:
		if v == nil {
			return ""
		}
		return v.UTC().Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}

// XLSXTimeFormat is how the XLSX exports show times (UTC); the cells hold
// real date-times, so a spreadsheet can sort and compute with them.
const XLSXTimeFormat = "yyyy-mm-dd hh:mm:ss"

func writeXLSX(b *bytes.Buffer, sh sheet) error {
	f := excelize.NewFile()
	defer f.Close()
	name := sh.name
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	timeFmt := XLSXTimeFormat
	when, err := f.NewStyle(&excelize.Style{CustomNumFmt: &timeFmt})
	if err != nil {
		return err
	}
	for i, h := range sh.header {
		width := float64(max(len(h)+2, 12))
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	head := make([]any, len(sh.header))
	for i, h := range sh.header {
		head[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	for r, row := range sh.rows {
		cells := make([]any, len(row))
		for i, v := range row {
			switch v := v.(type) {
			case *time.Time:
				if v != nil {
					cells[i] = excelize.Cell{StyleID: when, Value: v.UTC()}
				}
			default:
				// Strings go in as text, never as formulas, so free text
				// needs no defusing here.
				cells[i] = v
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, r+2)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(b)
}
