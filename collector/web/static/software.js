// Software licensing: the licence ledger (create, edit, import) and the
// installed software, both server-paged, with exports of the current view.
(function () {
  "use strict";
  var E = window.EGOV, t = E.t, el = E.el;

  function licenceForm(l, reload) {
    l = l || {};
    var fields = [
      { name: "product", label: t("col.product"), value: l.product_name || l.product || "", required: true },
      { name: "department", label: t("col.department") + " (" + t("s.pool") + ": –)", value: l.department || "" },
      { name: "seats", label: t("s.seats"), type: "number", value: l.seats || 1, required: true },
      { name: "cost", label: t("s.cost"), type: "number", value: l.cost || 0 },
      { name: "edition", label: t("s.edition"), value: l.edition || "" },
      { name: "contract_no", label: t("s.contract"), value: l.contract_no || "" },
      { name: "expiry", label: t("s.expiry"), type: "date", value: l.expiry || "" },
      { name: "filing_status", label: t("s.filed"), type: "select", value: l.filing_status || "unfiled",
        options: ["filed", "pending", "unfiled"].map(function (f) { return { value: f, label: t("filing." + f) }; }) },
      { name: "purpose", label: t("s.purpose"), value: l.purpose || "" },
      { name: "notes", label: t("s.notes"), value: l.notes || "" }];
    E.dialog((l.id ? t("common.edit") : t("common.new")) + " · " + t("s.licenses"), "", fields, function (v) {
      var body = Object.assign({}, l.id ? l : {}, { product: v.product, department: v.department === "-" ? "" : v.department, seats: Number(v.seats),
        cost: Number(v.cost || 0), edition: v.edition, contract_no: v.contract_no, expiry: v.expiry, filing_status: v.filing_status, purpose: v.purpose, notes: v.notes });
      ["created_at", "updated_at", "product_name", "category", "vendor", "domestic"].forEach(function (k) { delete body[k]; });
      var req = l.id ? E.api("/api/v1/licenses/" + encodeURIComponent(l.id), { method: "PUT", json: body }) : E.api("/api/v1/licenses", { method: "POST", json: body });
      return req.then(function () { reload(); return el("p", { text: t("common.saved") }); });
    }, t("common.save"));
  }
  function importForm(reload) {
    E.dialog(t("common.import") + " · " + t("s.licenses"), t("s.import.hint"), [{ name: "file", label: "CSV / XLSX", type: "file", accept: ".csv,.xlsx", required: true }], function (v) {
      var f = v.file;
      var xlsx = /\.xlsx$/i.test(f.name);
      return f.arrayBuffer().then(function (buf) {
        return E.api("/api/v1/licenses/import?format=" + (xlsx ? "xlsx" : "csv"), { method: "POST", raw: buf,
          type: xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv" });
      }).then(function (r) { reload(); return el("p", { text: t("s.imported", { c: (r.body && r.body.created) || 0, u: (r.body && r.body.updated) || 0 }) }); });
    }, t("common.import"));
  }

  E.licencesList = function (dept) {
    var lv;
    var reload = function () { lv.reload(); };
    var tools = [];
    if (E.can("licenses.write")) {
      tools.push(el("button", { type: "button", class: "new-licence", text: t("common.new"), onclick: function () { licenceForm(null, reload); } }));
      tools.push(el("button", { type: "button", class: "import-licence", text: t("common.import"), onclick: function () { importForm(reload); } }));
    }
    lv = E.listView({ path: "/api/v1/licenses", params: { department: dept }, filters: tools,
      exports: function (p) { return ["xlsx", "csv"].map(function (f) { return { label: t("common.export") + " " + f.toUpperCase(), href: "/api/v1/licenses/export?" + E.qs({ department: p.department, format: f }) }; }); },
      columns: [
        { label: t("col.department"), cell: function (l) { return l.department || t("s.pool"); } },
        { label: t("col.product"), cell: function (l) { return l.product_name || l.product; } },
        { label: t("col.category"), cell: function (l) { return t("cat." + (l.category || "other")); } },
        { label: t("col.domestic"), cell: function (l) { return l.domestic ? t("yes") : t("no"); } },
        { label: t("s.seats"), cell: function (l) { return l.seats; } },
        { label: t("s.cost"), cell: function (l) { return l.cost; } },
        { label: t("s.contract"), cell: function (l) { return l.contract_no || ""; } },
        { label: t("s.expiry"), cell: function (l) { return l.expiry || ""; } },
        { label: t("s.filed"), cell: function (l) { return t("filing." + (l.filing_status || "unfiled")); } },
        { label: t("v.actions"), cell: function (l) { return E.can("licenses.write") ? el("button", { type: "button", class: "act edit", text: t("common.edit"), onclick: function () { licenceForm(l, reload); } }) : ""; } }
      ] });
    return lv;
  };
  E.softwareList = function (dept) {
    return E.listView({ path: "/api/v1/software", params: { department: dept },
      exports: function (p) { return [{ label: t("common.export") + " XLSX", href: "/api/v1/software/export?" + E.qs({ department: p.department, table: "details", format: "xlsx" }) }]; },
      columns: [
        { label: t("col.department"), cell: function (s) { return s.department || ""; } },
        { label: t("col.host"), cell: function (s) { return s.device_name || s.device || ""; } },
        { label: t("s.name"), cell: function (s) { return s.name || ""; } },
        { label: t("col.version"), cell: function (s) { return s.version || ""; } },
        { label: t("col.product"), cell: function (s) { return s.product_name || s.product || ""; } },
        { label: t("col.category"), cell: function (s) { return t("cat." + (s.category || "other")); } },
        { label: t("col.domestic"), cell: function (s) { return s.domestic ? t("yes") : t("no"); } }
      ] });
  };
  // devicesList is the 明细表's device part: who uses each machine, its OS
  // (and whether it is activated) and hardware, and how its installs stand.
  E.ledgerDevicesList = function (dept) {
    var os = function (d, k) { return (d.os_info && d.os_info[k]) || ""; };
    var hw = function (d, k) { return (d.hardware && d.hardware[k]) || ""; };
    return E.listView({ path: "/api/v1/software/devices", params: { department: dept }, cls: "ledger-devices",
      exports: function (p) { return [{ label: t("common.export") + " XLSX", href: "/api/v1/software/export?" + E.qs({ department: p.department, table: "devices", format: "xlsx" }) }]; },
      columns: [
        { label: t("col.department"), cell: function (d) { return d.department || ""; } },
        { label: t("col.host"), cell: function (d) { return d.device_name && d.device_name !== d.device ? d.device_name + " (" + d.device + ")" : d.device; } },
        { label: t("col.device_source"), cell: function (d) { return t("devsrc." + (d.source || "")); } },
        { label: t("col.user"), cell: function (d) { return d.user || ""; } },
        { label: t("col.os_name"), cell: function (d) { return os(d, "name"); } },
        { label: t("col.os_edition"), cell: function (d) { return os(d, "edition"); } },
        { label: t("col.os_version"), cell: function (d) { return os(d, "version"); } },
        { label: t("col.os_arch"), cell: function (d) { return os(d, "arch"); } },
        { label: t("col.os_activated"), cell: function (d) {
          if (!d.os_info) return ""; // no OS facts (an SNMP device): nothing to say
          var a = d.os_info.activated;
          return E.badge(a === false ? "sev-high" : "", t("act." + (a === true ? "yes" : a === false ? "no" : "")));
        } },
        { label: t("col.hw_vendor"), cell: function (d) { return hw(d, "vendor"); } },
        { label: t("col.hw_model"), cell: function (d) { return hw(d, "model"); } },
        { label: t("col.hw_serial"), cell: function (d) { return hw(d, "serial"); } },
        { label: t("col.installs"), cell: function (d) { return d.installs || 0; } },
        { label: t("col.unlicensed"), cell: function (d) { return d.unlicensed || 0; } },
        { label: t("col.compliant"), cell: function (d) { return d.compliant ? t("yes") : E.badge("sev-high", t("no")); } },
        { label: t("col.last_seen"), cell: function (d) { return E.fmtTime(d.last_seen); } }
      ] });
  };

  // The software page is three tabs (licences, installs, devices) in the
  // hash, so each has its own address and the browser's back button.
  var TABS = [["licences", "s.licenses"], ["installs", "s.title"], ["devices", "s.devices"]];
  E.pages.software = function (args, q) {
    return E.loadDepartments().then(function () {
      var d = q.department || "";
      var tab = TABS.some(function (x) { return x[0] === q.tab; }) ? q.tab : "licences";
      var nav = el("nav", { class: "tabs", role: "tablist" }, TABS.map(function (x) {
        return el("a", { href: "#software?" + E.qs({ department: d, tab: x[0] }), role: "tab", class: "tab tab-" + x[0] + (x[0] === tab ? " active" : ""),
          "aria-selected": String(x[0] === tab), text: t(x[1]) });
      }));
      var body = tab === "devices" ? E.card(t("s.devices"), [el("p", { class: "muted", text: t("s.devices.hint") }), E.ledgerDevicesList(d)])
        : tab === "installs" ? E.card(t("s.title"), [E.softwareList(d)]) : E.card(t("s.licenses"), [E.licencesList(d)]);
      return [nav, body];
    });
  };
})();
