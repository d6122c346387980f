// orderdesk.js holds what the order desk's pages (/orders, /orders/{number})
// share: order statuses and priorities by name, dates typed in the locale's
// format (en 2026-12-05, zh-CN 2026/12/05) and turned into plant-local
// instants, and the entry form's rules, which say in the reader's language
// what the API would refuse (central/domain: ValidateNewOrder, checkPrice).
// It needs /assets/i18n.js (window.lwI18n) loaded first.
"use strict";
(() => {
  const I = window.lwI18n;
  const t = (k, v) => I.t(k, v);
  const STATUSES = ["draft", "under_review", "approved", "rejected", "scheduled", "released", "in_progress", "paused", "completed", "closed", "cancelled"];
  const OPEN = ["draft", "under_review", "approved", "rejected", "scheduled", "released", "in_progress", "paused"];
  const statusName = s => { const k = "orders.status." + s, m = t(k); return m === k || m === "" ? s : m; };
  const priorityName = n => n >= 7 ? t("orders.priority.urgent", { n }) : n === 0 ? t("orders.priority.normal", { n }) : String(n);
  const dateFormat = () => t("orders.date_format");

  // parseDate reads a date typed as YYYY-MM-DD or YYYY/MM/DD (or with dots)
  // and returns it as "YYYY-MM-DD", or "" when it is no real date.
  function parseDate(s) {
    const m = /^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*$/.exec(s || "");
    if (!m) return "";
    const y = +m[1], mo = +m[2], d = +m[3];
    const dt = new Date(Date.UTC(y, mo - 1, d));
    if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d || y < 1970) return "";
    return m[1] + "-" + String(mo).padStart(2, "0") + "-" + String(d).padStart(2, "0");
  }
  // showDate writes "YYYY-MM-DD" in the locale's format.
  const showDate = iso => I.lang() === "zh-CN" ? iso.replace(/-/g, "/") : iso;
  // The instant of a plant-local wall-clock time (the catalogue's time zone).
  function plantInstant(y, mo, d, h, mi, s) {
    const want = Date.UTC(y, mo - 1, d, h, mi, s);
    const f = new Intl.DateTimeFormat("en-GB", { timeZone: I.timezone(), year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
    let guess = want;
    for (let i = 0; i < 3; i++) {
      const p = {};
      for (const { type, value } of f.formatToParts(new Date(guess))) p[type] = +value;
      const seen = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
      if (seen === want) break;
      guess += want - seen;
    }
    return new Date(guess);
  }
  // A due date means "by the end of that plant day"; a filter's from is the
  // day's start and its to the day's end.
  function plantDayBoundary(iso, end) {
    const [y, mo, d] = iso.split("-").map(Number);
    return (end ? plantInstant(y, mo, d, 23, 59, 59) : plantInstant(y, mo, d, 0, 0, 0)).toISOString();
  }
  const today = () => I.isoDate(new Date());

  // checkOrderField says what is wrong with a field of the entry form, in
  // the reader's language, or "".
  function checkOrderField(f, v, ctx) {
    switch (f) {
    case "product":
      if (!v) return t("orders.err.required");
      if (ctx && ctx.products && !ctx.products.some(p => p.code === v)) return t("orders.err.product_unknown");
      return "";
    case "quantity":
      if (!v) return t("orders.err.required");
      if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 1e9) return t("orders.err.quantity");
      return "";
    case "due": {
      if (!v) return t("orders.err.required");
      const iso = parseDate(v);
      if (!iso) return t("orders.err.due_format", { format: dateFormat() });
      if (iso < today()) return t("orders.err.due_past");
      return "";
    }
    case "priority":
      return /^[0-9]$/.test(v) ? "" : t("orders.err.priority");
    case "number":
      return !v || /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/.test(v) ? "" : t("orders.err.number");
    case "price":
      return !v || /^\d{1,12}(\.\d{1,4})?$/.test(v) ? "" : t("orders.err.price");
    case "currency":
      return /^[A-Z]{3}$/.test(v) ? "" : t("orders.err.currency");
    case "customer_ref":
      return v.length <= 100 ? "" : t("orders.err.too_long", { n: 100 });
    }
    return "";
  }
  // orderBody is POST /api/v1/orders's body from the form's values.
  function orderBody(get, products) {
    const b = { product: get("product"), quantity: Number(get("quantity")), priority: Number(get("priority") || 0) };
    const p = (products || []).find(p => p.code === b.product);
    if (p && p.unit) b.unit = p.unit;
    if (get("customer")) b.customer = get("customer");
    if (get("number")) b.number = get("number");
    if (get("customer_ref")) b.customer_ref = get("customer_ref");
    // A special order's review starts with technical coordination.
    if (get("order_type") && get("order_type") !== "standard") b.order_type = get("order_type");
    const due = parseDate(get("due"));
    if (due) b.due = plantDayBoundary(due, true);
    if (get("price")) { b.price = get("price"); b.currency = get("currency"); }
    return b;
  }

  window.lwDesk = { STATUSES, OPEN, statusName, priorityName, dateFormat, parseDate, showDate, plantDayBoundary, today, checkOrderField, orderBody };
})();
