// egovnet UI core: strings, DOM helpers, the API client, the server-paged
// list, dialogs and chart lifetimes. Every value from the server is inserted
// as text (never as HTML), so a hostile page title or ifAlias seen on the
// network cannot run script here.
(function () {
  "use strict";
  var I18N = window.EGOV_I18N;
  var E = window.EGOV = { lang: localStorage.getItem("egovnet.lang") || "zh-CN", me: null, departments: [], charts: [], pages: {} };

  E.t = function (key, vars) {
    var m = I18N[E.lang] || I18N["zh-CN"];
    var s = (m && m[key]) || I18N["zh-CN"][key] || key;
    if (vars) Object.keys(vars).forEach(function (k) { s = s.split("{" + k + "}").join(String(vars[k])); });
    return s;
  };
  var t = E.t;
  E.el = function (tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      e.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    });
    return e;
  };
  var el = E.el;
  // loadTerms merges GET /api/v1/terms (collector/terms: rule names,
  // statuses, severities, roles, categories) into the string table once
  // per page load; the table keeps only the UI's own words.
  var termsLoaded = null;
  E.loadTerms = function () {
    if (!termsLoaded) termsLoaded = E.api("/api/v1/terms", { quiet: true }).then(function (r) {
      var b = r.body || {};
      [["zh-CN", "zh"], ["en", "en"]].forEach(function (p) {
        var src = b[p[1]] || {};
        Object.keys(src).forEach(function (k) { I18N[p[0]][k] = src[k]; });
      });
    }).catch(function () { termsLoaded = null; });
    return termsLoaded;
  };
  E.fmtTime = function (s) {
    if (!s) return "";
    var d = new Date(s);
    if (isNaN(d.getTime()) || d.getFullYear() < 2000) return "";
    return d.toLocaleString(E.lang === "en" ? "en-GB" : "zh-CN", { hour12: false });
  };
  E.pct = function (x) { return (x === undefined || x === null || isNaN(x)) ? "–" : (Math.round(x * 1000) / 10) + "%"; };
  E.qs = function (params) {
    var q = new URLSearchParams();
    Object.keys(params || {}).forEach(function (k) { if (params[k] !== undefined && params[k] !== null && params[k] !== "") q.set(k, params[k]); });
    return q.toString();
  };

  // api resolves to {body, total, status}; 401 shows the sign-in form.
  E.api = function (path, opts) {
    opts = opts || {};
    var init = { method: opts.method || "GET", credentials: "same-origin",
      headers: { "Accept": "application/json", "X-Requested-With": "egovnet-ui" } };
    if (opts.json !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(opts.json); }
    if (opts.raw !== undefined) { init.headers["Content-Type"] = opts.type || "application/octet-stream"; init.body = opts.raw; }
    return fetch(path, init).then(function (r) {
      if (r.status === 401 && !opts.quiet) { E.showLogin(); throw new Error("401"); }
      return r.text().then(function (txt) {
        var body = null;
        try { body = txt ? JSON.parse(txt) : null; } catch (e) { body = null; }
        if (!r.ok) {
          var err = new Error((body && body.error) || r.statusText);
          err.status = r.status; err.detail = body && body.detail;
          throw err;
        }
        var tot = r.headers.get("X-Total-Count");
        return { body: body, total: tot === null ? null : Number(tot), status: r.status };
      });
    });
  };
  E.get = function (path) { return E.api(path).then(function (r) { return r.body; }); };
  E.list = function (x) {
    if (Array.isArray(x)) return x;
    if (x && typeof x === "object") {
      var keys = Object.keys(x);
      for (var i = 0; i < keys.length; i++) if (Array.isArray(x[keys[i]])) return x[keys[i]];
    }
    return [];
  };
  E.loadDepartments = function () {
    if (E.departments.length) return Promise.resolve(E.departments);
    return E.get("/api/v1/departments").then(function (d) { E.departments = E.list(d); return E.departments; });
  };
  E.deptName = function (code) {
    for (var i = 0; i < E.departments.length; i++) if (E.departments[i].code === code) return E.departments[i].name;
    return code || "";
  };
  E.role = function () { return (E.me && E.me.role) || ""; };
  E.can = function (what) {
    var r = E.role();
    switch (what) {
      case "violations.write": return r === "sysadmin" || r === "secadmin";
      case "licenses.write": return r === "sysadmin" || r === "dept-admin";
      case "agents.revoke": return r === "sysadmin" || r === "dept-admin";
      case "users": return r === "sysadmin";
      case "agentconfig": return r === "sysadmin" || r === "dept-admin";
      case "agentconfig.write": return r === "sysadmin";
      case "agents.scan": return r === "sysadmin" || r === "dept-admin";
      case "audit": return r === "auditor" || r === "secadmin";
      case "all-departments": return r !== "dept-admin";
    }
    return false;
  };

  E.deptSelect = function (value, onchange, allowAll) {
    var opts = [];
    if (allowAll !== false && E.can("all-departments")) opts.push(el("option", { value: "", text: t("common.all") }));
    E.departments.forEach(function (d) { opts.push(el("option", { value: d.code, text: d.code + " " + (d.name || "") })); });
    var s = el("select", { class: "dept", onchange: function () { onchange(s.value); } }, opts);
    s.value = value || (opts[0] && opts[0].value) || "";
    return el("label", null, [t("col.department") + " ", s]);
  };
  E.card = function (title, children, cls) {
    return el("section", { class: "card " + (cls || "") }, [title ? el("h2", { text: title }) : null].concat(children || []));
  };
  E.badge = function (cls, text) { return el("span", { class: cls, text: text }); };
  E.link = function (href, text) { return el("a", { href: href, text: text }); };

  // table renders plain rows: cells are strings, numbers or nodes.
  E.table = function (headers, rows, opts) {
    opts = opts || {};
    var thead = el("thead", null, [el("tr", null, headers.map(function (h, i) {
      if (!opts.sortable || !opts.sortable[i]) return el("th", { text: h });
      var key = opts.sortable[i], cur = opts.sort || "";
      var mark = cur === key ? " ▲" : cur === "-" + key ? " ▼" : "";
      return el("th", { class: "sortable", tabindex: "0", "data-sort": key, onclick: function () { opts.onSort(cur === key ? "-" + key : key); } }, [h + mark]);
    }))]);
    var tbody = el("tbody");
    if (!rows.length) tbody.appendChild(el("tr", null, [el("td", { colspan: String(headers.length), class: "muted", text: t("common.none") })]));
    rows.forEach(function (cells, i) {
      tbody.appendChild(el("tr", opts.rowClass ? { class: opts.rowClass(i) || "" } : null, cells.map(function (c) {
        if (c && c.nodeType) return el("td", null, [c]);
        if (typeof c === "number") return el("td", { class: "num", text: String(c) });
        return el("td", { text: c === undefined || c === null ? "" : String(c) });
      })));
    });
    return el("table", { class: opts.cls || "" }, [thead, tbody]);
  };

  // listView is a server-paged list: search box, sortable headers, pager,
  // X-Total-Count. opts: path, params, columns [{label, sort, cell(row)}],
  // pageSize, filters (nodes), exports(fn(params) -> [{label, href}]),
  // local (an array paged in the page instead of a path).
  E.listView = function (opts) {
    var st = { offset: 0, q: "", sort: opts.sort || "" };
    var size = opts.pageSize || 50;
    var box = el("div", { class: "list" });
    var search = el("input", { type: "search", class: "search", placeholder: t("common.search"), value: "" });
    var timer = null;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { st.q = search.value.trim(); st.offset = 0; load(); }, 250);
    });
    var tableBox = el("div", { class: "table-box" });
    var pager = el("div", { class: "pager" });
    var exp = el("span", { class: "exports" });
    // A short local table needs neither search nor pager.
    var small = opts.local && opts.local.length <= size;
    if (!small) box.appendChild(el("div", { class: "filters" }, (opts.filters || []).concat([search, exp])));
    box.appendChild(tableBox);
    if (!small) box.appendChild(pager);
    function render(rows, total) {
      tableBox.textContent = "";
      var heads = opts.columns.map(function (c) { return c.label; });
      var sortable = opts.columns.map(function (c) { return c.sort || null; });
      tableBox.appendChild(E.table(heads, rows.map(function (r) { return opts.columns.map(function (c) { return c.cell(r); }); }),
        { sortable: sortable, sort: st.sort, onSort: function (s) { st.sort = s; st.offset = 0; load(); }, cls: opts.cls }));
      pager.textContent = "";
      var from = total === 0 ? 0 : st.offset + 1, to = Math.min(st.offset + rows.length, total);
      var prev = el("button", { type: "button", class: "prev", disabled: st.offset === 0, text: t("common.prev"),
        onclick: function () { st.offset = Math.max(0, st.offset - size); load(); } });
      var next = el("button", { type: "button", class: "next", disabled: st.offset + size >= total, text: t("common.next"),
        onclick: function () { st.offset += size; load(); } });
      pager.appendChild(prev);
      pager.appendChild(el("span", { class: "range", text: t("common.range", { from: from, to: to, total: total }) }));
      pager.appendChild(next);
      if (opts.onTotal) opts.onTotal(total);
    }
    function load() {
      var params = Object.assign({}, opts.params || {});
      exp.textContent = "";
      if (opts.exports) opts.exports(Object.assign({ q: st.q }, params)).forEach(function (x) { exp.appendChild(el("a", { href: x.href, text: x.label, class: "export" })); });
      if (opts.local) {
        var all = opts.local;
        if (st.q) {
          var q = st.q.toLowerCase();
          all = all.filter(function (r) { return opts.columns.some(function (c) { var v = c.cell(r); v = v && v.nodeType ? v.textContent : String(v === undefined || v === null ? "" : v); return v.toLowerCase().indexOf(q) >= 0; }); });
        }
        if (st.sort) {
          var desc = st.sort.charAt(0) === "-", key = desc ? st.sort.slice(1) : st.sort;
          var col = opts.columns.filter(function (c) { return c.sort === key; })[0];
          if (col) all = all.slice().sort(function (a, b) {
            var x = col.value ? col.value(a) : col.cell(a), y = col.value ? col.value(b) : col.cell(b);
            var r = (typeof x === "number" && typeof y === "number") ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
            return desc ? -r : r;
          });
        }
        render(all.slice(st.offset, st.offset + size), all.length);
        return Promise.resolve();
      }
      params.limit = size; params.offset = st.offset;
      if (st.q) params.q = st.q;
      if (st.sort) params.sort = st.sort;
      tableBox.classList.add("loading");
      return E.api(opts.path + "?" + E.qs(params)).then(function (r) {
        tableBox.classList.remove("loading");
        var rows = E.list(r.body);
        render(rows, r.total === null ? rows.length : r.total);
      }).catch(function (err) {
        tableBox.classList.remove("loading");
        if (String(err.message) === "401") return;
        tableBox.textContent = "";
        tableBox.appendChild(el("p", { class: err.status === 404 || err.status === 405 ? "muted" : "error",
          text: (err.status === 404 && !opts.local ? t("common.unavailable") + opts.path + " — " : t("common.error")) + err.message }));
      });
    }
    box.reload = load;
    box.ready = load();
    return box;
  };

  // dialog opens a modal; fields are [{name, label, type, value, required}].
  // onConfirm(values) returns a promise; its result node is shown in place.
  E.dialog = function (title, intro, fields, onConfirm, confirmLabel) {
    var inputs = {};
    var err = el("p", { class: "error", role: "alert" });
    var result = el("div", { class: "result" });
    var form = el("form", { class: "dialog-form" }, [el("p", { class: "intro", text: intro || "" })].concat(fields.map(function (f) {
      var inp = f.type === "textarea" ? el("textarea", { name: f.name, rows: "3" }) :
        f.type === "select" ? el("select", { name: f.name }, f.options.map(function (o) { return el("option", { value: o.value, text: o.label }); })) :
        el("input", { name: f.name, type: f.type || "text", required: f.required, accept: f.accept });
      if (f.value !== undefined && f.type !== "file") inp.value = f.value;
      inputs[f.name] = inp;
      return el("label", null, [el("span", { text: f.label }), inp]);
    })).concat([err, result]));
    var ok = el("button", { type: "submit", class: "primary", text: confirmLabel || t("common.confirm") });
    var cancel = el("button", { type: "button", text: t("common.cancel") });
    form.appendChild(el("div", { class: "dialog-buttons" }, [ok, cancel]));
    var back = el("div", { class: "modal-back" }, [el("div", { class: "modal", role: "dialog", "aria-modal": "true" }, [el("h3", { text: title }), form])]);
    function close() { back.remove(); }
    cancel.addEventListener("click", close);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      err.textContent = "";
      var vals = {};
      Object.keys(inputs).forEach(function (k) { vals[k] = inputs[k].type === "file" ? inputs[k].files[0] : inputs[k].value; });
      ok.disabled = true;
      Promise.resolve(onConfirm(vals)).then(function (node) {
        ok.remove();
        cancel.textContent = t("common.close");
        result.textContent = "";
        if (node) result.appendChild(node);
      }).catch(function (e) {
        ok.disabled = false;
        err.textContent = t("common.error") + e.message + (e.detail ? " " + JSON.stringify(e.detail) : "");
      });
    });
    document.body.appendChild(back);
    var first = form.querySelector("input,textarea,select");
    if (first) first.focus();
    return back;
  };

  // needCharts loads ECharts (1 MB, vendored) once, only for pages that
  // draw: lists and device pages never pay for it.
  var chartsLoading = null;
  E.needCharts = function () {
    if (window.echarts) return Promise.resolve();
    if (!chartsLoading) chartsLoading = new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = "/ui/vendor/echarts-5.6.0.min.js";
      s.onload = function () { resolve(); };
      s.onerror = function () { chartsLoading = null; reject(new Error("echarts")); };
      document.head.appendChild(s);
    });
    return chartsLoading;
  };

  // chart draws an ECharts option into a new box and disposes it when the
  // view changes.
  E.chart = function (cls, option) {
    var box = el("div", { class: "chart " + (cls || "") });
    setTimeout(function () {
      if (!window.echarts || !box.isConnected) return;
      var c = window.echarts.init(box, null, { renderer: "canvas" });
      c.setOption(option);
      box.echart = c;
      E.charts.push(c);
    }, 0);
    return box;
  };
  E.disposeCharts = function () { E.charts.forEach(function (c) { try { c.dispose(); } catch (e) {} }); E.charts = []; };
  window.addEventListener("resize", function () { E.charts.forEach(function (c) { c.resize(); }); });
})();
