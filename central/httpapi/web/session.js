// session.js draws every page's shared header parts: the navigation (from
// PAGES) into #nav, and into #session who is signed in (or "kiosk"), the
// language switch and sign in/out. It offers lwSession.login(), which sends
// the browser to /login and back here. Texts come from /assets/i18n.js,
// which it loads when the page did not.
"use strict";
(() => {
  // PAGES is the one navigation list. A page adds one entry: path, the
  // catalogue key of its name (central/i18n/catalog/*.json), and the roles
  // that see it (null: every signed-in role). kiosk: true shows it on a wall
  // screen too. Signed out, the entries with roles null show (following one
  // leads through the sign-in page and back).
  const PAGES = [
    { path: "/", key: "nav.lines", roles: null, kiosk: true },
    { path: "/planner", key: "nav.planner", roles: null },
    { path: "/planner/scenarios", key: "nav.scenarios", roles: ["planner", "supervisor", "manager", "admin"] },
    { path: "/orders", key: "nav.orders", roles: ["sales", "planner", "supervisor", "manager", "admin"] },
    { path: "/reviews", key: "nav.reviews", roles: ["supervisor", "planner", "quality", "manager", "sales", "admin"] },
    { path: "/purchasing", key: "nav.purchasing", roles: ["buyer", "manager", "planner", "warehouse", "quality", "admin"] },
    { path: "/reports", key: "nav.reports", roles: ["supervisor", "manager", "planner", "admin"] },
    { path: "/statistics", key: "nav.statistics", roles: ["supervisor", "manager", "planner", "sales", "admin"] },
    { path: "/audit", key: "nav.audit", roles: ["supervisor", "quality", "planner", "admin"] },
    { path: "/quality", key: "nav.quality", roles: ["quality", "supervisor", "planner", "manager", "admin"] },
    { path: "/materials", key: "nav.materials", roles: null },
    { path: "/api/v1/exports/orders.xlsx", key: "nav.orders_xlsx", roles: null },
    { path: "/api/v1/exports/work-orders.xlsx", key: "nav.work_orders_xlsx", roles: null },
    { path: "/api/docs", key: "nav.api", roles: null },
  ];
  const el = document.getElementById("session");
  const style = document.createElement("style");
  style.textContent = "select.lang-switch { font:inherit; font-size:0.8125rem; padding:2px 6px; border-radius:4px; border:1px solid #30363d; background:#21262d; color:#e6e8eb; }" +
    " #nav a[aria-current=page] { color:#e6e8eb; }";
  document.head.append(style);
  const here = () => location.pathname + location.search;
  const login = () => { location.href = "/login?next=" + encodeURIComponent(here()); };
  const kiosk = document.documentElement.dataset.kiosk === "1";
  let me = null;
  const i18n = window.lwI18n ? Promise.resolve() : new Promise(done => {
    const s = document.createElement("script");
    s.src = "/assets/i18n.js";
    s.onload = done; s.onerror = done;
    document.head.append(s);
  });
  const t = (k, v) => window.lwI18n ? window.lwI18n.t(k, v) : k;
  // The notification bell (bell.js) sits in every page header beside this corner.
  if (!window.lwBell && !document.querySelector('script[src="/assets/bell.js"]')) {
    const b = document.createElement("script");
    b.src = "/assets/bell.js";
    document.head.append(b);
  }

  function visible(p) {
    if (kiosk) return !!p.kiosk;
    if (!me) return p.roles === null;
    return p.roles === null || p.roles.includes(me.role);
  }
  function drawNav() {
    const nav = document.getElementById("nav");
    if (!nav) return;
    nav.textContent = "";
    for (const p of PAGES.filter(visible)) {
      const a = document.createElement("a");
      a.href = p.path; a.dataset.i18n = p.key; a.textContent = t(p.key);
      if (p.path === location.pathname) a.setAttribute("aria-current", "page");
      nav.append(a, " ");
    }
  }
  function drawCorner() {
    if (!el) return;
    el.textContent = "";
    const who = document.createElement("span");
    who.className = "who";
    if (me) {
      who.textContent = t("session.signed_in", { name: me.display_name || me.username, role: t("role." + me.role) });
      const out = document.createElement("button");
      out.type = "button"; out.className = "signout"; out.textContent = t("session.sign_out");
      out.onclick = async () => { await fetch("/api/v1/logout", { method: "POST", credentials: "same-origin" }); refresh(); };
      el.append(who, " ", window.lwI18n.switcher(), " ", out);
    } else if (kiosk) {
      who.textContent = t("session.kiosk");
      el.append(who, " ", window.lwI18n.switcher());
    } else {
      const a = document.createElement("a");
      a.className = "signin"; a.textContent = t("session.sign_in");
      a.href = "/login?next=" + encodeURIComponent(here());
      el.append(window.lwI18n.switcher(), " ", a);
    }
  }
  async function refresh() {
    me = null;
    if (!kiosk) {
      try { const r = await fetch("/api/v1/me", { credentials: "same-origin", headers: { "Accept": "application/json" } }); if (r.ok) me = await r.json(); } catch (e) { /* offline: show signed out */ }
    }
    await i18n;
    await window.lwI18n.ready;
    drawNav();
    drawCorner();
    document.dispatchEvent(new CustomEvent("lw-session", { detail: me }));
    return me;
  }
  window.lwSession = { refresh, login, me: () => me, kiosk: () => kiosk, pages: () => PAGES.slice() };
  refresh();
})();
