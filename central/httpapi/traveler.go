package httpapi

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

var travelerTmpl = template.Must(template.New("traveler.html").Funcs(template.FuncMap{
	"when": func(t *time.Time) string {
		if t == nil {
			return "–"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
}).ParseFS(pagesFS, "web/traveler.html"))

type travelerView struct {
	WorkOrder domain.WorkOrder
	Order     domain.Order
	Routing   []domain.RoutingOp
	Barcode   template.HTML // SVG we generated from a validated id
	QR        template.HTML // SVG of the same value as a QR code
	Printed   string
}

// traveler serves the printable job sheet that goes with the parts; its
// barcode is what the operator scans at the station.
func (s *Server) traveler(c echo.Context) error {
	ctx := c.Request().Context()
	id := c.Param("id")
	w, err := s.opts.Store.GetWorkOrder(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return &Problem{Status: http.StatusNotFound, Field: "id", Detail: "work order " + id + " does not exist"}
	}
	if err != nil {
		return err
	}
	rec, err := s.opts.Store.GetOrderRecord(ctx, w.OrderNumber)
	if err != nil {
		return err
	}
	svg, err := Code128SVG(w.Barcode, 2, 80)
	if err != nil {
		return &Problem{Status: http.StatusConflict, Field: "barcode", Detail: "barcode " + w.Barcode + " cannot be printed as Code 128"}
	}
	qr, err := QRSVG(w.Barcode, 4)
	if err != nil {
		return &Problem{Status: http.StatusConflict, Field: "barcode", Detail: "barcode " + w.Barcode + " cannot be printed as a QR code"}
	}
	var b bytes.Buffer
	// Both SVGs are built here from rects and an XML-escaped label, so they are safe as HTML.
	v := travelerView{WorkOrder: w, Order: rec.Order, Routing: rec.Routing, Barcode: template.HTML(svg), QR: template.HTML(qr), Printed: s.opts.Now().UTC().Format("2006-01-02 15:04 UTC")}
	if err := travelerTmpl.Execute(&b, v); err != nil {
		return err
	}
	return htmlPage(c, b.Bytes())
}
