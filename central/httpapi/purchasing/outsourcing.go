package purchasing

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	pstore "github.com/linewise/linewise/central/store/purchasing"
)

// outsourcingRoutes are the routes of outsourcing (外协).
func (a *api) outsourcingRoutes() []Route {
	get, post, put := http.MethodGet, http.MethodPost, http.MethodPut
	return []Route{
		{get, "/api/v1/subcontract-ops/:product", "a product's subcontracted routing operations: [{seq, mode (always, per_order), supplier}]", nil, a.listSubOps},
		{put, "/api/v1/subcontract-ops/:product/:seq", "mark a routing operation subcontracted: mode always | per_order, supplier (its default subcontractor; approved for the product) (audited)", domain.SubcontractRequesters(), a.putSubOp},
		{get, "/api/v1/subcontracts", "outsourced operations, newest first, with sent / at supplier / received / inspected parts; filters status, work_order, supplier", nil, a.listSubs},
		{get, "/api/v1/subcontracts/:id", "an outsourced operation with the lots sent and returned", nil, a.getSub},
		{post, "/api/v1/subcontracts", "ask for a work order's operation to be outsourced: work_order, supplier (default: the routing operation's), quantity (default: what is left), reason; waits for management's approval (audited)", domain.SubcontractRequesters(), a.requestSub},
		{post, "/api/v1/subcontracts/:id/approve", "management approves outsourcing (never the requester): writes the subcontract purchase order, approved within the approver's limit; body {reason} optional (audited)", domain.SubcontractApprovers(), a.decideSub(true)},
		{post, "/api/v1/subcontracts/:id/reject", "management refuses outsourcing: reason (audited)", domain.SubcontractApprovers(), a.decideSub(false)},
		{post, "/api/v1/subcontracts/:id/ship", "send components to the supplier's stock location (SUB-<supplier>, made on first use) for quantity parts: lots [{lot, from, quantity}]; refused before approval (audited)", domain.Receivers(), a.shipSub},
		{post, "/api/v1/subcontracts/:id/receive", "parts back from the supplier: quantity (at most what is at the supplier), lot (default <work order>-R<n>); the components there are issued to the work order, the parts come in as its lot into quarantine (audited)", domain.Receivers(), a.receiveSub},
		{get, "/api/v1/exports/subcontracts.csv", "outsourced operations as csv (the board)", nil, a.exportSubs("csv")},
		{get, "/api/v1/exports/subcontracts.xlsx", "outsourced operations as xlsx (the board)", nil, a.exportSubs("xlsx")},
		{post, "/api/v1/subcontracts/:id/inspect", "inspect a lot back from the supplier: lot, decision accept | accept_with_deviation | reject, reason; accepted goes to the next operation's line side, rejected is blocked (audited)", domain.Inspectors(), a.inspectSub},
	}
}

func (a *api) exportSubs(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		out, err := a.Store.ListSubcontracts(ctx(c), pstore.SubcontractFilter{})
		if err != nil {
			return err
		}
		rows := make([][]any, len(out))
		for i, sc := range out {
			expected := ""
			if sc.ExpectedAt != nil {
				expected = sc.ExpectedAt.UTC().Format("2006-01-02")
			}
			rows[i] = []any{sc.ID, sc.WorkOrder, sc.Order, int64(sc.OperationSeq), sc.Supplier, string(sc.Status), sc.Quantity, sc.Sent, sc.AtSupplier,
				sc.Received, sc.Inspected, sc.Accepted, expected, sc.PO, sc.RequestedBy, sc.ApprovedBy}
		}
		return a.Sheet(c, format, "outsourcing", []string{"id", "work_order", "order", "operation", "supplier", "status", "quantity", "sent",
			"at_supplier", "received", "inspected", "accepted", "due_back", "purchase_order", "requested_by", "approved_by"}, rows)
	}
}

func (a *api) listSubOps(c echo.Context) error {
	p, err := pathID(c, "product")
	if err != nil {
		return err
	}
	ops, err := a.Store.SubcontractOps(ctx(c), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ops)
}

type subOpBody struct {
	Mode     domain.SubcontractMode `json:"mode"`
	Supplier string                 `json:"supplier"`
}

func (a *api) putSubOp(c echo.Context) error {
	p, err := pathID(c, "product")
	if err != nil {
		return err
	}
	seq, err := strconv.Atoi(c.Param("seq"))
	if err != nil || seq < 1 || seq > 100000 {
		return domain.Invalid("seq", "must be a routing operation's sequence number")
	}
	var b subOpBody
	if err := a.Bind(c, &b); err != nil {
		return err
	}
	if b.Supplier != "" {
		if err := domain.ValidNumber("supplier", b.Supplier); err != nil {
			return err
		}
	}
	op, err := a.Store.PutSubcontractOp(ctx(c), domain.SubcontractOp{Product: p, Seq: seq, Mode: b.Mode, Supplier: b.Supplier}, a.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, op)
}

func (a *api) listSubs(c echo.Context) error {
	var f pstore.SubcontractFilter
	var err error
	if v := c.QueryParam("status"); v != "" {
		if f.Status, err = oneOf("status", v, domain.SubcontractStatuses()); err != nil {
			return err
		}
	}
	if f.WorkOrder, err = code(c, "work_order"); err != nil {
		return err
	}
	if f.Supplier, err = code(c, "supplier"); err != nil {
		return err
	}
	out, err := a.Store.ListSubcontracts(ctx(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (a *api) getSub(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	sc, err := a.Store.GetSubcontract(ctx(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sc)
}

func (a *api) requestSub(c echo.Context) error {
	var b pstore.SubcontractRequest
	if err := a.Bind(c, &b); err != nil {
		return err
	}
	sc, err := a.Store.RequestSubcontract(ctx(c), b, a.actor(c))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/subcontracts/"+sc.ID)
	return c.JSON(http.StatusCreated, sc)
}

func (a *api) decideSub(approve bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		var b reasonBody
		if c.Request().ContentLength != 0 {
			if err := a.Bind(c, &b); err != nil {
				return err
			}
		}
		sc, err := a.Store.DecideSubcontract(ctx(c), id, approve, b.Reason, a.actor(c))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, sc)
	}
}

func (a *api) shipSub(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var b pstore.ShipRequest
	if err := a.Bind(c, &b); err != nil {
		return err
	}
	sc, err := a.Store.ShipSubcontract(ctx(c), id, b, a.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sc)
}

func (a *api) receiveSub(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var b pstore.ReturnRequest
	if err := a.Bind(c, &b); err != nil {
		return err
	}
	sc, err := a.Store.ReceiveSubcontract(ctx(c), id, b, a.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sc)
}

func (a *api) inspectSub(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var b pstore.SubInspection
	if err := a.Bind(c, &b); err != nil {
		return err
	}
	sc, err := a.Store.InspectSubcontract(ctx(c), id, b, a.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sc)
}
