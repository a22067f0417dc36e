// Findings: the violations list with its filters and exports, and the
// actions (acknowledge, exempt, resolve by hand) with their audit record.
(function () {
  "use strict";
  var E = window.EGOV, t = E.t, el = E.el;
  var RULES = ["internet-egress", "private-link", "isolation-breach", "local-server", "department-website",
    "unlicensed-software", "license-over-deployment", "unfiled-software", "address-outside-plan", "new-infrastructure"];
  E.RULES = RULES;

  function evidence(v) {
    var evs = v.evidence || [];
    return el("details", null, [el("summary", { text: String(evs.length) })].concat(evs.map(function (e) {
      var d = e.detail || {}, rest = {};
      Object.keys(d).forEach(function (k) { if (k !== "reason" && k !== "reason_zh" && k !== "reason_code") rest[k] = d[k]; });
      var why = E.lang === "en" ? d.reason : (d.reason_zh || d.reason);
      return el("pre", { text: e.method + " · " + E.fmtTime(e.observed_at) + (why ? " · " + why : "") + " · " + JSON.stringify(rest) });
    })));
  }
  function citations(v) {
    return el("div", null, (v.citations || []).map(function (c) {
      return el("details", { class: "cite" }, [el("summary", { text: c.document + " " + c.article }), el("div", { text: c.text })]);
    }));
  }

  // history shows the lifecycle events of one finding: who did what, when.
  function history(id) {
    return E.get("/api/v1/violations/" + encodeURIComponent(id)).then(function (d) {
      var evs = (d && d.history) || [];
      return el("div", { class: "audit-entry" }, [el("p", { text: t("v.done") }),
        E.table([t("v.at"), t("v.actor"), t("v.from"), t("v.to"), t("v.note")], evs.slice(-5).reverse().map(function (e) {
          return [E.fmtTime(e.at), (e.actor_kind ? e.actor_kind + ":" : "") + (e.actor || ""), e.from ? t("st." + e.from) : "", t("st." + e.to),
            e.note || (e.exemption ? e.exemption.basis + " / " + e.exemption.approver : "")];
        }))]);
    });
  }

  function act(v, kind, reload) {
    var path = "/api/v1/violations/" + encodeURIComponent(v.id) + "/" + kind;
    var title = t("v." + (kind === "acknowledge" ? "ack" : kind)) + " · " + t("rule." + v.rule) + " · " + v.subject;
    var fields = kind === "exempt" ? [
      { name: "basis", label: t("v.basis"), type: "textarea", required: true },
      { name: "approver", label: t("v.approver"), required: true },
      { name: "expires", label: t("v.expires"), type: "date", required: true },
      { name: "note", label: t("v.note") }] : [{ name: "note", label: t("v.note"), type: "textarea" }];
    var intro = t(kind === "acknowledge" ? "v.confirm.ack" : kind === "resolve" ? "v.confirm.resolve" : "v.confirm.exempt");
    E.dialog(title, intro, fields, function (vals) {
      return E.api(path, { method: "POST", json: vals }).then(function () {
        if (reload) reload();
        return history(v.id);
      });
    });
  }

  function actions(v, reload) {
    if (!E.can("violations.write") || v.status === "resolved" || v.status === "exempted") return "";
    var bs = [];
    if (v.status === "open") bs.push(el("button", { type: "button", class: "act ack", text: t("v.ack"), onclick: function () { act(v, "acknowledge", reload); } }));
    bs.push(el("button", { type: "button", class: "act exempt", text: t("v.exempt"), onclick: function () { act(v, "exempt", reload); } }));
    bs.push(el("button", { type: "button", class: "act resolve", text: t("v.resolve"), onclick: function () { act(v, "resolve", reload); } }));
    return el("span", { class: "actions" }, bs);
  }

  // violationsList is the findings list; q holds department/status/rule.
  E.violationsList = function (q, withDeptFilter) {
    var lv;
    var reload = function () { lv.reload(); };
    var status = el("select", { class: "status", onchange: function () { q.status = status.value; rebuild(); } },
      [el("option", { value: "", text: t("common.all") })].concat(["open", "acknowledged", "resolved", "exempted"].map(function (s) {
        return el("option", { value: s, text: t("st." + s) });
      })));
    status.value = q.status || "";
    var rule = el("select", { class: "rule", onchange: function () { q.rule = rule.value; rebuild(); } },
      [el("option", { value: "", text: t("common.all") })].concat(RULES.map(function (r) { return el("option", { value: r, text: t("rule." + r) }); })));
    rule.value = q.rule || "";
    var holder = el("div");
    function rebuild() {
      var filters = [];
      if (withDeptFilter) filters.push(E.deptSelect(q.department, function (d) { q.department = d; rebuild(); }));
      filters.push(el("label", null, [t("col.status") + " ", status]), el("label", null, [t("col.rule") + " ", rule]));
      lv = E.listView({
        path: "/api/v1/violations", params: { department: q.department, status: q.status, rule: q.rule }, filters: filters, cls: "violations",
        exports: function (p) {
          return ["xlsx", "pdf", "csv"].map(function (f) {
            return { label: t("common.export") + " " + f.toUpperCase(), href: "/api/v1/exports/violations?" + E.qs({ department: p.department, status: p.status, rule: p.rule, format: f }) };
          });
        },
        columns: [
          { label: t("col.rule"), cell: function (v) { return t("rule." + v.rule); } },
          { label: t("col.department"), cell: function (v) { return E.link("#dept/" + encodeURIComponent(v.department), v.department); } },
          { label: t("col.subject"), cell: function (v) { return v.subject; } },
          { label: t("col.severity"), cell: function (v) { return E.badge("sev-" + v.severity, t("sev." + v.severity)); } },
          { label: t("col.status"), cell: function (v) { return t("st." + v.status) + (v.exemption ? " (" + v.exemption.basis + ")" : ""); } },
          { label: t("col.citations"), cell: citations },
          { label: t("col.evidence"), cell: evidence },
          { label: t("col.first_seen"), cell: function (v) { return E.fmtTime(v.first_seen); } },
          { label: t("col.last_seen"), cell: function (v) { return E.fmtTime(v.last_seen); } },
          { label: t("v.actions"), cell: function (v) { return actions(v, reload); } }
        ]
      });
      holder.textContent = "";
      holder.appendChild(lv);
    }
    rebuild();
    return holder;
  };

  E.pages.violations = function (args, q) {
    return E.loadDepartments().then(function () {
      return [E.card(t("v.title"), [E.violationsList({ department: q.department || "", status: q.status || "open", rule: q.rule || "" }, true)])];
    });
  };
})();
