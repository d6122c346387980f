// session.js draws the "signed in as … / sign out" corner into #session and
// offers lwSession.login(), which sends the browser to /login and back here.
"use strict";
(() => {
  const el = document.getElementById("session");
  const here = () => location.pathname + location.search;
  const login = () => { location.href = "/login?next=" + encodeURIComponent(here()); };
  let me = null;
  async function refresh() {
    me = null;
    try { const r = await fetch("/api/v1/me", { credentials: "same-origin", headers: { "Accept": "application/json" } }); if (r.ok) me = await r.json(); } catch (e) { /* offline: show signed out */ }
    if (el) {
      el.textContent = "";
      if (me) {
        const who = document.createElement("span");
        who.className = "who";
        who.textContent = "signed in as " + (me.display_name || me.username) + " (" + me.role + ")";
        const out = document.createElement("button");
        out.type = "button"; out.className = "signout"; out.textContent = "Sign out";
        out.onclick = async () => { await fetch("/api/v1/logout", { method: "POST", credentials: "same-origin" }); refresh(); };
        el.append(who, " ", out);
      } else {
        const a = document.createElement("a");
        a.className = "signin"; a.textContent = "Sign in";
        a.href = "/login?next=" + encodeURIComponent(here());
        el.append(a);
      }
    }
    document.dispatchEvent(new CustomEvent("lw-session", { detail: me }));
    return me;
  }
  window.lwSession = { refresh, login, me: () => me };
  refresh();
})();
