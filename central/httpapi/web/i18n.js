// i18n.js translates the pages with the catalogue at /i18n/{lang}.json (the
// same one central's Go code uses, central/i18n/catalog). The server puts the
// request's language into <html lang> (?lang=, the user's stored choice,
// a lw_lang cookie, Accept-Language, English). It offers
//   lwI18n.t(key, vars)   the message with {name} variables filled (numbers
//                         formatted for the language); window.t is the same
//   lwI18n.apply(root)    fills data-i18n (text), data-i18n-title,
//                         data-i18n-placeholder and data-i18n-aria-label
//   lwI18n.date/time/dateTime(x)  plant-local (catalogue's time zone)
//   lwI18n.num(n, digits), lwI18n.pct(v, digits), lwI18n.dur(seconds)
//   lwI18n.switcher()     a <select> that changes the language
//   lwI18n.dashboard()    the dashboard settings (attainment colours)
//   lwI18n.ready          a promise, resolved once the catalogue is in;
//                         then the document gets an "lw-i18n" event.
"use strict";
(() => {
  if (window.lwI18n) return;
  const html = document.documentElement;
  const asked = new URLSearchParams(location.search).get("lang");
  let lang = html.lang || "en";
  if (asked && /^(en|zh-CN)$/.test(asked)) lang = asked;
  let messages = {}, tz = "UTC", languages = ["en", "zh-CN"], loaded = false;
  let dashboard = { attainment_good: 95, attainment_warn: 85 };

  const num = (n, digits) => {
    if (n === null || n === undefined || n === "" || isNaN(Number(n))) return "—";
    const o = digits === undefined ? { maximumFractionDigits: 2 } : { minimumFractionDigits: digits, maximumFractionDigits: digits };
    return new Intl.NumberFormat(lang, o).format(Number(n));
  };
  function t(key, vars) {
    let m = messages[key];
    if (m === undefined) return loaded ? key : "";
    if (vars) m = m.replace(/\{(\w+)\}/g, (all, name) => {
      if (!(name in vars)) return all;
      const v = vars[name];
      return typeof v === "number" ? num(v) : String(v);
    });
    return m;
  }
  const pct = (v, digits) => v === null || v === undefined ? "—" : t("unit.pct", { n: num(v, digits === undefined ? 1 : digits) });
  function apply(root) {
    root = root || document;
    root.querySelectorAll("[data-i18n]").forEach(e => { e.textContent = t(e.dataset.i18n); });
    for (const attr of ["title", "placeholder", "aria-label"]) {
      root.querySelectorAll("[data-i18n-" + attr + "]").forEach(e => { e.setAttribute(attr, t(e.getAttribute("data-i18n-" + attr))); });
    }
  }
  // Dates and times in the plant's time zone. English shows ISO dates
  // (2026-12-05) rather than the US month/day/year; Chinese 2026/12/05.
  function parts(x) {
    const d = x instanceof Date ? x : new Date(typeof x === "number" ? x : Date.parse(x));
    if (isNaN(d)) return null;
    const p = {};
    for (const { type, value } of new Intl.DateTimeFormat("en-GB", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", weekday: "short" }).formatToParts(d)) p[type] = value;
    p.d = d;
    return p;
  }
  function date(x) {
    const p = parts(x);
    if (!p) return "";
    return lang === "zh-CN" ? p.year + "/" + p.month + "/" + p.day : p.year + "-" + p.month + "-" + p.day;
  }
  function time(x, seconds) {
    const p = parts(x);
    return p ? p.hour + ":" + p.minute + (seconds ? ":" + p.second : "") : "";
  }
  const dateTime = (x, seconds) => { const d = date(x); return d ? d + " " + time(x, seconds) : ""; };
  // A plant-local wall-clock date ("2026-12-05") of an instant, for inputs.
  function isoDate(x) { const p = parts(x); return p ? p.year + "-" + p.month + "-" + p.day : ""; }
  function dur(s) {
    s = Math.max(0, Math.round(s));
    if (s < 60) return t("dur.s", { s });
    if (s < 3600) return t("dur.m", { m: Math.floor(s / 60) });
    return t("dur.hm", { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
  }
  const ago = iso => iso ? dur((Date.now() - Date.parse(iso)) / 1000) : "";

  async function setLang(l) {
    const me = window.lwSession && window.lwSession.me();
    if (me && me.via === "session") {
      const r = await fetch("/api/v1/me/lang", { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json" }, body: JSON.stringify({ lang: l }) });
      if (!r.ok) return false;
      const u = new URL(location.href);
      u.searchParams.delete("lang");
      location.replace(u.pathname + u.search + u.hash);
      return true;
    }
    // Signed out, a kiosk or a token: the server keeps ?lang= in a cookie.
    const u = new URL(location.href);
    u.searchParams.set("lang", l);
    location.replace(u.pathname + u.search + u.hash);
    return true;
  }
  function switcher() {
    const s = document.createElement("select");
    s.className = "lang-switch";
    s.id = "lang-switch";
    s.setAttribute("aria-label", t("lang.label"));
    for (const l of languages) {
      const o = document.createElement("option");
      o.value = l; o.textContent = t("lang." + l); o.selected = l === lang;
      s.append(o);
    }
    s.onchange = () => setLang(s.value);
    return s;
  }

  const ready = fetch("/i18n/" + encodeURIComponent(lang) + ".json", { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(r => r.ok ? r.json() : Promise.reject(new Error("catalogue " + lang + ": HTTP " + r.status)))
    .then(doc => { messages = doc.messages || {}; tz = doc.timezone || "UTC"; languages = doc.languages || languages; dashboard = doc.dashboard || dashboard; })
    .catch(e => console.error(e))
    .then(() => {
      loaded = true;
      html.lang = lang;
      const run = () => { apply(document); document.dispatchEvent(new CustomEvent("lw-i18n", { detail: lang })); };
      if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run); else run();
      return lang;
    });

  window.lwI18n = { ready, t, apply, lang: () => lang, timezone: () => tz, dashboard: () => dashboard, num, pct, date, time, dateTime, isoDate, dur, ago, setLang, switcher };
  window.t = t;
})();
