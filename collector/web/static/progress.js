// Progress: the big-data centre's dashboard (district KPIs, time series per
// district and department, burn-down against pack deadlines) and the
// department page that gathers one department's work.
(function () {
  "use strict";
  var E = window.EGOV, t = E.t, el = E.el;
  var COUNTS = [["open_violations", "col.open_violations"], ["internet_egress", "overview.egress"], ["private_links", "col.private_links"],
    ["isolation_breaches", "overview.isolation"], ["local_servers", "col.local_servers"], ["websites", "overview.websites"]];
  var RATIOS = [["license_compliance", "kpi.license"], ["domestic_share", "col.domestic_share"], ["cloud_ratio", "col.cloud_ratio"]];
  var RULE_FIELD = { "internet-egress": "internet_egress", "private-link": "private_links", "isolation-breach": "isolation_breaches",
    "local-server": "local_servers", "department-website": "websites" };
  var COLORS = ["#b3261e", "#e8710a", "#7b1fa2", "#6d4c41", "#1a73e8", "#188038", "#5f6368", "#00838f", "#c2185b", "#827717"];

  function kpi(label, value, sub, cls) {
    return el("div", { class: "kpi " + (cls || "") }, [el("div", { class: "kpi-value", text: value }), el("div", { class: "kpi-label", text: label }),
      sub ? el("div", { class: "kpi-sub muted", text: sub }) : null]);
  }
  function base(title) {
    return { color: COLORS, animation: false, title: { text: title, left: 8, top: 4, textStyle: { fontSize: 14, fontWeight: "bold" } },
      tooltip: { trigger: "axis", confine: true }, grid: { left: 48, right: 24, top: 64, bottom: 36, containLabel: true } };
  }
  function timeChart(title, series, percent) {
    var o = base(title);
    o.legend = { type: "scroll", top: 28, left: 8, right: 8 };
    o.xAxis = { type: "time", axisLabel: { hideOverlap: true, formatter: "{MM}-{dd}" } };
    o.yAxis = percent ? { type: "value", min: 0, max: 1, axisLabel: { formatter: function (v) { return Math.round(v * 100) + "%"; } } } : { type: "value", minInterval: 1 };
    if (percent) o.tooltip.valueFormatter = function (v) { return E.pct(v); };
    o.series = series.map(function (s) { return { name: s.name, type: "line", showSymbol: s.data.length < 40, data: s.data, markLine: s.markLine, lineStyle: s.lineStyle, itemStyle: s.itemStyle }; });
    return o;
  }
  function pts(snaps, field) { return snaps.map(function (s) { return [s.date, s[field] || 0]; }); }

  function burnDown(series, deadlines, holder) {
    holder.textContent = "";
    var sel = el("select", { class: "deadline" }, deadlines.map(function (d, i) {
      return el("option", { value: String(i), text: d.date + " · " + t("rule." + d.rule) + " · " + d.document });
    }));
    var box = el("div");
    function draw() {
      box.textContent = "";
      E.charts = E.charts.filter(function (c) { return !c.isDisposed(); });
      var d = deadlines[Number(sel.value)];
      var field = (d && RULE_FIELD[d.rule]) || "open_violations";
      var data = pts(series, field);
      var s = [{ name: t("col.open_violations") + (field !== "open_violations" ? " · " + t("rule." + d.rule) : ""), data: data }];
      var note = "";
      if (d && data.length) {
        var first = data[0], last = data[data.length - 1];
        s[0].markLine = { symbol: "none", label: { formatter: t("dash.deadline") + " " + d.date }, lineStyle: { color: "#b3261e", type: "dashed" }, data: [{ xAxis: d.date }] };
        if (d.date > first[0]) s.push({ name: t("dash.ideal"), data: [first, [d.date, 0]], lineStyle: { type: "dotted", color: "#188038" }, itemStyle: { color: "#188038" } });
        else note = t("dash.overdue", { date: d.date, n: last[1] });
      }
      if (!d) note = t("dash.nodeadline");
      box.appendChild(E.chart("burndown", timeChart(t("dash.burndown"), s)));
      if (note) box.appendChild(el("p", { class: "muted note", text: note }));
    }
    sel.addEventListener("change", draw);
    if (deadlines.length) holder.appendChild(el("div", { class: "filters" }, [el("label", null, [t("dash.deadline") + " ", sel])]));
    holder.appendChild(box);
    draw();
  }

  function byDay(snaps) {
    var m = {};
    snaps.forEach(function (s) { (m[s.department] = m[s.department] || []).push(s); });
    return m;
  }
  // ruleTotals counts open findings per rule from X-Total-Count (counted in
  // SQL; one row each): the page never downloads the findings themselves.
  function ruleTotals() {
    return Promise.all(E.RULES.map(function (r) {
      return E.api("/api/v1/violations?" + E.qs({ status: "open", rule: r, limit: 1 })).then(function (x) {
        return x.total === null ? E.list(x.body).length : x.total;
      }).catch(function () { return 0; });
    }));
  }

  E.pages.dashboard = function () {
    return Promise.all([E.loadDepartments(), E.get("/api/v1/progress"), ruleTotals(), E.needCharts(),
      E.api("/api/v1/agents?limit=100000").then(function (r) { return E.list(r.body); }).catch(function () { return []; }),
      E.get("/api/v1/deadlines").catch(function () { return []; })]).then(function (res) {
      var p = res[1] || {}, totals = res[2], agents = res[4], deadlines = E.list(res[5]);
      var latest = p.latest || [], series = p.series || [], district = p.district && p.district.length ? p.district : null;
      var deps = E.departments;
      var byDept = {};
      latest.forEach(function (s) { byDept[s.department] = s; });
      var clean = deps.filter(function (d) { return byDept[d.code] && !byDept[d.code].open_violations; }).length;
      var open = totals.reduce(function (a, b) { return a + b; }, 0);
      var covered = {};
      agents.forEach(function (a) { if (a.status !== "revoked") covered[a.department] = true; });
      var nCovered = deps.filter(function (d) { return covered[d.code]; }).length;
      var last = district ? district[district.length - 1] : null;
      function ratio(f) {
        if (last) return last[f];
        var xs = latest.map(function (s) { return s[f]; }).filter(function (x) { return typeof x === "number"; });
        return xs.length ? xs.reduce(function (a, b) { return a + b; }, 0) / xs.length : null;
      }
      var kpis = el("div", { class: "kpis" }, [
        kpi(t("kpi.clean"), clean + " / " + deps.length, null, clean === deps.length ? "good" : "bad"),
        kpi(t("kpi.open"), String(open), null, open ? "bad" : "good"),
        kpi(t("col.cloud_ratio"), E.pct(ratio("cloud_ratio"))), kpi(t("kpi.license"), E.pct(ratio("license_compliance"))),
        kpi(t("col.domestic_share"), E.pct(ratio("domestic_share"))), kpi(t("kpi.agents"), nCovered + " / " + deps.length, null, nCovered === deps.length ? "good" : "")]);
      var ruleChart = base(t("kpi.byrule"));
      ruleChart.tooltip = { trigger: "axis", axisPointer: { type: "shadow" } };
      ruleChart.grid.left = 8;
      ruleChart.xAxis = { type: "value", minInterval: 1 };
      ruleChart.yAxis = { type: "category", inverse: true, data: E.RULES.map(function (r) { return t("rule." + r); }) };
      ruleChart.series = [{ type: "bar", name: t("kpi.open"), data: totals, itemStyle: { color: "#b3261e" }, label: { show: true, position: "right" } }];

      var trend = district || series;
      var districtChart = timeChart(t("dash.district"), COUNTS.map(function (c) { return { name: t(c[1]), data: pts(trend, c[0]) }; }));
      var ratioChart = timeChart(t("dash.ratios"), RATIOS.map(function (c) { return { name: t(c[1]), data: pts(trend, c[0]) }; }), true);
      var per = byDay(series);
      var top = Object.keys(per).sort(function (a, b) { return ((byDept[b] || {}).open_violations || 0) - ((byDept[a] || {}).open_violations || 0); }).slice(0, 10);
      var deptChart = timeChart(t("dash.departments"), top.map(function (code) { return { name: code + " " + E.deptName(code), data: pts(per[code], "open_violations") }; }));
      var bd = el("div");
      setTimeout(function () { burnDown(trend, deadlines, bd); }, 0);

      var rows = deps.map(function (d) {
        var s = byDept[d.code] || {};
        return [E.link("#dept/" + encodeURIComponent(d.code), d.code), d.name || "", s.open_violations || 0, s.internet_egress || 0, s.private_links || 0,
          s.local_servers || 0, s.websites || 0, s.endpoints || 0, E.pct(s.cloud_ratio), s.date || "–"];
      });
      var sum = function (f) { return latest.reduce(function (a, s) { return a + (s[f] || 0); }, 0); };
      rows.push([t("overview.total"), "", sum("open_violations"), sum("internet_egress"), sum("private_links"), sum("local_servers"), sum("websites"), sum("endpoints"), last ? E.pct(last.cloud_ratio) : "", last ? last.date : ""]);
      return [
        E.card(t("overview.title"), [kpis]),
        el("div", { class: "grid2" }, [E.card("", [E.chart("rules", ruleChart)]), E.card("", [bd])]),
        el("div", { class: "grid2" }, [E.card("", [E.chart("district", districtChart)]), E.card("", [E.chart("ratios", ratioChart)])]),
        E.card("", [E.chart("departments", deptChart)]),
        E.card(t("overview.title"), [E.table([t("overview.code"), t("overview.name"), t("col.open_violations"), t("overview.egress"), t("col.private_links"),
          t("col.local_servers"), t("overview.websites"), t("col.endpoints"), t("col.cloud_ratio"), t("col.date")], rows, { rowClass: function (i) { return i === rows.length - 1 ? "total" : ""; }, cls: "overview" })])
      ];
    });
  };

  E.pages.dept = function (args) {
    var code = args[0] || (E.me && E.me.department) || "";
    return Promise.all([E.loadDepartments(), E.get("/api/v1/progress?" + E.qs({ department: code })), E.needCharts()]).then(function (res) {
      var p = res[1] || {}, series = p.series || [];
      var s = (p.latest || [])[0] || {};
      var kpis = el("div", { class: "kpis" }, [kpi(t("col.open_violations"), String(s.open_violations || 0), null, s.open_violations ? "bad" : "good"),
        kpi(t("overview.egress"), String(s.internet_egress || 0)), kpi(t("col.private_links"), String(s.private_links || 0)),
        kpi(t("col.local_servers"), String(s.local_servers || 0)), kpi(t("col.cloud_ratio"), E.pct(s.cloud_ratio)), kpi(t("kpi.license"), E.pct(s.license_compliance))]);
      return [
        E.card(t("dept.title", { name: code + " " + E.deptName(code) }), [kpis, el("p", { class: "links" }, [E.link("#topology/" + encodeURIComponent(code), t("dept.map")),
          E.can("agentconfig") ? " · " : null, E.can("agentconfig") ? E.link("#agentconfig/" + encodeURIComponent(code), t("nav.agentconfig")) : null])]),
        E.card(t("dept.history"), [E.chart("dept-history", timeChart(t("dept.history"), COUNTS.map(function (c) { return { name: t(c[1]), data: pts(series, c[0]) }; })))]),
        E.card(t("dept.findings"), [E.violationsList({ department: code, status: "open" }, false)]),
        E.card(t("dept.devices"), [E.devicesList(code, false)]),
        E.card(t("dept.endpoints"), [E.endpointsList(code, false)]),
        E.card(t("dept.software"), [E.softwareList(code)]),
        E.card(t("dept.agents"), [E.agentsList(code, false)])
      ];
    });
  };
})();
