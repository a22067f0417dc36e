// Inventory pages: endpoints (with switch-port location and address moves),
// devices and one device's tables, scan reports, agents, users, audit log.
(function () {
  "use strict";
  var E = window.EGOV, t = E.t, el = E.el;

  function loc(l) {
    if (!l) return "";
    return E.link("#device/" + encodeURIComponent(l.device_id), l.device + " " + l.port + (l.vlan ? " · VLAN " + l.vlan : ""));
  }
  function moves(e) {
    if (!e.mac) return;
    E.get("/api/v1/endpoints/history?" + E.qs({ department: e.department, mac: e.mac })).then(function (h) {
      var rows = (h.addresses || []).map(function (a) { return [a.ip, E.fmtTime(a.first_seen), E.fmtTime(a.last_seen)]; });
      E.dialog(t("e.moves") + " · " + e.mac, rows.length > 1 ? "" : t("e.moves.none"), [], function () { return null; }, t("common.close"));
      var body = document.querySelector(".modal .result");
      body.appendChild(E.table([t("e.ip"), t("col.first_seen"), t("col.last_seen")], rows));
    });
  }
  E.endpointsList = function (dept, withDeptFilter) {
    var holder = el("div");
    function build(d) {
      holder.textContent = "";
      holder.appendChild(E.listView({
        path: "/api/v1/endpoints", params: { department: d }, sort: "ip",
        filters: withDeptFilter ? [E.deptSelect(d, build)] : [],
        columns: [
          { label: t("e.ip"), sort: "ip", cell: function (e) { return e.mac ? el("a", { href: "#", class: "moves", text: e.ip, onclick: function (ev) { ev.preventDefault(); moves(e); } }) : e.ip; } },
          { label: t("e.mac"), sort: "mac", cell: function (e) { return e.mac || ""; } },
          { label: t("e.hostname"), sort: "hostname", cell: function (e) { return e.hostname || ""; } },
          { label: t("col.vendor"), sort: "vendor", cell: function (e) { return e.vendor || ""; } },
          { label: t("e.role"), sort: "role", cell: function (e) { return t("role." + (e.role || "unknown")); } },
          { label: t("e.location"), cell: function (e) { return loc(e.location); } },
          { label: t("e.ports"), cell: function (e) { return (e.open_ports || []).join(", "); } },
          { label: t("e.seen"), cell: function (e) { return (e.seen_by || []).join(", "); } },
          { label: t("e.http"), cell: function (e) { return (e.http || []).map(function (h) { return h.title; }).join(" | "); } },
          { label: t("col.first_seen"), sort: "first_seen", cell: function (e) { return E.fmtTime(e.first_seen); } },
          { label: t("col.last_seen"), sort: "last_seen", cell: function (e) { return E.fmtTime(e.last_seen); } }
        ]
      }));
    }
    build(dept);
    return holder;
  };
  E.pages.endpoints = function (args, q) {
    return E.loadDepartments().then(function () {
      var d = q.department || (E.can("all-departments") ? "" : (E.me && E.me.department) || "");
      return [E.card(t("e.title"), [E.endpointsList(d, true)])];
    });
  };

  E.devicesList = function (dept, withDeptFilter) {
    var holder = el("div");
    function build(d) {
      holder.textContent = "";
      holder.appendChild(E.listView({
        path: "/api/v1/devices", params: { department: d },
        filters: withDeptFilter ? [E.deptSelect(d, build)] : [],
        columns: [
          { label: t("d.name"), sort: "name", cell: function (x) { return E.link("#device/" + encodeURIComponent(x.id), x.name || x.target); } },
          { label: t("col.department"), sort: "department", cell: function (x) { return x.department; } },
          { label: t("d.target"), sort: "target", cell: function (x) { return x.target; } },
          { label: t("col.vendor"), sort: "vendor", cell: function (x) { return x.vendor; } },
          { label: t("d.model"), sort: "model", cell: function (x) { return x.model; } },
          { label: t("d.serial"), sort: "serial", cell: function (x) { return x.serial; } },
          { label: t("d.interfaces"), sort: "interfaces", cell: function (x) { return x.interfaces; } },
          { label: t("d.routes"), sort: "routes", cell: function (x) { return x.routes; } },
          { label: t("d.neighbors"), sort: "neighbors", cell: function (x) { return x.neighbors; } },
          { label: t("d.fdb"), sort: "fdb", cell: function (x) { return x.fdb; } },
          { label: t("col.last_seen"), sort: "last_seen", cell: function (x) { return E.fmtTime(x.last_seen); } }
        ]
      }));
    }
    build(dept);
    return holder;
  };
  E.pages.devices = function (args, q) {
    return E.loadDepartments().then(function () {
      return [E.card(t("d.title"), [E.devicesList(q.department || "", true)])];
    });
  };

  function status(n) { return n === 1 ? t("st.up") : n === 2 ? t("st.down") : n === 3 ? t("st.testing") : String(n || ""); }
  function speed(b) { if (!b) return ""; if (b >= 1e9) return (b / 1e9) + " Gbit/s"; if (b >= 1e6) return (b / 1e6) + " Mbit/s"; return b + " bit/s"; }
  var PROTO = { 1: "other", 2: "local", 3: "netmgmt", 4: "icmp", 8: "rip", 9: "is-is", 13: "ospf", 14: "bgp" };
  var CLASS = { 1: "other", 2: "unknown", 3: "chassis", 4: "backplane", 5: "container", 6: "powerSupply", 7: "fan", 8: "sensor", 9: "module", 10: "port", 11: "stack", 12: "cpu" };
  function local(title, rows, columns) {
    return E.card(title + " (" + rows.length + ")", [E.listView({ local: rows, columns: columns, pageSize: 25 })], "sub");
  }
  function col(label, f, sort) { return { label: label, cell: f, sort: sort, value: f }; }

  E.pages.device = function (args) {
    return Promise.all([E.loadDepartments(), E.get("/api/v1/devices/" + encodeURIComponent(args[0]))]).then(function (res) {
      var d = res[1], s = d.system || {};
      var ifn = {};
      (d.interfaces || []).forEach(function (i) { ifn[i.index] = i.name || i.descr || String(i.index); });
      function port(i) { return i ? (ifn[i] || "ifIndex " + i) : ""; }
      var facts = [[t("d.name"), s.name], [t("col.department"), d.department + " " + E.deptName(d.department)], [t("d.target"), d.target],
        [t("col.vendor"), d.vendor], [t("d.model"), d.model], [t("d.serial"), d.serial], [t("d.descr"), s.descr], [t("d.oid"), s.object_id],
        [t("d.location"), s.location], [t("d.contact"), s.contact], [t("col.first_seen"), E.fmtTime(d.first_seen)], [t("col.last_seen"), E.fmtTime(d.last_seen)]];
      return [
        E.card(t("d.title") + " · " + (s.name || d.target), [el("dl", { class: "facts" }, facts.reduce(function (acc, f) {
          return acc.concat([el("dt", { text: f[0] }), el("dd", { text: f[1] || "–" })]);
        }, [])), E.link("#topology/" + encodeURIComponent(d.department), t("dept.map"))]),
        local(t("d.interfaces"), d.interfaces || [], [col(t("if.index"), function (i) { return i.index; }, "index"), col(t("if.name"), function (i) { return i.name || i.descr; }, "name"),
          col(t("if.alias"), function (i) { return i.alias; }), col(t("if.type"), function (i) { return i.type; }), col(t("if.speed"), function (i) { return speed(i.speed_bps); }),
          col(t("e.mac"), function (i) { return i.mac; }), col(t("if.admin"), function (i) { return status(i.admin_status); }), col(t("if.oper"), function (i) { return status(i.oper_status); }, "oper")]),
        local(t("d.addresses"), d.ip_addresses || [], [col(t("e.ip"), function (a) { return a.address + "/" + a.prefix_len; }, "a"), col(t("r.if"), function (a) { return port(a.if_index); })]),
        local(t("d.routes"), d.routes || [], [col(t("r.dest"), function (r) { return r.destination; }, "dest"), col(t("r.nexthop"), function (r) { return r.next_hop; }, "nh"),
          col(t("r.if"), function (r) { return port(r.if_index); }), col(t("r.proto"), function (r) { return PROTO[r.protocol] || String(r.protocol); }, "p"),
          col(t("r.vrf"), function (r) { return r.vrf || t("r.global"); }, "vrf")]),
        local(t("d.neighbors"), d.neighbors || [], [col(t("n.proto"), function (n) { return n.protocol.toUpperCase(); }), col(t("n.local"), function (n) { return port(n.local_if_index); }),
          col(t("n.remote"), function (n) { return n.sys_name; }, "r"), col(t("n.port"), function (n) { return n.port_id; }), col(t("n.addr"), function (n) { return n.address; }),
          col(t("n.chassis"), function (n) { return n.chassis_id; })]),
        local(t("d.fdb"), d.fdb || [], [col(t("e.mac"), function (f) { return f.mac; }, "mac"), col(t("f.vlan"), function (f) { return f.vlan; }, "vlan"),
          col(t("f.port"), function (f) { return port(f.if_index); }, "port"), col(t("f.bridge"), function (f) { return f.bridge_port; }), col(t("col.status"), function (f) { return f.status; })]),
        local(t("d.vlans"), d.vlans || [], [col("ID", function (v) { return v.id; }, "id"), col(t("s.name"), function (v) { return v.name; }, "name"),
          col(t("d.interfaces"), function (v) { return (v.ports || []).map(port).join(", "); })]),
        local(t("d.entities"), d.entities || [], [col(t("if.index"), function (x) { return x.index; }, "i"), col(t("en.class"), function (x) { return CLASS[x.class] || String(x.class); }),
          col(t("s.name"), function (x) { return x.name; }), col(t("en.descr"), function (x) { return x.descr; }), col(t("d.model"), function (x) { return x.model; }),
          col(t("d.serial"), function (x) { return x.serial; }), col(t("en.hw"), function (x) { return x.hardware_rev; }), col(t("en.fw"), function (x) { return x.firmware_rev; }),
          col(t("en.sw"), function (x) { return x.software_rev; }), col(t("en.mfg"), function (x) { return x.mfg_name; })]),
        local(t("d.vrfs"), d.vrfs || [], [col(t("s.name"), function (v) { return v.name; }), col(t("vrf.rd"), function (v) { return v.rd; }),
          col(t("vrf.ifs"), function (v) { return (v.if_indexes || []).map(port).join(", "); })]),
        local(t("d.arp"), d.arp || [], [col(t("e.ip"), function (a) { return a.ip; }, "ip"), col(t("e.mac"), function (a) { return a.mac; }, "mac"), col(t("r.if"), function (a) { return port(a.if_index); })]),
        local(t("d.history"), d.history || [], [col(t("h.at"), function (h) { return E.fmtTime(h.at); }), col(t("h.change"), function (h) { return t("chg." + h.change); }, "c"),
          col(t("h.detail"), function (h) { return h.detail; })])
      ];
    });
  };

  E.pages.reports = function (args, q) {
    return E.loadDepartments().then(function () {
      var holder = el("div");
      function build(d) {
        holder.textContent = "";
        holder.appendChild(E.listView({ path: "/api/v1/reports", params: { department: d }, filters: [E.deptSelect(d, build)], columns: [
          { label: t("r.id"), cell: function (r) { return r.report_id; } },
          { label: t("col.department"), sort: "department", cell: function (r) { return r.department; } },
          { label: t("r.agent"), sort: "agent_id", cell: function (r) { return r.agent_id; } },
          { label: t("col.endpoints"), sort: "endpoints", cell: function (r) { return r.endpoints; } },
          { label: t("r.finished"), sort: "finished_at", cell: function (r) { return E.fmtTime(r.finished_at); } },
          { label: t("r.received"), sort: "received_at", cell: function (r) { return E.fmtTime(r.received_at); } }] }));
      }
      build(q.department || "");
      return [E.card(t("r.title"), [holder])];
    });
  };

  E.agentsList = function (dept, withDeptFilter) {
    var holder = el("div"), lv;
    function revoke(a) {
      E.dialog(t("a.revoke") + " · " + a.hostname, t("a.confirm"), [], function () {
        return E.api("/api/v1/agents/" + encodeURIComponent(a.id) + "/revoke", { method: "POST", json: {} }).then(function () {
          lv.reload();
          return el("p", { text: t("a.revoked") });
        });
      }, t("a.revoke"));
    }
    function scan(a, btn) {
      btn.disabled = true;
      E.api("/api/v1/agents/" + encodeURIComponent(a.id) + "/scan", { method: "POST", json: {} }).then(function () {
        btn.replaceWith(el("span", { class: "ok scan-queued", text: t("a.scanqueued") }));
      }).catch(function (e) { btn.disabled = false; btn.title = e.message; btn.classList.add("error"); });
    }
    function build(d) {
      holder.textContent = "";
      lv = E.listView({ path: "/api/v1/agents", params: { department: d }, filters: withDeptFilter ? [E.deptSelect(d, build)] : [], columns: [
        { label: t("a.hostname"), cell: function (a) { return a.hostname; } },
        { label: t("col.department"), cell: function (a) { return a.department; } },
        { label: t("col.version"), cell: function (a) { return a.version; } },
        { label: t("col.status"), cell: function (a) { return a.status ? E.badge("agent-" + a.status, t("as." + a.status)) : ""; } },
        { label: t("a.last"), cell: function (a) { return E.fmtTime(a.last_seen); } },
        { label: t("a.enrolled"), cell: function (a) { return E.fmtTime(a.enrolled_at); } },
        { label: t("a.id"), cell: function (a) { return a.id; } },
        { label: t("v.actions"), cell: function (a) {
          if (a.status === "revoked") return "";
          var b = E.can("agents.scan") ? el("button", { type: "button", class: "act scan", text: t("a.scan") }) : null;
          if (b) b.addEventListener("click", function () { scan(a, b); });
          return el("span", { class: "acts" }, [b, E.can("agents.revoke") ? el("button", { type: "button", class: "act revoke", text: t("a.revoke"), onclick: function () { revoke(a); } }) : null]);
        } }] });
      holder.appendChild(lv);
    }
    build(dept);
    return holder;
  };
  E.pages.agents = function (args, q) {
    return E.loadDepartments().then(function () { return [E.card(t("a.title"), [E.agentsList(q.department || "", true)])]; });
  };

  E.pages.audit = function (args, q) {
    var since = el("input", { type: "date", class: "since", value: q.since || "" });
    var holder = el("div");
    function build() {
      holder.textContent = "";
      holder.appendChild(E.listView({ path: "/api/v1/auditlog", params: { since: since.value ? since.value + "T00:00:00+08:00" : "" },
        filters: [el("label", null, [t("al.since") + " ", since])], columns: [
          { label: t("al.seq"), cell: function (a) { return a.seq; } },
          { label: t("al.at"), cell: function (a) { return E.fmtTime(a.at); } },
          { label: t("al.actor"), cell: function (a) { return a.actor; } },
          { label: t("al.action"), cell: function (a) { return a.action; } },
          { label: t("al.target"), cell: function (a) { return a.target; } },
          { label: t("al.outcome"), cell: function (a) { return a.outcome; } },
          { label: t("al.hash"), cell: function (a) { return el("code", { text: String(a.hash || "").slice(0, 12) }); } }] }));
    }
    since.addEventListener("change", build);
    build();
    return Promise.resolve([E.card(t("al.title"), [holder])]);
  };
})();
