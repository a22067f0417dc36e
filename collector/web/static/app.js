// egovnet UI: reads the CONTRACT's JSON API and renders it. Every value from
// the server is inserted as text (never as HTML), so a hostile page title or
// ifAlias seen on the network cannot run script here.
(function () {
  "use strict";
  var I18N = window.EGOV_I18N;
  var lang = localStorage.getItem("egovnet.lang") || "zh-CN";
  var state = { departments: [] };

  function t(key) {
    var m = I18N[lang] || I18N["zh-CN"];
    return (m && m[key]) || I18N["zh-CN"][key] || key;
  }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === "class") e.className = attrs[k];
      else if (k === "text") e.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      e.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    });
    return e;
  }
  // list accepts the API's array answers and {"items": [...]}-style wrappers.
  function list(x) {
    if (Array.isArray(x)) return x;
    if (x && typeof x === "object") {
      var keys = Object.keys(x);
      for (var i = 0; i < keys.length; i++) if (Array.isArray(x[keys[i]])) return x[keys[i]];
    }
    return [];
  }
  function fmtTime(s) {
    if (!s) return "";
    var d = new Date(s);
    if (isNaN(d.getTime()) || d.getFullYear() < 2000) return "";
    return d.toLocaleString(lang === "en" ? "en-GB" : "zh-CN", { hour12: false });
  }
  function api(path) {
    return fetch(path, { credentials: "same-origin", headers: { "Accept": "application/json", "X-Requested-With": "egovnet-ui" } }).then(function (r) {
      if (r.status === 401) { showLogin(); throw new Error("401"); }
      return r.json().then(function (body) {
        if (!r.ok) throw new Error((body && body.error) || r.statusText);
        return body;
      });
    });
  }
  function applyStatic() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach(function (n) { n.textContent = t(n.getAttribute("data-i18n")); });
    document.getElementById("lang").textContent = lang === "en" ? "中文" : "English";
    document.title = "egovnet · " + t("app.title");
  }
  function view() { return document.getElementById("view"); }
  function setView(nodes) {
    var v = view();
    v.textContent = "";
    nodes.forEach(function (n) { v.appendChild(n); });
  }
  function failed(err) {
    if (String(err.message) === "401") return;
    setView([el("p", { class: "error", text: t("common.error") + err.message })]);
  }
  function table(headers, rows, rowClass) {
    var thead = el("thead", null, [el("tr", null, headers.map(function (h) { return el("th", { text: h }); }))]);
    var tbody = el("tbody");
    if (!rows.length) tbody.appendChild(el("tr", null, [el("td", { colspan: String(headers.length), class: "muted", text: t("common.none") })]));
    rows.forEach(function (cells, i) {
      tbody.appendChild(el("tr", rowClass ? { class: rowClass(i) || "" } : null, cells.map(function (c) {
        if (c && c.nodeType) return el("td", null, [c]);
        if (typeof c === "number") return el("td", { class: "num", text: String(c) });
        return el("td", { text: c === undefined || c === null ? "" : String(c) });
      })));
    });
    return el("table", null, [thead, tbody]);
  }
  function deptSelect(onchange, value) {
    var s = el("select", { id: "dept", onchange: function () { onchange(s.value); } },
      [el("option", { value: "", text: t("common.all") })].concat(state.departments.map(function (d) {
        return el("option", { value: d.code, text: d.code + " " + (d.name || "") });
      })));
    s.value = value || "";
    return el("label", null, [t("common.department") + " ", s]);
  }
  function loadDepartments() {
    return api("/api/v1/departments").then(function (d) { state.departments = list(d); });
  }

  // Overview: per-department counts of open violations by rule.
  function overview() {
    Promise.all([loadDepartments(), api("/api/v1/violations?status=open")]).then(function (res) {
      var vs = list(res[1]);
      var by = {};
      state.departments.forEach(function (d) { by[d.code] = { open: 0 }; });
      vs.forEach(function (v) {
        var b = by[v.department] || (by[v.department] = { open: 0 });
        b.open++;
        b[v.rule] = (b[v.rule] || 0) + 1;
      });
      var cols = ["internet-egress", "private-link", "local-server", "department-website"];
      var total = { open: 0 };
      var rows = state.departments.map(function (d) {
        var b = by[d.code] || {};
        total.open += b.open || 0;
        cols.forEach(function (c) { total[c] = (total[c] || 0) + (b[c] || 0); });
        return [d.code, d.name || "", b.open || 0].concat(cols.map(function (c) { return b[c] || 0; }));
      });
      rows.push([t("overview.total"), "", total.open].concat(cols.map(function (c) { return total[c] || 0; })));
      setView([el("div", { class: "card" }, [el("h2", { text: t("overview.title") }),
        table([t("overview.code"), t("overview.name"), t("overview.open"), t("overview.egress"), t("overview.private"),
          t("overview.servers"), t("overview.websites")], rows, function (i) { return i === rows.length - 1 ? "total" : ""; })])]);
    }).catch(failed);
  }

  function violations(q) {
    q = q || {};
    var qs = new URLSearchParams();
    if (q.department) qs.set("department", q.department);
    if (q.status) qs.set("status", q.status);
    if (q.rule) qs.set("rule", q.rule);
    Promise.all([loadDepartments(), api("/api/v1/violations?" + qs.toString())]).then(function (res) {
      var vs = list(res[1]);
      var status = el("select", { onchange: function () { q.status = status.value; violations(q); } },
        [el("option", { value: "", text: t("common.all") })].concat(["open", "acknowledged", "resolved", "exempted"].map(function (s) {
          return el("option", { value: s, text: t("st." + s) });
        })));
      status.value = q.status || "";
      var exp = new URLSearchParams(qs); exp.set("format", "xlsx");
      var expPdf = new URLSearchParams(qs); expPdf.set("format", "pdf");
      var rows = vs.map(function (v) {
        var cites = el("div", null, (v.citations || []).map(function (c) {
          return el("div", { class: "cite" }, [el("strong", { text: c.document + " " + c.article }), el("div", { text: c.text })]);
        }));
        var ev = el("details", null, [el("summary", { text: String((v.evidence || []).length) })].concat((v.evidence || []).map(function (e) {
          var d = e.detail || {}, rest = {};
          Object.keys(d).forEach(function (k) { if (k !== "reason" && k !== "reason_zh" && k !== "reason_code") rest[k] = d[k]; });
          var why = lang === "en" ? d.reason : (d.reason_zh || d.reason);
          return el("pre", { text: e.method + " · " + fmtTime(e.observed_at) + (why ? " · " + why : "") + " · " + JSON.stringify(rest) });
        })));
        var st = t("st." + v.status);
        if (v.exemption) st += " (" + v.exemption.basis + ")";
        return [t("rule." + v.rule), v.department, v.subject,
          el("span", { class: "sev-" + v.severity, text: t("sev." + v.severity) }), st, cites, ev, fmtTime(v.first_seen), fmtTime(v.last_seen)];
      });
      setView([el("div", { class: "card" }, [el("h2", { text: t("v.title") + " (" + vs.length + ")" }),
        el("div", { class: "filters" }, [deptSelect(function (d) { q.department = d; violations(q); }, q.department),
          el("label", null, [t("v.status") + " ", status]),
          el("a", { href: "/api/v1/exports/violations?" + exp.toString(), text: t("common.export") + " XLSX" }),
          el("a", { href: "/api/v1/exports/violations?" + expPdf.toString(), text: t("common.export") + " PDF" })]),
        table([t("v.rule"), t("common.department"), t("v.subject"), t("v.severity"), t("v.status"), t("v.citation"), t("v.evidence"), t("v.first"), t("v.last")], rows)])]);
    }).catch(failed);
  }

  function endpoints(dept) {
    loadDepartments().then(function () {
      var d = dept || (state.departments[0] && state.departments[0].code) || "";
      return api("/api/v1/endpoints?department=" + encodeURIComponent(d)).then(function (es) {
        var rows = list(es).map(function (e) {
          return [e.ip, e.mac || "", e.vendor || "", t("role." + (e.role || "unknown")), (e.open_ports || []).join(", "),
            (e.seen_by || []).join(", "), (e.http || []).map(function (h) { return h.title; }).join(" | "), fmtTime(e.first_seen), fmtTime(e.last_seen)];
        });
        setView([el("div", { class: "card" }, [el("h2", { text: t("e.title") + " (" + rows.length + ")" }),
          el("div", { class: "filters" }, [deptSelect(endpoints, d)]),
          table([t("e.ip"), t("e.mac"), t("e.vendor"), t("e.role"), t("e.ports"), t("e.seen"), t("e.http"), t("e.first"), t("e.last")], rows)])]);
      });
    }).catch(failed);
  }

  function software() {
    Promise.all([api("/api/v1/software"), api("/api/v1/licenses")]).then(function (res) {
      var sw = list(res[0]).map(function (s) {
        return [s.department || "", s.device_name || s.device || "", s.name || "", s.version || "", s.product_name || s.product || "", t("cat." + (s.category || "other")),
          s.domestic ? t("yes") : t("no")];
      });
      var lic = list(res[1]).map(function (l) {
        return [l.department || t("s.pool"), l.product_name || l.product || "", l.seats, l.cost, l.contract_no || "", l.expiry || "", t("filing." + (l.filing_status || "unfiled"))];
      });
      setView([el("div", { class: "card" }, [el("h2", { text: t("s.licenses") }),
          table([t("common.department"), t("s.product"), t("s.seats"), t("s.cost"), t("s.contract"), t("s.expiry"), t("s.filed")], lic)]),
        el("div", { class: "card" }, [el("h2", { text: t("s.title") + " (" + sw.length + ")" }),
          table([t("common.department"), t("s.host"), t("s.name"), t("s.version"), t("s.product"), t("s.category"), t("s.domestic")], sw)])]);
    }).catch(failed);
  }

  // progress draws one line per series of the chosen department as inline SVG.
  function progress(dept) {
    loadDepartments().then(function () {
      var qs = dept ? "?department=" + encodeURIComponent(dept) : "";
      return api("/api/v1/progress" + qs).then(function (p) {
        var pts = list(p);
        var series = ["internet_egress", "private_links", "local_servers", "websites", "open_violations"];
        var colors = ["#b3261e", "#e8710a", "#1a73e8", "#188038", "#5f6368"];
        var W = 760, H = 260, pad = 36;
        var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
        svg.setAttribute("class", "chart"); svg.setAttribute("width", W); svg.setAttribute("height", H);
        var max = 1;
        pts.forEach(function (r) { series.forEach(function (s) { var v = (r.fields || r)[s]; if (v > max) max = v; }); });
        series.forEach(function (s, si) {
          if (pts.length === 0) return;
          var d = pts.map(function (r, i) {
            var x = pad + (pts.length === 1 ? 0 : i * (W - 2 * pad) / (pts.length - 1));
            var y = H - pad - (((r.fields || r)[s] || 0) / max) * (H - 2 * pad);
            return (i ? "L" : "M") + x.toFixed(1) + " " + y.toFixed(1);
          }).join(" ");
          var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
          path.setAttribute("d", d); path.setAttribute("fill", "none"); path.setAttribute("stroke", colors[si]); path.setAttribute("stroke-width", "2");
          svg.appendChild(path);
        });
        var rows = pts.map(function (r) {
          var f = r.fields || r;
          return [fmtTime(r.time || r.at || r.date), r.department || dept || ""].concat(series.map(function (s) { return f[s] || 0; }));
        });
        setView([el("div", { class: "card" }, [el("h2", { text: t("p.title") }), el("div", { class: "filters" }, [deptSelect(progress, dept)]), svg,
          table(["", t("common.department"), t("overview.egress"), t("overview.private"), t("overview.servers"), t("overview.websites"), t("overview.open")], rows)])]);
      });
    }).catch(failed);
  }

  function reports(dept) {
    loadDepartments().then(function () {
      var qs = dept ? "?department=" + encodeURIComponent(dept) : "";
      return api("/api/v1/reports" + qs).then(function (rs) {
        var rows = list(rs).map(function (r) {
          return [r.report_id || r.id, r.department || "", r.agent_id || (r.agent && r.agent.id) || r.agent || "", fmtTime(r.finished_at), fmtTime(r.received_at)];
        });
        setView([el("div", { class: "card" }, [el("h2", { text: t("r.title") }), el("div", { class: "filters" }, [deptSelect(reports, dept)]),
          table([t("r.id"), t("common.department"), t("r.agent"), t("r.finished"), t("r.received")], rows)])]);
      });
    }).catch(failed);
  }

  var routes = { overview: overview, violations: violations, endpoints: endpoints, software: software, progress: progress, reports: reports };
  function route() {
    var name = (location.hash || "#overview").slice(1);
    if (!routes[name]) name = "overview";
    document.querySelectorAll("#nav a").forEach(function (a) { a.classList.toggle("active", a.getAttribute("href") === "#" + name); });
    setView([el("p", { class: "muted", text: t("common.loading") })]);
    routes[name]();
  }
  function showLogin() {
    document.getElementById("login").hidden = false;
    document.getElementById("nav").hidden = true;
    view().textContent = "";
  }
  function loggedIn(name) {
    document.getElementById("login").hidden = true;
    document.getElementById("nav").hidden = false;
    document.getElementById("who").textContent = name || "";
    route();
  }

  document.addEventListener("DOMContentLoaded", function () {
    applyStatic();
    document.getElementById("lang").addEventListener("click", function () {
      lang = lang === "en" ? "zh-CN" : "en";
      localStorage.setItem("egovnet.lang", lang);
      applyStatic();
      if (!document.getElementById("nav").hidden) route();
    });
    document.getElementById("login-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = ev.target;
      var errBox = document.getElementById("login-error");
      errBox.textContent = "";
      fetch("/api/v1/login", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: f.name.value, password: f.password.value }) }).then(function (r) {
        return r.json().then(function (b) {
          if (!r.ok) throw new Error((b && b.error) || r.statusText);
          f.password.value = "";
          loggedIn(f.name.value);
        });
      }).catch(function (e) { errBox.textContent = t("login.failed") + e.message; });
    });
    window.addEventListener("hashchange", function () { if (!document.getElementById("nav").hidden) route(); });
    // A valid session cookie skips the login form.
    api("/api/v1/departments").then(function () { loggedIn(""); }).catch(function () {});
  });
})();
