package httpapi_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/linewise/linewise/central/domain"
)

// newOrderDeskEnv is the demo plant with a customer master (ACME grade A,
// 华东制动 grade C) and a sales user "sally" (password sally-password).
func newOrderDeskEnv(t *testing.T) *plannerEnv {
	t.Helper()
	e := newPlannerEnv(t)
	for _, c := range []map[string]string{{"code": "ACME", "name": "Acme Brakes", "grade": "A"}, {"code": "HDZD", "name": "华东制动", "grade": "C"}} {
		if code, body := e.call(t, domain.RolePlanner, http.MethodPost, "/api/v1/customers", c, nil); code != http.StatusCreated {
			t.Fatalf("customer %s: %d %s", c["code"], code, body)
		}
	}
	h, err := domain.HashPassword("sally-password", 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.CreateUser(context.Background(), domain.User{Username: "sally", DisplayName: "Sally Sales", Role: domain.RoleSales, PasswordHash: h},
		domain.Actor{Name: "test", Role: domain.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	return e
}

// setSelect chooses value in a <select> as a person would (a change event).
func setSelect(b *browser, id, value string) {
	b.t.Helper()
	b.waitFor("option "+value+" in #"+id, `(() => { const s = document.getElementById(`+jsString(id)+`);
		if (!s || ![...s.options].some(o => o.value === `+jsString(value)+`)) return false;
		s.value = `+jsString(value)+`; s.dispatchEvent(new Event("change", { bubbles: true })); return true; })()`)
}

// typeInto replaces an input's text by typing (input events, as a person).
func typeInto(b *browser, id, text string) {
	b.t.Helper()
	b.evalString(`(document.getElementById(` + jsString(id) + `).value = "")`)
	b.do("type into #"+id, chromedp.SendKeys(chromedp.ID(id), text))
}

// TestOrderDeskEntryInChromium: a sales user signs in and opens the order
// desk. Typing a quantity of 0 and a due date in the past is marked at the
// field while typing; an order number that exists already is refused by
// the server and its problem+json lands next to the number field; with the
// number fixed the order is entered for the grade-A customer and shows in
// the list. A saved view (drafts only) comes back after a reload. Then the
// same in Chinese, with the date typed as 2030/07/01.
func TestOrderDeskEntryInChromium(t *testing.T) {
	e := newOrderDeskEnv(t)
	b := newBrowser(t, 1400, 1000)
	b.do("sign in", chromedp.Navigate(e.srv.URL+"/login?next=%2Forders"), chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "sally"), chromedp.SendKeys(chromedp.ID("pass"), "sally-password\r"))
	b.waitFor("order desk", `location.pathname === "/orders" && document.documentElement.dataset.ready === "1"`)
	b.waitFor("the demo's orders listed", `document.querySelector('#rows tr[data-number="PO-1004"]') !== null`)
	b.waitFor("nav link", `document.querySelector('#nav a[href="/orders"][aria-current=page]') !== null`)

	setSelect(b, "f-customer", "ACME")
	b.waitFor("customer grade shown", `document.getElementById("e-customer").textContent === "Customer grade A"`)
	setSelect(b, "f-product", "BRK-200")
	b.waitFor("product unit shown", `document.getElementById("f-unit").textContent !== ""`)
	unit := b.text("#f-unit")

	typeInto(b, "f-quantity", "0")
	b.waitFor("quantity refused while typing", `document.getElementById("e-quantity").textContent === "A whole number from 1 to 1,000,000,000."`)
	typeInto(b, "f-due", "2020-01-31")
	b.waitFor("past due refused while typing", `document.getElementById("e-due").textContent === "The due date must not be in the past."`)
	typeInto(b, "f-due", "31.12.2030x")
	b.waitFor("due format named", `document.getElementById("e-due").textContent === "A date as YYYY-MM-DD."`)
	b.do("submit with errors", chromedp.Click(chromedp.ID("create")))
	b.waitFor("form says so", `document.getElementById("form-msg").textContent === "Please correct the marked fields."`)
	if n := b.eval(`document.querySelectorAll('#new [aria-invalid="true"]').length`); n != 2 {
		t.Fatalf("%d fields marked, want quantity and due", n)
	}

	typeInto(b, "f-quantity", "250")
	typeInto(b, "f-due", "2030-06-30")
	typeInto(b, "f-number", "PO-1004")
	typeInto(b, "f-price", "12.5")
	b.waitFor("fields clean", `document.querySelectorAll('#new [aria-invalid="true"]').length === 0`)
	b.do("submit a taken number", chromedp.Click(chromedp.ID("create")))
	b.waitFor("server's refusal at the number", `document.getElementById("e-number").textContent.startsWith("Refused by the server (Conflict):")`)
	if got := b.text("#e-number"); !strings.Contains(got, "PO-1004") {
		t.Errorf("number error reads %q; want the server's detail naming PO-1004", got)
	}
	if got := b.evalString(`document.activeElement.id`); got != "f-number" {
		t.Errorf("focus on %q after the refusal, want f-number", got)
	}
	saveScreenshot(t, b.ctx, "orders-entry-error-en")

	typeInto(b, "f-number", "PO-2001")
	b.do("submit again", chromedp.Click(chromedp.ID("create")))
	b.waitFor("entered", `document.getElementById("form-msg").textContent.includes("Order PO-2001 entered as a draft.")`)
	b.waitFor("in the list", `(() => { const r = document.querySelector('#rows tr[data-number="PO-2001"]'); return !!r && r.textContent.includes("Acme Brakes") && r.querySelector(".grade.A") !== null && r.textContent.includes("2030-06-30") && r.textContent.includes("draft"); })()`)
	var o domain.Order
	if code, body := e.call(t, domain.RolePlanner, http.MethodGet, "/api/v1/orders/PO-2001", nil, &o); code != 200 {
		t.Fatalf("order: %d %s", code, body)
	}
	if o.Customer != "ACME" || o.CustomerGrade != "A" || o.Quantity != 250 || o.Unit != unit || o.ProductCode != "BRK-200" ||
		o.Due == nil || o.Due.UTC().Format("2006-01-02 15:04:05") != "2030-06-30 23:59:59" || o.Price == nil || o.Price.String() != "12.5000" || o.Currency != "CNY" {
		t.Fatalf("stored order %+v (due %v, price %v)", o, o.Due, o.Price)
	}
	saveScreenshot(t, b.ctx, "orders-en")

	// A saved view: drafts only, kept on the server for this user.
	setSelect(b, "fstatus", "draft")
	b.do("show drafts", chromedp.Click(chromedp.CSS(`#filter button[type=submit]`)))
	b.waitFor("drafts only", `document.querySelector('#rows tr[data-number="PO-2001"]') !== null && document.querySelector('#rows tr[data-number="PO-1004"]') === null`)
	typeInto(b, "view-name", "my drafts")
	b.do("save view", chromedp.Click(chromedp.ID("view-save")))
	b.waitFor("saved", `document.getElementById("view").value === "my drafts"`)
	b.do("plain list again", chromedp.Navigate(e.srv.URL+"/orders"))
	b.waitFor("all orders", `document.documentElement.dataset.ready === "1" && document.querySelector('#rows tr[data-number="PO-1004"]') !== null`)
	setSelect(b, "view", "my drafts")
	b.waitFor("view applied", `location.search === "?status=draft" && document.querySelector('#rows tr[data-number="PO-1004"]') === null && document.querySelector('#rows tr[data-number="PO-2001"]') !== null`)

	// 中文: the same form, messages in Chinese, the date typed as 2030/07/01.
	b.do("order desk in zh-CN", chromedp.Navigate(e.srv.URL+"/orders?lang=zh-CN"))
	b.waitFor("zh-CN page", `document.documentElement.dataset.ready === "1" && document.documentElement.lang === "zh-CN"`)
	if h := b.text("#entry h2"); h != "新建订单" {
		t.Errorf("entry heading %q", h)
	}
	setSelect(b, "f-customer", "HDZD")
	b.waitFor("grade in Chinese", `document.getElementById("e-customer").textContent === "客户等级 C"`)
	setSelect(b, "f-product", "BRK-100")
	typeInto(b, "f-quantity", "12.5")
	b.waitFor("quantity refused in Chinese", `document.getElementById("e-quantity").textContent === "请输入 1 到 1,000,000,000 之间的整数。"`)
	typeInto(b, "f-due", "2030-7-1x")
	b.waitFor("format in Chinese", `document.getElementById("e-due").textContent === "请按 YYYY/MM/DD 格式输入日期。"`)
	if ph := b.evalString(`document.getElementById("f-due").placeholder`); ph != "YYYY/MM/DD" {
		t.Errorf("due placeholder %q", ph)
	}
	saveScreenshot(t, b.ctx, "orders-entry-error-zh-CN")
	typeInto(b, "f-quantity", "40")
	typeInto(b, "f-due", "2030/07/01")
	b.do("submit in zh-CN", chromedp.Click(chromedp.ID("create")))
	b.waitFor("entered in Chinese", `/订单 PO-\d+ 已录入为草稿。/.test(document.getElementById("form-msg").textContent)`)
	num := strings.Fields(strings.TrimPrefix(b.text("#form-msg"), "订单 "))[0]
	b.waitFor("row in Chinese", `(() => { const r = document.querySelector('#rows tr[data-number=`+strconv.Quote(num)+`]'); return !!r && r.textContent.includes("华东制动") && r.textContent.includes("2030/07/01") && r.textContent.includes("草稿"); })()`)
	saveScreenshot(t, b.ctx, "orders-zh-CN")
}

// writeXLSX writes a workbook whose first sheet holds rows, for upload.
func writeXLSX(t *testing.T, rows [][]any) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "orders.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestOrderDeskImportXLSXInChromium: a sales user chooses an Excel file of
// three orders whose second row has a word for its quantity. The page
// shows the check before anything is written: 2 of 3 rows fine, row 3's
// quantity and why, no "import" button, and the database has none of the
// three. Fixing the file and choosing it again offers "Import 3 orders",
// which enters all three. In Chinese, a file with Chinese headers and an
// unknown customer in one row: the bad row is skipped on request and the
// good one entered.
func TestOrderDeskImportXLSXInChromium(t *testing.T) {
	e := newOrderDeskEnv(t)
	b := newBrowser(t, 1400, 1100)
	b.do("sign in", chromedp.Navigate(e.srv.URL+"/login?next=%2Forders"), chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "sally"), chromedp.SendKeys(chromedp.ID("pass"), "sally-password\r"))
	b.waitFor("order desk", `location.pathname === "/orders" && document.documentElement.dataset.ready === "1"`)
	exists := func(number string) bool {
		t.Helper()
		code, _ := e.call(t, domain.RolePlanner, http.MethodGet, "/api/v1/orders/"+number, nil, nil)
		return code == http.StatusOK
	}

	head := []any{"product", "quantity", "due", "customer", "number"}
	bad := writeXLSX(t, [][]any{head,
		{"BRK-100", 100, "2030-08-01", "ACME", "IMP-10"},
		{"BRK-200", "lots", "2030-08-02", "ACME", "IMP-11"},
		{"BRK-100", 50, "2030-08-03", "HDZD", "IMP-12"}})
	b.do("choose the file", chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{bad}))
	b.waitFor("checked", `document.getElementById("import-msg").textContent === "2 of 3 rows are fine; nothing has been written yet. Rows with errors: 1. Fix the file and choose it again, or skip them."`)
	b.waitFor("row 3 named", `(() => { const r = document.querySelector('#import-errors tr[data-row="3"]'); return !!r && !document.getElementById("import-errors").hidden && r.textContent === "3Quantity\"lots\" is not a whole number"; })()`)
	b.waitFor("good rows previewed", `document.querySelectorAll("#import-good tbody tr").length === 2 && document.querySelector('#import-good tr[data-row="4"]').textContent.includes("华东制动")`)
	if b.eval(`document.getElementById("import-all").hidden ? 1 : 0`) != 1 || b.eval(`document.getElementById("import-skip").hidden ? 1 : 0`) != 0 {
		t.Fatal(`with a bad row the page offers "import all" or hides "skip"`)
	}
	b.evalString(`document.getElementById("import").scrollIntoView(), ""`)
	saveScreenshot(t, b.ctx, "orders-import-en")
	for _, n := range []string{"IMP-10", "IMP-11", "IMP-12"} {
		if exists(n) {
			t.Fatalf("%s was written by the check", n)
		}
	}

	good := writeXLSX(t, [][]any{head,
		{"BRK-100", 100, "2030-08-01", "ACME", "IMP-10"},
		{"BRK-200", 120, "2030-08-02", "ACME", "IMP-11"},
		{"BRK-100", 50, "2030-08-03", "HDZD", "IMP-12"}})
	b.do("choose the fixed file", chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{good}))
	b.waitFor("all fine", `document.getElementById("import-msg").textContent === "3 of 3 rows are fine; nothing has been written yet." && document.getElementById("import-errors").hidden`)
	b.waitFor("import offered", `!document.getElementById("import-all").hidden && document.getElementById("import-all").textContent === "Import 3 orders"`)
	if exists("IMP-10") {
		t.Fatal("IMP-10 written before the import was asked for")
	}
	b.do("import", chromedp.Click(chromedp.ID("import-all")))
	b.waitFor("imported", `document.getElementById("import-msg").textContent === "3 orders entered as drafts: IMP-10, IMP-11, IMP-12"`)
	b.waitFor("listed", `["IMP-10", "IMP-11", "IMP-12"].every(n => document.querySelector('#rows tr[data-number="' + n + '"]') !== null)`)
	for _, n := range []string{"IMP-10", "IMP-11", "IMP-12"} {
		if !exists(n) {
			t.Fatalf("%s was not written", n)
		}
	}

	// 中文: Chinese headers, one row for a customer nobody knows; skip it.
	b.do("order desk in zh-CN", chromedp.Navigate(e.srv.URL+"/orders?lang=zh-CN"))
	b.waitFor("zh-CN page", `document.documentElement.dataset.ready === "1" && document.documentElement.lang === "zh-CN"`)
	zh := writeXLSX(t, [][]any{{"产品", "数量", "交期", "客户", "订单号"},
		{"BRK-200", 80, "2030/09/01", "无名", "IMP-20"},
		{"BRK-200", 90, "2030/09/02", "HDZD", "IMP-21"}})
	b.do("choose the Chinese file", chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{zh}))
	b.waitFor("checked in Chinese", `document.getElementById("import-msg").textContent === "2 行中 1 行无误；尚未写入任何数据。 有错误的行：1。请修改文件后重新选择，或跳过这些行。"`)
	b.waitFor("customer column named", `(() => { const r = document.querySelector('#import-errors tr[data-row="2"]'); return !!r && r.children[1].textContent === "客户"; })()`)
	b.waitFor("skip offered", `document.getElementById("import-skip").textContent === "跳过 1 个错误行，导入 1 个"`)
	b.evalString(`document.getElementById("import").scrollIntoView(), ""`)
	saveScreenshot(t, b.ctx, "orders-import-zh-CN")
	if exists("IMP-21") {
		t.Fatal("IMP-21 written by the check")
	}
	b.do("skip and import", chromedp.Click(chromedp.ID("import-skip")))
	b.waitFor("imported in Chinese", `document.getElementById("import-msg").textContent === "已录入 1 个草稿订单：IMP-21"`)
	if !exists("IMP-21") || exists("IMP-20") {
		t.Fatal("skipping wrote the wrong rows")
	}
}
