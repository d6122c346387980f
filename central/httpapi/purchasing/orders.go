package purchasing

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	pstore "github.com/linewise/linewise/central/store/purchasing"
)

func (a *api) listSuppliers(c echo.Context) error {
	if m, err := code(c, "material"); err != nil {
		return err
	} else if m != "" {
		items, err := a.Store.SuppliersOf(ctx(c), m)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, items)
	}
	var st domain.SupplierStatus
	if v := c.QueryParam("status"); v != "" {
		var err error
		if st, err = oneOf("status", v, domain.SupplierStatuses()); err != nil {
			return err
		}
	}
	ss, err := a.Store.ListSuppliers(ctx(c), st)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ss)
}

func (a *api) getSupplier(c echo.Context) error {
	id, err := pathID(c, "code")
	if err != nil {
		return err
	}
	sp, err := a.Store.GetSupplier(ctx(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sp)
}

type supplierBody struct {
	Code     string                `json:"code"`
	Name     string                `json:"name"`
	Status   domain.SupplierStatus `json:"status"`
	Contacts []domain.Contact      `json:"contacts"`
	Address  string                `json:"address"`
	Notes    string                `json:"notes"`
}

func (a *api) putSupplier(c echo.Context) error {
	id, err := pathID(c, "code")
	if err != nil {
		return err
	}
	var b supplierBody
	if err := a.Bind(c, &b); err != nil {
		return err
	}
	if b.Code != "" && b.Code != id {
		return domain.Invalid("code", "must be the path's code %s or left out", id)
	}
	sp, created, err := a.Store.PutSupplier(ctx(c), domain.Supplier{Code: id, Name: b.Name, Status: b.Status, Contacts: b.Contacts,
		Address: b.Address, Notes: b.Notes}, a.actor(c))
	if err != nil {
		return err
	}
	if created {
		c.Response().Header().Set("Location", "/api/v1/suppliers/"+id)
		return c.JSON(http.StatusCreated, sp)
	}
	return c.JSON(http.StatusOK, sp)
}

type itemBody struct {
	Material     string       `json:"material"`
	LeadTimeDays int          `json:"lead_time_days"`
	Price        domain.Money `json:"price"`
	Currency     string       `json:"currency"`
	ValidFrom    string       `json:"valid_from"`
	ValidTo      string       `json:"valid_to"`
	MOQ          domain.Qty   `json:"moq"`
	Multiple     domain.Qty   `json:"multiple"`
	Preferred    bool         `json:"preferred"`
}

func (a *api) putItems(c echo.Context) error {
	id, err := pathID(c, "code")
	if err != nil {
		return err
	}
	bs := []itemBody{}
	if err := a.Bind(c, &bs); err != nil {
		return err
	}
	items := make([]domain.SupplierItem, len(bs))
	for i, b := range bs {
		items[i] = domain.SupplierItem{Supplier: id, Material: b.Material, LeadTimeDays: b.LeadTimeDays, Price: b.Price, Currency: b.Currency,
			ValidFrom: b.ValidFrom, ValidTo: b.ValidTo, MOQ: b.MOQ, Multiple: b.Multiple, Preferred: b.Preferred}
	}
	out, err := a.Store.ReplaceSupplierItems(ctx(c), id, items, a.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func poFilter(c echo.Context) (pstore.POFilter, error) {
	var f pstore.POFilter
	var err error
	if f.Supplier, err = code(c, "supplier"); err != nil {
		return f, err
	}
	if f.Material, err = code(c, "material"); err != nil {
		return f, err
	}
	if v := c.QueryParam("status"); v != "" {
		for _, s := range strings.Split(v, ",") {
			st, err := oneOf("status", s, []domain.POStatus{domain.PODraft, domain.POApproved, domain.POSent, domain.POPartiallyReceived,
				domain.POReceived, domain.POClosed, domain.POCancelled})
			if err != nil {
				return f, err
			}
			f.Status = append(f.Status, st)
		}
	}
	return f, nil
}

func (a *api) listPOs(c echo.Context) error {
	f, err := poFilter(c)
	if err != nil {
		return err
	}
	pos, err := a.Store.ListPOs(ctx(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pos)
}

func (a *api) getPO(c echo.Context) error {
	n, err := pathID(c, "number")
	if err != nil {
		return err
	}
	po, err := a.Store.GetPO(ctx(c), n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, po)
}

type poLineBody struct {
	Material      string       `json:"material"`
	Quantity      domain.Qty   `json:"quantity"`
	Price         domain.Money `json:"price"`
	DueDate       string       `json:"due_date"`
	ConfirmedDate string       `json:"confirmed_date"`
}

type poBody struct {
	Number   string       `json:"number"`
	Supplier string       `json:"supplier"`
	Currency string       `json:"currency"`
	Notes    string       `json:"notes"`
	Lines    []poLineBody `json:"lines"`
}

func (b poBody) order() domain.PurchaseOrder {
	po := domain.PurchaseOrder{Number: b.Number, Supplier: b.Supplier, Currency: b.Currency, Notes: b.Notes}
	for _, l := range b.Lines {
		po.Lines = append(po.Lines, domain.POLine{Material: l.Material, Quantity: l.Quantity, Price: l.Price, DueDate: l.DueDate,
			ConfirmedDate: l.ConfirmedDate})
	}
	return po
}

func (a *api) createPO(c echo.Context) error {
	var b poBody
	if err := a.Bind(c, &b); err != nil {
		return err
	}
	po, err := a.Store.CreatePO(ctx(c), b.order(), a.actor(c))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/purchase-orders/"+po.Number)
	return c.JSON(http.StatusCreated, po)
}

func (a *api) putPO(c echo.Context) error {
	n, err := pathID(c, "number")
	if err != nil {
		return err
	}
	var b poBody
	if err := a.Bind(c, &b); err != nil {
		return err
	}
	if b.Number != "" && b.Number != n {
		return domain.Invalid("number", "must be the path's number %s or left out", n)
	}
	b.Number = n
	po, err := a.Store.UpdatePO(ctx(c), b.order(), a.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, po)
}

type reasonBody struct {
	Reason string `json:"reason"`
}

func (a *api) act(act domain.POAction) echo.HandlerFunc {
	return func(c echo.Context) error {
		n, err := pathID(c, "number")
		if err != nil {
			return err
		}
		var b reasonBody
		if c.Request().ContentLength != 0 {
			if err := a.Bind(c, &b); err != nil {
				return err
			}
		}
		if act == domain.POActCancel && strings.TrimSpace(b.Reason) == "" {
			return domain.Invalid("reason", "is required to cancel a purchase order")
		}
		po, err := a.Store.ActPO(ctx(c), n, act, b.Reason, a.actor(c))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, po)
	}
}

func (a *api) confirm(c echo.Context) error {
	n, err := pathID(c, "number")
	if err != nil {
		return err
	}
	ds := []pstore.LineDate{}
	if err := a.Bind(c, &ds); err != nil {
		return err
	}
	po, err := a.Store.ConfirmDates(ctx(c), n, ds, a.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, po)
}

func (a *api) exportPOs(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		f, err := poFilter(c)
		if err != nil {
			return err
		}
		pos, err := a.Store.ListPOs(ctx(c), f)
		if err != nil {
			return err
		}
		var rows [][]any
		for _, po := range pos {
			for _, l := range po.Lines {
				rows = append(rows, []any{po.Number, po.Supplier, string(po.Status), l.Line, l.Material, units(l.Quantity), l.Unit,
					l.Price.String(), l.Amount.String(), po.Currency, l.DueDate, l.ConfirmedDate, units(l.Received)})
			}
		}
		return a.Sheet(c, format, "purchase orders", []string{"number", "supplier", "status", "line", "material", "quantity", "unit",
			"price", "amount", "currency", "due_date", "confirmed_date", "received"}, rows)
	}
}
