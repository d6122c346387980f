package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/money"
)

// CostStore is what the cost routes need (store/costing implements it).
type CostStore interface {
	Currency() string
	ListLineRates(ctx context.Context) ([]domain.LineRate, error)
	PutLineRate(ctx context.Context, r domain.LineRate, actor domain.Actor) (domain.LineRate, error)
	ListLabourGrades(ctx context.Context) ([]domain.LabourGrade, error)
	PutLabourGrade(ctx context.Context, g domain.LabourGrade, actor domain.Actor) (domain.LabourGrade, error)
	ListMaterialCosts(ctx context.Context) ([]domain.MaterialCost, error)
	PutMaterialCost(ctx context.Context, m domain.MaterialCost, actor domain.Actor) (domain.MaterialCost, error)
	SetUserGrade(ctx context.Context, username, grade string, actor domain.Actor) error
	OrderCost(ctx context.Context, number string) (domain.CostSheet, error)
}

// costReaders see rates and cost sheets: who sets rates, and supervisors
// and quality who answer for the variances.
var costReaders = append(domain.RateSetters(), domain.RoleSupervisor, domain.RoleQuality)

func (s *Server) registerCost() {
	if s.opts.Cost == nil {
		return
	}
	const get, put = http.MethodGet, http.MethodPut
	setters := domain.RateSetters()
	s.handle(get, "/api/v1/cost/rates", s.costRates, Authenticated,
		"cost rates in the plant's currency: lines (machine_hour, labour_grade its standard labour is costed at), labour_grades (labour_hour), materials (standard_cost per base unit)", costReaders...)
	s.handle(put, "/api/v1/cost/lines/:line", s.putLineRate, Authenticated,
		"set a line's machine-hour rate and standard labour grade: {machine_hour: \"120.00\", labour_grade} (audited)", setters...)
	s.handle(put, "/api/v1/cost/labour-grades/:grade", s.putLabourGrade, Authenticated,
		"create or change a labour grade: {name, labour_hour: \"40.00\"} (audited)", setters...)
	s.handle(put, "/api/v1/cost/materials/:code", s.putMaterialCost, Authenticated,
		"set a material's standard cost per base unit: {standard_cost: \"2.50\"} (audited)", setters...)
	s.handle(put, "/api/v1/users/:username/labour-grade", s.putUserGrade, Authenticated,
		"give a user a labour grade, whose rate costs their scanned hours: {grade} (\"\" takes it away; audited)", setters...)
	s.handle(get, "/api/v1/orders/:number/cost", s.orderCost, Authenticated,
		"the order's cost settlement: actual material, labour, machine and outsourcing against the standard for the good quantity, variances by cause (price, quantity, efficiency, scrap), margin when priced; frozen at close", costReaders...)
	s.handle(get, "/api/v1/orders/:number/cost.xlsx", s.orderCostXLSX, Authenticated,
		"the order's cost settlement as a workbook (summary, variances, materials, operations)", costReaders...)
}

func (s *Server) costRates(c echo.Context) error {
	ctx := c.Request().Context()
	lines, err := s.opts.Cost.ListLineRates(ctx)
	if err != nil {
		return err
	}
	grades, err := s.opts.Cost.ListLabourGrades(ctx)
	if err != nil {
		return err
	}
	mats, err := s.opts.Cost.ListMaterialCosts(ctx)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"currency": s.opts.Cost.Currency(), "lines": lines, "labour_grades": grades, "materials": mats})
}

type lineRateRequest struct {
	MachineHour *money.Amount `json:"machine_hour"`
	LabourGrade string        `json:"labour_grade"`
}

func (s *Server) putLineRate(c echo.Context) error {
	var req lineRateRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.MachineHour == nil {
		return invalid("machine_hour", "machine_hour is required, a decimal string like \"120.00\"")
	}
	r, err := s.opts.Cost.PutLineRate(c.Request().Context(), domain.LineRate{Line: c.Param("line"), MachineHour: *req.MachineHour, LabourGrade: req.LabourGrade}, principal(c).Actor())
	if err != nil {
		return apiError(err)
	}
	return c.JSON(http.StatusOK, r)
}

type labourGradeRequest struct {
	Name       string        `json:"name"`
	LabourHour *money.Amount `json:"labour_hour"`
}

func (s *Server) putLabourGrade(c echo.Context) error {
	var req labourGradeRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.LabourHour == nil {
		return invalid("labour_hour", "labour_hour is required, a decimal string like \"40.00\"")
	}
	g, err := s.opts.Cost.PutLabourGrade(c.Request().Context(), domain.LabourGrade{Grade: c.Param("grade"), Name: req.Name, LabourHour: *req.LabourHour}, principal(c).Actor())
	if err != nil {
		return apiError(err)
	}
	return c.JSON(http.StatusOK, g)
}

type materialCostRequest struct {
	StandardCost *money.Amount `json:"standard_cost"`
}

func (s *Server) putMaterialCost(c echo.Context) error {
	var req materialCostRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.StandardCost == nil {
		return invalid("standard_cost", "standard_cost is required, a decimal string like \"2.50\"")
	}
	m, err := s.opts.Cost.PutMaterialCost(c.Request().Context(), domain.MaterialCost{Material: c.Param("code"), StandardCost: *req.StandardCost}, principal(c).Actor())
	if err != nil {
		return apiError(err)
	}
	return c.JSON(http.StatusOK, m)
}

type userGradeRequest struct {
	Grade string `json:"grade"`
}

func (s *Server) putUserGrade(c echo.Context) error {
	var req userGradeRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if err := s.opts.Cost.SetUserGrade(c.Request().Context(), c.Param("username"), req.Grade, principal(c).Actor()); err != nil {
		return apiError(err)
	}
	return c.JSON(http.StatusOK, map[string]string{"username": c.Param("username"), "labour_grade": req.Grade})
}

func (s *Server) orderCost(c echo.Context) error {
	cs, err := s.opts.Cost.OrderCost(c.Request().Context(), c.Param("number"))
	if err != nil {
		return apiError(err)
	}
	return c.JSON(http.StatusOK, cs)
}

func (s *Server) orderCostXLSX(c echo.Context) error {
	cs, err := s.opts.Cost.OrderCost(c.Request().Context(), c.Param("number"))
	if err != nil {
		return apiError(err)
	}
	var b bytes.Buffer
	if err := writeCostXLSX(&b, cs); err != nil {
		return fmt.Errorf("cost of %s as xlsx: %w", cs.Order, err)
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="cost-`+safeFile(cs.Order)+`.xlsx"`)
	return c.Blob(http.StatusOK, xlsxType, b.Bytes())
}

func safeFile(s string) string {
	out := []rune{}
	for _, r := range s {
		if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			out = append(out, r)
		} else {
			out = append(out, '_')
		}
	}
	return string(out)
}

// numStr is a decimal string written as a number cell.
type numStr string

// Sheet names of the cost workbook.
const (
	costSummarySheet   = "Cost settlement"
	costVarianceSheet  = "Variances"
	costMaterialsSheet = "Materials"
	costOpsSheet       = "Operations"
)

// writeCostXLSX writes the cost sheet. Money goes into number cells from
// its decimal string (never through a float), shown with 2 decimals.
func writeCostXLSX(b *bytes.Buffer, cs domain.CostSheet) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", costSummarySheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	moneyFmt := "#,##0.00"
	moneyStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &moneyFmt})
	if err != nil {
		return err
	}
	boldMoney, err := f.NewStyle(&excelize.Style{CustomNumFmt: &moneyFmt, Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	// put writes one row; money.Amount cells are numbers from the decimal string.
	put := func(sheet string, row int, style int, vals ...any) error {
		for i, v := range vals {
			cell, _ := excelize.CoordinatesToCellName(i+1, row)
			switch x := v.(type) {
			case money.Amount:
				if err := f.SetCellDefault(sheet, cell, x.String()); err != nil {
					return err
				}
				st := moneyStyle
				if style == bold {
					st = boldMoney
				}
				if err := f.SetCellStyle(sheet, cell, cell, st); err != nil {
					return err
				}
				continue
			case *money.Amount:
				if x == nil {
					continue
				}
				if err := f.SetCellDefault(sheet, cell, x.String()); err != nil {
					return err
				}
				if err := f.SetCellStyle(sheet, cell, cell, moneyStyle); err != nil {
					return err
				}
				continue
			case numStr:
				if err := f.SetCellDefault(sheet, cell, string(x)); err != nil {
					return err
				}
				continue
			case domain.Qty:
				if err := f.SetCellDefault(sheet, cell, x.String()); err != nil {
					return err
				}
				continue
			}
			if err := f.SetCellValue(sheet, cell, v); err != nil {
				return err
			}
			if style != 0 {
				if err := f.SetCellStyle(sheet, cell, cell, style); err != nil {
					return err
				}
			}
		}
		return nil
	}
	cur := " (" + cs.Currency + ")"
	status := "open: computed " + cs.ComputedAt.UTC().Format("2006-01-02 15:04 MST")
	if cs.Frozen && cs.ClosedAt != nil {
		status = "frozen at close " + cs.ClosedAt.UTC().Format("2006-01-02 15:04 MST")
	}
	rows := [][]any{
		{"Order", cs.Order}, {"Product", cs.Product}, {"Good (pcs)", cs.Good}, {"Scrap (pcs)", cs.Scrap}, {"Status", status}, {},
		{"Element", "Actual" + cur, "Standard" + cur, "Variance" + cur},
		{"Material", cs.Actual.Material, cs.Standard.Material, cs.Actual.Material - cs.Standard.Material},
		{"Labour", cs.Actual.Labour, cs.Standard.Labour, cs.Actual.Labour - cs.Standard.Labour},
		{"Machine", cs.Actual.Machine, cs.Standard.Machine, cs.Actual.Machine - cs.Standard.Machine},
		{"Outsourcing", cs.Actual.Outsourcing, cs.Standard.Outsourcing, cs.Actual.Outsourcing - cs.Standard.Outsourcing},
		{"Total", cs.Actual.Total, cs.Standard.Total, cs.Variance},
		{"Unit cost", cs.ActualUnit, cs.StandardUnit}, {},
		{"Price per unit (" + cs.PriceCurrency + ")", cs.Price}, {"Revenue" + cur, cs.Revenue}, {"Margin" + cur, cs.Margin, cs.StandardMargin},
		{"Margin %", cs.MarginPct}, {"Note", cs.MarginNote},
	}
	for i, r := range rows {
		style := 0
		if i == 6 || i == 11 || (len(r) > 0 && r[0] == "Order") {
			style = bold
		}
		if err := put(costSummarySheet, i+1, style, r...); err != nil {
			return err
		}
	}
	n := len(rows) + 2
	if len(cs.Missing) > 0 {
		_ = put(costSummarySheet, n, bold, "Missing rates (costed at 0)")
		for i, m := range cs.Missing {
			_ = put(costSummarySheet, n+1+i, 0, m)
		}
	}
	_ = f.SetColWidth(costSummarySheet, "A", "A", 28)
	_ = f.SetColWidth(costSummarySheet, "B", "D", 18)

	if _, err := f.NewSheet(costVarianceSheet); err != nil {
		return err
	}
	_ = put(costVarianceSheet, 1, bold, "Element", "Cause", "Item", "Amount"+cur)
	for i, v := range cs.Variances {
		_ = put(costVarianceSheet, i+2, 0, v.Element, v.Cause, v.Item, v.Amount)
	}
	r := len(cs.Variances) + 3
	for _, cause := range []string{"price", "quantity", "efficiency", "scrap"} {
		_ = put(costVarianceSheet, r, bold, "Total", cause, "", cs.VarianceByCause[cause])
		r++
	}
	_ = put(costVarianceSheet, r, bold, "Total", "all", "", cs.Variance)
	_ = f.SetColWidth(costVarianceSheet, "A", "D", 16)

	if _, err := f.NewSheet(costMaterialsSheet); err != nil {
		return err
	}
	_ = put(costMaterialsSheet, 1, bold, "Material", "Unit", "Tracked", "Standard cost"+cur, "Standard qty", "Actual qty",
		"Standard"+cur, "Actual"+cur, "Price var.", "Quantity var.", "Scrap var.")
	for i, m := range cs.Materials {
		_ = put(costMaterialsSheet, i+2, 0, m.Material, m.Unit, m.Tracked, m.StdCost, m.StdQty, m.ActualQty, m.Standard, m.Actual, m.Price, m.Quantity, m.Scrap)
	}
	_ = f.SetColWidth(costMaterialsSheet, "A", "K", 14)

	if _, err := f.NewSheet(costOpsSheet); err != nil {
		return err
	}
	_ = put(costOpsSheet, 1, bold, "Work order", "Line", "Good", "Scrap", "Labour (h)", "Std labour (h)", "Machine (h)", "Std machine (h)",
		"Labour"+cur, "Std labour"+cur, "Machine"+cur, "Std machine"+cur)
	for i, o := range cs.Operations {
		_ = put(costOpsSheet, i+2, 0, o.WorkOrder, o.Line, o.Good, o.Scrap, numStr(o.LabourHours), numStr(o.StdLabourHours), numStr(o.MachineHours), numStr(o.StdMachineHours),
			o.Labour, o.StdLabour, o.Machine, o.StdMachine)
	}
	_ = f.SetColWidth(costOpsSheet, "A", "L", 14)
	return f.Write(b)
}
