// egovnet UI: router, sign-in and language switch. Pages live in
// progress.js, findings.js, inventory.js, software.js, map.js and admin.js; they read
// only the CONTRACT's JSON API, so every number shown is one a script could
// fetch too.
(function () {
  "use strict";
  var E = window.EGOV, t = E.t, el = E.el;
  var NAV = [["dashboard", null], ["violations", null], ["devices", null], ["endpoints", null], ["topology", null],
    ["software", null], ["agents", null], ["reports", null], ["agentconfig", "agentconfig"], ["users", "users"], ["audit", "audit"]];

  function applyStatic() {
    document.documentElement.lang = E.lang;
    document.querySelectorAll("[data-i18n]").forEach(function (n) { n.textContent = t(n.getAttribute("data-i18n")); });
    document.getElementById("lang").textContent = E.lang === "en" ? "中文" : "English";
    document.title = "egovnet · " + t("app.title");
  }
  function buildNav() {
    var nav = document.getElementById("nav");
    nav.textContent = "";
    NAV.forEach(function (n) {
      if (n[1] && !E.can(n[1])) return;
      nav.appendChild(el("a", { href: "#" + n[0], "data-page": n[0], text: t("nav." + n[0]) }));
    });
  }
  function view() { return document.getElementById("view"); }
  function setView(nodes) {
    E.disposeCharts();
    var v = view();
    v.textContent = "";
    nodes.forEach(function (n) { if (n) v.appendChild(n); });
  }
  function parseHash() {
    var h = (location.hash || "#dashboard").slice(1);
    var q = {};
    var i = h.indexOf("?");
    if (i >= 0) { new URLSearchParams(h.slice(i + 1)).forEach(function (v, k) { q[k] = v; }); h = h.slice(0, i); }
    var parts = h.split("/").map(decodeURIComponent);
    return { name: parts[0] || "dashboard", args: parts.slice(1), q: q };
  }
  var seq = 0;
  function route() {
    var r = parseHash();
    if (r.name === "overview" || r.name === "progress") r.name = "dashboard";
    if (!E.pages[r.name]) r.name = "dashboard";
    if (r.name === "dashboard" && E.role() === "dept-admin" && E.me.department) { r.name = "dept"; r.args = [E.me.department]; }
    var active = r.name === "device" ? "devices" : r.name === "dept" ? "dashboard" : r.name;
    document.querySelectorAll("#nav a").forEach(function (a) { a.classList.toggle("active", a.getAttribute("data-page") === active); });
    var mine = ++seq;
    setView([el("p", { class: "muted", text: t("common.loading") })]);
    document.body.setAttribute("data-page", r.name);
    document.body.removeAttribute("data-ready");
    E.pages[r.name](r.args, r.q).then(function (nodes) {
      if (mine !== seq) return;
      setView(nodes);
      document.body.setAttribute("data-ready", r.name);
    }).catch(function (err) {
      if (mine !== seq || String(err.message) === "401") return;
      setView([el("p", { class: "error", text: t("common.error") + err.message })]);
      document.body.setAttribute("data-ready", r.name);
    });
  }
  E.showLogin = function () {
    document.getElementById("login").hidden = false;
    document.getElementById("nav").hidden = true;
    document.getElementById("logout").hidden = true;
    E.me = null;
    E.departments = [];
    setView([]);
  };
  function loggedIn(me) {
    // The domain's words (rules, statuses, roles...) come from the
    // collector's one terms table, shared with exports; then the page.
    return E.loadTerms().then(function () { shown(me); });
  }
  function shown(me) {
    E.me = me;
    document.getElementById("login").hidden = true;
    document.getElementById("nav").hidden = false;
    document.getElementById("logout").hidden = false;
    document.getElementById("who").textContent = me.name + " · " + t("ur." + me.role) + (me.department ? " · " + me.department : "");
    buildNav();
    route();
  }
  function whoami() { return E.api("/api/v1/me", { quiet: true }).then(function (r) { loggedIn(r.body); }); }

  document.addEventListener("DOMContentLoaded", function () {
    applyStatic();
    document.getElementById("lang").addEventListener("click", function () {
      E.lang = E.lang === "en" ? "zh-CN" : "en";
      localStorage.setItem("egovnet.lang", E.lang);
      applyStatic();
      if (E.me) { buildNav(); loggedIn(E.me); }
    });
    document.getElementById("logout").addEventListener("click", function () {
      fetch("/api/v1/logout", { method: "POST", credentials: "same-origin" }).finally(E.showLogin);
    });
    document.getElementById("login-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = ev.target;
      var errBox = document.getElementById("login-error");
      errBox.textContent = "";
      fetch("/api/v1/login", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: f.name.value, password: f.password.value, otp: f.otp.value }) }).then(function (r) {
        return r.json().then(function (b) {
          if (!r.ok) throw new Error((b && b.error) || r.statusText);
          f.password.value = "";
          f.otp.value = "";
          return whoami();
        });
      }).catch(function (e) { errBox.textContent = t("login.failed") + e.message; });
    });
    window.addEventListener("hashchange", function () { if (E.me) route(); });
    // A valid session cookie skips the sign-in form.
    whoami().catch(function () { E.showLogin(); });
  });
})();
