package httpapi_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestAPIDocsPageInChromium: the API reference reached from the nav's
// "API" link lists the routes from /api/openapi.json; searching narrows
// them; an operation opens to who may call it and its request body's
// fields with their types (POST /api/v1/orders: quantity is an integer,
// price a string, planner, sales and admin may call it); a route that
// reads no body says so. Then in Chinese.
func TestAPIDocsPageInChromium(t *testing.T) {
	e := newOrderDeskEnv(t)
	b := newBrowser(t, 1300, 1000)
	b.do("sign in", chromedp.Navigate(e.srv.URL+"/login?next=%2Forders"), chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "sally"), chromedp.SendKeys(chromedp.ID("pass"), "sally-password\r"))
	b.waitFor("order desk", `location.pathname === "/orders" && document.documentElement.dataset.ready === "1"`)
	clickIn(b, "API in the nav", `#nav a[href="/api/docs"]`)
	b.waitFor("reference", `location.pathname === "/api/docs" && document.documentElement.dataset.ready === "1" && document.querySelectorAll("#ops details").length > 100`)
	typeInto(b, "q", "post /api/v1/orders")
	b.waitFor("narrowed", `document.querySelector('#ops details[data-op="POST /api/v1/orders"]') !== null && document.querySelector('#ops details[data-op="GET /api/v1/orders"]') === null`)
	clickIn(b, "open POST /api/v1/orders", `#ops details[data-op="POST /api/v1/orders"] summary`)
	const op = `document.querySelector('#ops details[data-op="POST /api/v1/orders"]')`
	b.waitFor("body fields", op+`.querySelector('tr[data-field="quantity"] td.type') !== null && `+op+`.querySelector('tr[data-field="quantity"] td.type').textContent === "integer" && `+op+`.querySelector('tr[data-field="price"] td.type').textContent.startsWith("string")`)
	if who := b.evalString(op + `.querySelector(".body div").textContent`); who != "planner, sales, admin" {
		t.Errorf("who may create an order: %q", who)
	}
	saveScreenshot(t, b.ctx, "api-docs-en")
	typeInto(b, "q", "delete orders")
	clickIn(b, "open DELETE", `#ops details[data-op="DELETE /api/v1/orders/{number}"] summary`)
	b.waitFor("no body", `document.querySelector('#ops details[data-op="DELETE /api/v1/orders/{number}"]').textContent.includes("No request body")`)

	b.do("in Chinese", chromedp.Navigate(e.srv.URL+"/api/docs?lang=zh-CN&q=orders+import"))
	b.waitFor("zh-CN reference", `document.documentElement.dataset.ready === "1" && document.querySelector("h1").textContent.includes("API 参考")`)
	clickIn(b, "open the import", `#ops details[data-op="POST /api/v1/orders/import"] summary`)
	b.waitFor("Chinese headings", `document.querySelector('#ops details[data-op="POST /api/v1/orders/import"]').textContent.includes("调用权限") && document.querySelector('#ops details[data-op="POST /api/v1/orders/import"]').textContent.includes("销售")`)
	saveScreenshot(t, b.ctx, "api-docs-zh-CN")
}
