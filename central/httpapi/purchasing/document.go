package purchasing

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

//go:embed web/po.html
var webFS embed.FS

var poTmpl = template.Must(template.New("po.html").Funcs(template.FuncMap{
	"when": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format("2006-01-02")
	},
}).ParseFS(webFS, "web/po.html"))

type docLine struct {
	domain.POLine
	Name string
}

type docView struct {
	PO       domain.PurchaseOrder
	Supplier domain.Supplier
	Lines    []docLine
	Date     string
}

func (a *api) docView(c echo.Context) (docView, error) {
	n, err := pathID(c, "number")
	if err != nil {
		return docView{}, err
	}
	po, err := a.Store.GetPO(ctx(c), n)
	if err != nil {
		return docView{}, err
	}
	sp, err := a.Store.GetSupplier(ctx(c), po.Supplier)
	if err != nil {
		return docView{}, err
	}
	v := docView{PO: po, Supplier: sp, Date: po.CreatedAt.UTC().Format(time.DateOnly)}
	if po.SentAt != nil {
		v.Date = po.SentAt.UTC().Format(time.DateOnly)
	}
	for _, l := range po.Lines {
		v.Lines = append(v.Lines, docLine{POLine: l, Name: a.materialName(c, l.Material)})
	}
	return v, nil
}

func (a *api) materialName(c echo.Context, code string) string {
	if a.ProductName == nil {
		return ""
	}
	return a.ProductName(ctx(c), code)
}

// document is the purchase order as a page a supplier reads and the
// buyer prints: every label in English and Chinese, since the document
// leaves the plant.
func (a *api) document(c echo.Context) error {
	v, err := a.docView(c)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := poTmpl.Execute(&b, v); err != nil {
		return err
	}
	return c.HTMLBlob(http.StatusOK, b.Bytes())
}

func (a *api) documentXLSX(c echo.Context) error {
	v, err := a.docView(c)
	if err != nil {
		return err
	}
	po := v.PO
	rows := [][]any{
		{"Supplier 供应商", v.Supplier.Name + " (" + v.Supplier.Code + ")"},
		{"Status 状态", string(po.Status)},
		{"Date 日期", v.Date},
		{"Currency 币种", po.Currency},
		{"Total 合计", po.Total.String()},
		{},
		{"Line 行", "Material 物料", "Description 名称", "Quantity 数量", "Unit 单位", "Unit price 单价", "Amount 金额", "Due 要求交期", "Confirmed 确认交期"},
	}
	for _, l := range v.Lines {
		rows = append(rows, []any{int64(l.Line), l.Material, l.Name, units(l.Quantity), l.Unit, l.Price.String(), l.Amount.String(), l.DueDate, l.ConfirmedDate})
	}
	for i := range rows {
		for len(rows[i]) < 9 {
			rows[i] = append(rows[i], "")
		}
	}
	return a.Sheet(c, "xlsx", "purchase order "+po.Number, []string{"Purchase order 采购订单", po.Number, "", "", "", "", "", "", ""}, rows)
}
