package purchasing

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	pstore "github.com/linewise/linewise/central/store/purchasing"
)

func (a *api) receive(c echo.Context) error {
	n, err := pathID(c, "number")
	if err != nil {
		return err
	}
	line, err := strconv.Atoi(c.Param("line"))
	if err != nil || line < 1 || line > 10000 {
		return domain.Invalid("line", "must be a line number of the purchase order (1, 2, …)")
	}
	var b pstore.ReceiptRequest
	if err := a.Bind(c, &b); err != nil {
		return err
	}
	if b.Location != "" {
		if err := domain.ValidNumber("location", b.Location); err != nil {
			return err
		}
	}
	rc, err := a.Store.Receive(ctx(c), n, line, b, a.actor(c))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/receipts/"+rc.ID)
	return c.JSON(http.StatusCreated, rc)
}

func (a *api) listReceipts(c echo.Context) error {
	var f pstore.ReceiptFilter
	var err error
	if f.PO, err = code(c, "purchase_order"); err != nil {
		return err
	}
	if f.Supplier, err = code(c, "supplier"); err != nil {
		return err
	}
	if v := c.QueryParam("inspection"); v != "" {
		if _, err := oneOf("inspection", v, []string{"none", "pending", "accept", "accept_with_deviation", "reject"}); err != nil {
			return err
		}
		f.Inspection = v
	}
	rs, err := a.Store.ListReceipts(ctx(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rs)
}

func (a *api) receiptID(c echo.Context) (string, error) {
	v := c.Param("id")
	if domain.TextRule(v, 64) != "" || v == "" {
		return "", domain.Invalid("id", "must be a receipt id")
	}
	return v, nil
}

func (a *api) getReceipt(c echo.Context) error {
	id, err := a.receiptID(c)
	if err != nil {
		return err
	}
	rc, err := a.Store.GetReceipt(ctx(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rc)
}

func (a *api) getInspection(c echo.Context) error {
	id, err := a.receiptID(c)
	if err != nil {
		return err
	}
	in, err := a.Store.GetInspection(ctx(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, in)
}

func (a *api) inspect(c echo.Context) error {
	id, err := a.receiptID(c)
	if err != nil {
		return err
	}
	var b pstore.InspectionRequest
	if err := a.Bind(c, &b); err != nil {
		return err
	}
	if b.To != "" {
		if err := domain.ValidNumber("to", b.To); err != nil {
			return err
		}
	}
	in, err := a.Store.Inspect(ctx(c), id, b, a.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, in)
}

func (a *api) getPlan(c echo.Context) error {
	m, err := pathID(c, "material")
	if err != nil {
		return err
	}
	p, err := a.Store.InspectionPlan(ctx(c), m)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

type planBody struct {
	Required        bool                    `json:"required"`
	SampleSize      int                     `json:"sample_size"`
	Characteristics []domain.Characteristic `json:"characteristics"`
}

func (a *api) putPlan(c echo.Context) error {
	m, err := pathID(c, "material")
	if err != nil {
		return err
	}
	var b planBody
	if err := a.Bind(c, &b); err != nil {
		return err
	}
	p, err := a.Store.PutInspectionPlan(ctx(c), domain.InspectionPlan{Material: m, Required: b.Required, SampleSize: b.SampleSize,
		Characteristics: b.Characteristics}, a.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (a *api) listReturns(c echo.Context) error {
	sp, err := code(c, "supplier")
	if err != nil {
		return err
	}
	st := c.QueryParam("status")
	if st != "" {
		if _, err := oneOf("status", st, []string{"open", "shipped"}); err != nil {
			return err
		}
	}
	rs, err := a.Store.ListReturns(ctx(c), sp, st)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rs)
}
