// bell.js puts the notification bell into the page header, before the
// signed-in corner (#session): the unread count, and on a click the latest
// notifications (exceptions opened and escalated, approvals waiting,
// reports ready). Clicking one marks it read and opens its link; "Mark all
// read" marks them all. It polls /api/v1/notifications every 5 s while the
// page is visible, and hides itself when nobody (or a kiosk, or a badge)
// is signed in. Texts come from the i18n catalogue (lwI18n).
"use strict";
(() => {
  if (window.lwBell) return;
  const t = (k, v, fallback) => {
    const s = window.lwI18n ? window.lwI18n.t(k, v) : "";
    return s && s !== k ? s : fallback;
  };
  const when = iso => window.lwI18n && window.lwI18n.dateTime ? window.lwI18n.dateTime(iso) : new Date(iso).toLocaleString();
  const css = document.createElement("style");
  css.textContent = `
  #lw-bell[hidden], #lw-bell [hidden] { display:none !important; }
  #lw-bell { position:relative; display:inline-block; margin-right:10px; vertical-align:middle; }
  #lw-bell > button { font:inherit; font-size:15px; line-height:1; padding:3px 9px; border-radius:14px; border:1px solid #30363d; background:#21262d; color:#e6e8eb; cursor:pointer; }
  #lw-bell .count { display:inline-block; min-width:16px; margin-left:4px; padding:1px 5px; border-radius:9px; background:#f85149; color:#fff; font-size:12px; font-weight:600; text-align:center; }
  #lw-bell .panel { position:absolute; right:0; top:calc(100% + 6px); z-index:50; width:min(380px, 92vw); max-height:70vh; overflow:auto; background:#1c2128; color:#e6e8eb; border:1px solid #30363d; border-radius:8px; box-shadow:0 8px 24px #0008; text-align:left; }
  #lw-bell .panel header { display:flex; justify-content:space-between; align-items:center; padding:8px 10px; border-bottom:1px solid #30363d; font-weight:600; font-size:14px; background:none; }
  #lw-bell .panel header button { font:inherit; font-size:12px; padding:2px 8px; border-radius:4px; border:1px solid #30363d; background:#21262d; color:#e6e8eb; cursor:pointer; }
  #lw-bell .item { display:block; width:100%; padding:8px 10px; border:0; border-bottom:1px solid #30363d; border-left:4px solid transparent; background:none; color:inherit; font:inherit; font-size:13px; text-align:left; cursor:pointer; }
  #lw-bell .item.unread { background:#222a33; border-left-color:#d29922; }
  #lw-bell .item.unread.critical { border-left-color:#f85149; }
  #lw-bell .item .when { display:block; color:#8b949e; font-size:12px; margin-top:2px; }
  #lw-bell .empty { padding:12px 10px; color:#8b949e; font-size:13px; }`;
  document.head.append(css);

  const root = document.createElement("span");
  root.id = "lw-bell";
  root.hidden = true;
  const btn = document.createElement("button");
  btn.type = "button";
  btn.setAttribute("aria-haspopup", "true");
  btn.setAttribute("aria-expanded", "false");
  // A bell drawn as SVG: an emoji bell needs a font a wall PC may lack.
  const NS = "http://www.w3.org/2000/svg";
  const icon = document.createElementNS(NS, "svg");
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("width", "15");
  icon.setAttribute("height", "15");
  icon.setAttribute("aria-hidden", "true");
  icon.style.verticalAlign = "-2px";
  const path = document.createElementNS(NS, "path");
  path.setAttribute("fill", "currentColor");
  path.setAttribute("d", "M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2z");
  icon.append(path);
  const count = document.createElement("span");
  count.className = "count";
  count.hidden = true;
  btn.append(icon, count);
  const panel = document.createElement("div");
  panel.className = "panel";
  panel.hidden = true;
  root.append(btn, panel);

  let page = { items: [], unread: 0 };
  let timer = null;

  function mount() {
    if (root.isConnected) return;
    const session = document.getElementById("session");
    if (session && session.parentNode) session.parentNode.insertBefore(root, session);
    else (document.querySelector("header") || document.body).append(root);
  }
  function label() {
    const n = page.unread;
    count.hidden = n === 0;
    count.textContent = n > 99 ? "99+" : String(n);
    const title = t("bell.title", null, "Notifications");
    btn.title = n ? title + " · " + t("bell.unread", { n }, n + " unread") : title;
    btn.setAttribute("aria-label", btn.title);
  }
  // A notice's title in the reader's language: its key with its vars, an
  // exception kind named as the dashboard names it.
  function text(n) {
    if (!n.title_key) return n.title;
    const vars = Object.assign({}, n.vars || {});
    if (vars.kind) {
      const k = "exc.kind." + vars.kind;
      const name = window.lwI18n ? window.lwI18n.t(k) : "";
      if (name && name !== k) vars.kind = name;
    }
    return t(n.title_key, vars, n.title);
  }
  function drawPanel() {
    panel.textContent = "";
    const head = document.createElement("header");
    const h = document.createElement("span");
    h.textContent = t("bell.title", null, "Notifications");
    const all = document.createElement("button");
    all.type = "button";
    all.className = "read-all";
    all.textContent = t("bell.mark_all", null, "Mark all read");
    all.disabled = page.unread === 0;
    all.onclick = async ev => {
      ev.stopPropagation();
      await post("/api/v1/notifications/read-all");
      await load();
    };
    head.append(h, all);
    panel.append(head);
    if (!page.items.length) {
      const e = document.createElement("div");
      e.className = "empty";
      e.textContent = t("bell.empty", null, "Nothing new");
      panel.append(e);
      return;
    }
    for (const n of page.items) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "item" + (n.read_at ? "" : " unread") + (n.severity === "critical" ? " critical" : "");
      b.dataset.id = n.id;
      b.dataset.kind = n.kind;
      b.textContent = text(n);
      if (n.body) b.title = n.body;
      const w = document.createElement("span");
      w.className = "when";
      w.textContent = when(n.at) + (n.line ? " · " + n.line : "");
      b.append(w);
      b.onclick = async ev => {
        ev.stopPropagation();
        if (!n.read_at) await post("/api/v1/notifications/" + encodeURIComponent(n.id) + "/read");
        if (n.link && n.link.startsWith("/") && !n.link.startsWith("//")) { location.href = n.link; return; }
        await load();
      };
      panel.append(b);
    }
  }
  async function post(path) {
    try {
      await fetch(path, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: "{}" });
    } catch (e) { /* offline: the next poll shows the truth */ }
  }
  async function load() {
    let r;
    try {
      r = await fetch("/api/v1/notifications?limit=15", { credentials: "same-origin", headers: { "Accept": "application/json" } });
    } catch (e) { return; }
    if (!r.ok) { root.hidden = true; return; }
    page = await r.json();
    mount();
    root.hidden = false;
    label();
    if (!panel.hidden) drawPanel();
  }
  btn.onclick = ev => {
    ev.stopPropagation();
    panel.hidden = !panel.hidden;
    btn.setAttribute("aria-expanded", String(!panel.hidden));
    if (!panel.hidden) drawPanel();
  };
  document.addEventListener("click", ev => { if (!root.contains(ev.target)) { panel.hidden = true; btn.setAttribute("aria-expanded", "false"); } });
  document.addEventListener("keydown", ev => { if (ev.key === "Escape") panel.hidden = true; });
  function start(me) {
    clearInterval(timer);
    if (!me || me.via === "token" && !me.username || me.station) { root.hidden = true; return; }
    load();
    timer = setInterval(() => { if (!document.hidden) load(); }, 5000);
  }
  document.addEventListener("lw-session", ev => start(ev.detail));
  document.addEventListener("lw-i18n", () => { label(); if (!panel.hidden) drawPanel(); });
  document.addEventListener("visibilitychange", () => { if (!document.hidden && timer) load(); });
  if (window.lwSession && window.lwSession.me()) start(window.lwSession.me());
  window.lwBell = { refresh: load };
})();
