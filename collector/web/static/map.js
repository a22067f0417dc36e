// The department map: GET /api/v1/topology drawn as an ECharts force graph.
// Nodes with open findings, rogue exits and flagged private networks are red.
(function () {
  "use strict";
  var E = window.EGOV, t = E.t, el = E.el;
  var KINDS = ["device", "endpoint", "segment", "exit", "private-network", "extranet", "internet"];
  var COLOR = { device: "#1a73e8", endpoint: "#5f6368", segment: "#188038", exit: "#00838f", "private-network": "#e8710a", extranet: "#0b8043", internet: "#37474f" };
  var SIZE = { device: 26, endpoint: 10, segment: 30, exit: 28, "private-network": 30, extranet: 36, internet: 40 };
  var SYMBOL = { device: "rect", endpoint: "circle", segment: "roundRect", exit: "diamond", "private-network": "triangle", extranet: "circle", internet: "circle" };
  var EDGE = { lldp: { color: "#1a73e8", width: 2, type: "solid" }, cdp: { color: "#1a73e8", width: 2, type: "solid" }, fdb: { color: "#9aa0a6", width: 1, type: "solid" },
    route: { color: "#e8710a", width: 1.5, type: "dashed" }, path: { color: "#00838f", width: 1.5, type: "dotted" }, link: { color: "#bdc1c6", width: 1, type: "solid" } };

  // Tooltips are HTML in ECharts: server text is escaped first.
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c]; }); }
  // layout places nodes with Fruchterman-Reingold before drawing: ECharts'
  // own force layout re-renders on each of its ~500 steps and froze the page
  // for seconds on a 300-node map; this computes positions only (~0.1 s).
  function layout(g) {
    var n = g.nodes.length, W = 1000, H = 620, k = Math.sqrt(W * H / Math.max(n, 1)) * 0.9;
    var idx = {}, x = new Float64Array(n), y = new Float64Array(n), dx = new Float64Array(n), dy = new Float64Array(n);
    g.nodes.forEach(function (node, i) {
      idx[node.id] = i;
      var a = i * 2.399963, r = 40 + 260 * Math.sqrt((i + 0.5) / n); // golden-angle spiral: deterministic start
      x[i] = W / 2 + r * Math.cos(a); y[i] = H / 2 + r * Math.sin(a);
    });
    var edges = g.edges.map(function (e) { return [idx[e.from], idx[e.to]]; }).filter(function (e) { return e[0] !== undefined && e[1] !== undefined; });
    var temp = W / 8;
    for (var it = 0; it < 250; it++) {
      dx.fill(0); dy.fill(0);
      for (var i = 0; i < n; i++) for (var j = i + 1; j < n; j++) {
        var ddx = x[i] - x[j], ddy = y[i] - y[j], d2 = ddx * ddx + ddy * ddy + 0.01, f = k * k / d2;
        dx[i] += ddx * f; dy[i] += ddy * f; dx[j] -= ddx * f; dy[j] -= ddy * f;
      }
      edges.forEach(function (e) {
        var a = e[0], b = e[1], ddx = x[a] - x[b], ddy = y[a] - y[b], d = Math.sqrt(ddx * ddx + ddy * ddy) + 0.01, f = d / k;
        dx[a] -= ddx * f; dy[a] -= ddy * f; dx[b] += ddx * f; dy[b] += ddy * f;
      });
      for (i = 0; i < n; i++) {
        dx[i] += (W / 2 - x[i]) * 0.02; dy[i] += (H / 2 - y[i]) * 0.02; // gravity keeps islands in view
        var len = Math.sqrt(dx[i] * dx[i] + dy[i] * dy[i]) + 0.01, step = Math.min(len, temp);
        x[i] += dx[i] / len * step; y[i] += dy[i] / len * step;
      }
      temp *= 0.985;
    }
    return { x: x, y: y };
  }
  function option(g) {
    var pos = layout(g);
    var nodes = g.nodes.map(function (n, i) {
      var red = n.violations.length > 0 || n.role === "rogue";
      var label = (n.kind === "extranet" || n.kind === "internet" ? t("t." + n.kind) : n.label) + (n.role ? " · " + t("t." + n.role) : "");
      return { id: n.id, name: n.id, value: n.violations.length, x: pos.x[i], y: pos.y[i], category: KINDS.indexOf(n.kind), symbol: SYMBOL[n.kind], symbolSize: SIZE[n.kind] + (red ? 6 : 0),
        itemStyle: { color: red ? "#d93025" : n.role === "classified" ? "#7b1fa2" : n.role === "sanctioned" ? "#188038" : COLOR[n.kind], borderColor: red ? "#7f0000" : "#fff", borderWidth: red ? 3 : 1 },
        label: { show: n.kind !== "endpoint" || red, formatter: label.replace(/[{}|]/g, " "), color: red ? "#b3261e" : "#1d2733", fontWeight: red ? "bold" : "normal" },
        tooltip: { formatter: function () { return esc(t("t." + n.kind) + "：" + label) + (n.violations.length ? "<br>" + t("t.findings") + "：" + n.violations.length : ""); } },
        raw: n };
    });
    var links = g.edges.map(function (e) {
      var s = EDGE[e.kind] || EDGE.link;
      return { source: e.from, target: e.to, lineStyle: { color: s.color, width: s.width, type: s.type }, tooltip: { formatter: t("edge." + e.kind) } };
    });
    return { animation: false, tooltip: { confine: true },
      legend: { data: KINDS.map(function (k) { return t("t." + k); }), top: 4, left: 8 },
      series: [{ type: "graph", layout: "none", roam: true, draggable: true, data: nodes, links: links,
        categories: KINDS.map(function (k) { return { name: t("t." + k), itemStyle: { color: COLOR[k] } }; }),
        label: { position: "right", fontSize: 11 }, emphasis: { focus: "adjacency" }, lineStyle: { opacity: 0.9, curveness: 0.05 } }] };
  }

  function findingsPanel(n, box) {
    box.textContent = "";
    if (!n.violations.length) return;
    box.appendChild(el("h3", { text: t("t.findings") + " · " + n.label }));
    var ul = el("ul");
    box.appendChild(ul);
    n.violations.forEach(function (id) {
      E.get("/api/v1/violations/" + encodeURIComponent(id)).then(function (v) {
        ul.appendChild(el("li", null, [E.badge("sev-" + v.severity, t("sev." + v.severity)), " " + t("rule." + v.rule) + " · " + v.subject + " · " + t("st." + v.status)]));
      }).catch(function () { ul.appendChild(el("li", { text: id })); });
    });
  }

  E.pages.topology = function (args) {
    return E.loadDepartments().then(function () {
      var code = args[0] || (E.me && E.me.department) || (E.departments[0] && E.departments[0].code) || "";
      var sel = E.deptSelect(code, function (d) { location.hash = "#topology/" + encodeURIComponent(d); }, false);
      return Promise.all([E.get("/api/v1/topology?" + E.qs({ department: code })), E.needCharts()]).then(function (res) {
        var g = res[0];
        var panel = el("div", { class: "map-panel" });
        var chart = E.chart("map", option(g));
        setTimeout(function () {
          if (!chart.echart) return;
          chart.echart.on("click", function (p) {
            if (p.dataType !== "node") return;
            var n = p.data.raw;
            if (n.kind === "device" && n.id.indexOf("device:neighbor:") !== 0) { location.hash = "#device/" + encodeURIComponent(n.id.slice(7)); return; }
            findingsPanel(n, panel);
          });
        }, 10);
        var flagged = g.nodes.filter(function (n) { return n.violations.length; });
        var list = el("ul", { class: "flagged" }, flagged.map(function (n) {
          return el("li", null, [E.badge("dot-red", "●"), " " + t("t." + n.kind) + " " + n.label + (n.role ? " (" + t("t." + n.role) + ")" : "") + " · " + n.violations.length]);
        }));
        return [E.card(t("t.title") + " · " + code + " " + E.deptName(code), [el("div", { class: "filters" }, [sel, el("span", { class: "muted", text: t("t.hint") })]), chart,
          g.truncated ? el("p", { class: "muted", text: t("t.truncated", { n: g.truncated }) }) : null, list, panel])];
      });
    });
  };
})();
