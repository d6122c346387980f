// Package purchasing is the purchasing part of central's HTTP API (issue
// #13): the supplier file, purchase orders and their document, goods
// receipts, incoming inspection, scorecards and requirements planning. It
// hands its routes to httpapi, which registers them with its access rules,
// authentication and error handler; handlers return domain errors and
// never write a problem themselves. It must not import httpapi.
package purchasing

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	pstore "github.com/linewise/linewise/central/store/purchasing"
)

// Store is what the purchasing API needs (store/purchasing implements it).
type Store interface {
	Rules() domain.PurchasingRules
	ListSuppliers(ctx context.Context, status domain.SupplierStatus) ([]domain.Supplier, error)
	GetSupplier(ctx context.Context, code string) (domain.Supplier, error)
	PutSupplier(ctx context.Context, sp domain.Supplier, actor domain.Actor) (domain.Supplier, bool, error)
	ReplaceSupplierItems(ctx context.Context, supplier string, items []domain.SupplierItem, actor domain.Actor) ([]domain.SupplierItem, error)
	SuppliersOf(ctx context.Context, material string) ([]domain.SupplierItem, error)
	GetPO(ctx context.Context, number string) (domain.PurchaseOrder, error)
	ListPOs(ctx context.Context, f pstore.POFilter) ([]domain.PurchaseOrder, error)
	CreatePO(ctx context.Context, po domain.PurchaseOrder, actor domain.Actor) (domain.PurchaseOrder, error)
	UpdatePO(ctx context.Context, po domain.PurchaseOrder, actor domain.Actor) (domain.PurchaseOrder, error)
	ActPO(ctx context.Context, number string, a domain.POAction, reason string, actor domain.Actor) (domain.PurchaseOrder, error)
	ConfirmDates(ctx context.Context, number string, ds []pstore.LineDate, actor domain.Actor) (domain.PurchaseOrder, error)
	InspectionPlan(ctx context.Context, material string) (domain.InspectionPlan, error)
	PutInspectionPlan(ctx context.Context, p domain.InspectionPlan, actor domain.Actor) (domain.InspectionPlan, error)
	Receive(ctx context.Context, number string, line int, r pstore.ReceiptRequest, actor domain.Actor) (domain.Receipt, error)
	GetReceipt(ctx context.Context, id string) (domain.Receipt, error)
	ListReceipts(ctx context.Context, f pstore.ReceiptFilter) ([]domain.Receipt, error)
	Inspect(ctx context.Context, receiptID string, r pstore.InspectionRequest, actor domain.Actor) (domain.Inspection, error)
	GetInspection(ctx context.Context, receiptID string) (domain.Inspection, error)
	ListReturns(ctx context.Context, supplier, status string) ([]domain.SupplierReturn, error)
	RunMRP(ctx context.Context, actor domain.Actor) ([]domain.Proposal, error)
	ListProposals(ctx context.Context, kind, status string) ([]domain.Proposal, error)
	ConvertRequisitions(ctx context.Context, ids []string, actor domain.Actor) ([]domain.PurchaseOrder, error)
	DismissProposal(ctx context.Context, id, reason string, actor domain.Actor) error
	Scorecards(ctx context.Context, code string, from, to time.Time) ([]pstore.Scorecard, error)
	Trend(ctx context.Context, code string, from, to time.Time) ([]pstore.Scorecard, error)
	SubcontractOps(ctx context.Context, product string) ([]domain.SubcontractOp, error)
	PutSubcontractOp(ctx context.Context, op domain.SubcontractOp, actor domain.Actor) (domain.SubcontractOp, error)
	ListSubcontracts(ctx context.Context, f pstore.SubcontractFilter) ([]domain.Subcontract, error)
	GetSubcontract(ctx context.Context, id string) (domain.Subcontract, error)
	RequestSubcontract(ctx context.Context, r pstore.SubcontractRequest, actor domain.Actor) (domain.Subcontract, error)
	DecideSubcontract(ctx context.Context, id string, approve bool, reason string, actor domain.Actor) (domain.Subcontract, error)
	ShipSubcontract(ctx context.Context, id string, r pstore.ShipRequest, actor domain.Actor) (domain.Subcontract, error)
	ReceiveSubcontract(ctx context.Context, id string, r pstore.ReturnRequest, actor domain.Actor) (domain.Subcontract, error)
	InspectSubcontract(ctx context.Context, id string, r pstore.SubInspection, actor domain.Actor) (domain.Subcontract, error)
}

// Route is one route for httpapi to register (authenticated; Roles empty
// means any signed-in role).
type Route struct {
	Method, Path, Summary string
	Roles                 []domain.Role
	Handler               echo.HandlerFunc
}

// Deps is what the handlers take from httpapi.
type Deps struct {
	Store     Store
	Principal func(c echo.Context) *domain.Principal
	Bind      func(c echo.Context, v any) error
	// Sheet writes an export as csv or xlsx: cells are string, int64,
	// float64 or *time.Time.
	Sheet func(c echo.Context, format, name string, header []string, rows [][]any) error
	// ProductName names a material for documents ("" when unknown).
	ProductName func(ctx context.Context, code string) string
}

type api struct{ Deps }

// Routes lists the purchasing routes.
func Routes(d Deps) []Route {
	a := &api{d}
	get, post, put := http.MethodGet, http.MethodPost, http.MethodPut
	rs := []Route{
		{get, "/api/v1/suppliers", "the supplier file by code; filters status (approved, probation, blocked), material (who may supply it, preferred first)", nil, a.listSuppliers},
		{get, "/api/v1/suppliers/:code", "a supplier with contacts and the materials and services it may supply (lead time, price, currency, validity, MOQ, multiple)", nil, a.getSupplier},
		{put, "/api/v1/suppliers/:code", "create or replace a supplier: name, status (approved, probation, blocked), contacts [{name, role, email, phone}], address, notes (audited)", domain.SupplierKeepers(), a.putSupplier},
		{put, "/api/v1/suppliers/:code/items", "replace what a supplier may supply: [{material, lead_time_days, price, currency, valid_from, valid_to, moq, multiple, preferred}] (audited)", domain.SupplierKeepers(), a.putItems},
		{get, "/api/v1/purchase-orders", "purchase orders with lines; filters status (comma list), supplier, material", nil, a.listPOs},
		{post, "/api/v1/purchase-orders", "create a draft purchase order: number, supplier, lines [{material, quantity, price (empty: the supplier's valid price), due_date, confirmed_date}], notes; the supplier must be approved for each material (audited)", domain.POWriters(), a.createPO},
		{get, "/api/v1/purchase-orders/:number", "a purchase order with its lines, received quantities and total", nil, a.getPO},
		{put, "/api/v1/purchase-orders/:number", "replace a draft purchase order's lines and notes (audited)", domain.POWriters(), a.putPO},
		{post, "/api/v1/purchase-orders/:number/confirm", "record the supplier's confirmed dates: [{line, confirmed_date}] (audited)", domain.POActionRoles(domain.POActSend), a.confirm},
		{get, "/api/v1/purchase-orders/:number/document", "the purchase order as a printable page a supplier can read (HTML, English and Chinese)", nil, a.document},
		{get, "/api/v1/purchase-orders/:number/document.xlsx", "the purchase order as an XLSX document", nil, a.documentXLSX},
		{post, "/api/v1/purchase-orders/:number/lines/:line/receipts", "goods receipt against a purchase order line: quantity, lot (default <po>-<line>-<n>), supplier_lot, expires_at, location (default: quarantine when the material is inspected, else the first warehouse location); up to the ordered quantity plus purchasing.receipt_tolerance_pct; refused on a closed or cancelled line (audited)", domain.Receivers(), a.receive},
		{get, "/api/v1/receipts", "goods receipts, newest first; filters purchase_order, supplier, inspection (none, pending, accept, accept_with_deviation, reject)", nil, a.listReceipts},
		{get, "/api/v1/receipts/:id", "a goods receipt", nil, a.getReceipt},
		{get, "/api/v1/receipts/:id/inspection", "the incoming inspection of a receipt's lot", nil, a.getInspection},
		{post, "/api/v1/receipts/:id/inspection", "incoming inspection (IQC) of a pending receipt: results [{characteristic, values}] per the material's plan (sample size, physical bounds), decision accept | accept_with_deviation | reject, reason, to; accept releases the lot to stock, reject blocks it and opens a return to the supplier (audited)", domain.Inspectors(), a.inspect},
		{get, "/api/v1/inspection-plans/:material", "a material's incoming inspection plan: required, sample_size, characteristics [{name, unit, lower, upper, physical_min, physical_max}]", nil, a.getPlan},
		{put, "/api/v1/inspection-plans/:material", "replace a material's incoming inspection plan (audited)", domain.Inspectors(), a.putPlan},
		{post, "/api/v1/mrp/run", "requirements planning: explode the BOMs of approved, scheduled, released and running orders level by level against usable stock, allocations of other orders, open purchase order lines, safety stock and reorder points; proposes purchase requisitions (preferred supplier, MOQ, multiple, lead time) and production orders for in-house semi-finished products, replacing the last run's open ones (audited)", domain.MRPRoles(), a.runMRP},
		{get, "/api/v1/requisitions", "MRP's proposals by need date; filters kind (purchase, production), status (open, converted, dismissed)", nil, a.listProposals},
		{post, "/api/v1/requisitions/convert", "turn open purchase requisitions {requisitions: [id]} into draft purchase orders, one per supplier, at the supplier's price (audited)", domain.MRPRoles(), a.convert},
		{post, "/api/v1/requisitions/:id/dismiss", "set an open proposal aside with a reason (audited)", domain.MRPRoles(), a.dismiss},
		{get, "/api/v1/scorecards", "every supplier's scorecard over from..to (dates; default the last 365 days): receipts on time %, inspected lots accepted %, price variance paid vs listed", nil, a.scorecards},
		{get, "/api/v1/suppliers/:code/scorecard", "a supplier's scorecard per month over from..to (default the last 12 months): the trend", nil, a.trend},
		{get, "/api/v1/supplier-returns", "returns to suppliers opened by rejected lots; filters supplier, status (open, shipped)", nil, a.listReturns},
	}
	rs = append(rs, a.outsourcingRoutes()...)
	for _, act := range domain.POActions() {
		rs = append(rs, Route{post, "/api/v1/purchase-orders/:number/" + string(act), poActionSummary[act], domain.POActionRoles(act), a.act(act)})
	}
	for _, f := range []string{"csv", "xlsx"} {
		rs = append(rs, Route{get, "/api/v1/exports/scorecards." + f, "supplier scorecards as " + f + ", same period as /api/v1/scorecards", nil, a.exportScorecards(f)})
		rs = append(rs, Route{get, "/api/v1/exports/purchase-orders." + f, "purchase order lines as " + f + ", same filters as /api/v1/purchase-orders", nil, a.exportPOs(f)})
	}
	return rs
}

var poActionSummary = map[domain.POAction]string{
	domain.POActApprove: "approve a draft purchase order within the approver role's limit (purchasing.approval_limits; above it 403 naming the roles that may); body {reason} optional (audited)",
	domain.POActSend:    "mark an approved purchase order sent to the supplier (audited)",
	domain.POActClose:   "close a received or partly received purchase order; open lines are closed short (audited)",
	domain.POActCancel:  "cancel a draft, approved or sent purchase order with nothing received; reason (audited)",
}

func (a *api) actor(c echo.Context) domain.Actor { return a.Principal(c).Actor() }

func ctx(c echo.Context) context.Context { return c.Request().Context() }

// pathID checks a path id so the store is never asked about junk.
func pathID(c echo.Context, name string) (string, error) {
	v := c.Param(name)
	if err := domain.ValidNumber(name, v); err != nil {
		return "", err
	}
	return v, nil
}

// code reads an id-like query parameter ("" when absent).
func code(c echo.Context, name string) (string, error) {
	v := c.QueryParam(name)
	if v == "" {
		return "", nil
	}
	return v, domain.ValidNumber(name, v)
}

func oneOf[T ~string](name, v string, all []T) (T, error) {
	for _, x := range all {
		if string(x) == v {
			return x, nil
		}
	}
	names := make([]string, len(all))
	for i, x := range all {
		names[i] = string(x)
	}
	return "", domain.Invalid(name, "must be one of %s", strings.Join(names, ", "))
}

func units(q domain.Qty) float64 { return float64(q) / domain.QtyScale }
