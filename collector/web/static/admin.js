// Administration: users and roles (sysadmin) and each department's central
// agent configuration (sysadmin edits; a department administrator reads its
// own). SNMP secrets are never shown: the API answers "<secret:N>" for
// stored community N ("<secret>" for a v3 password) and keeps the stored
// item a placeholder names when it is sent back.
(function () {
  "use strict";
  var E = window.EGOV, t = E.t, el = E.el;
  var ROLES = ["sysadmin", "secadmin", "auditor", "dept-admin", "viewer"];
  function isSecret(v) { return typeof v === "string" && /^<secret(:\d+)?>$/.test(v); }

  function roleFields(u) {
    var deps = [{ value: "", label: "–" }].concat(E.departments.map(function (d) { return { value: d.code, label: d.code + " " + (d.name || "") }; }));
    return [
      { name: "role", label: t("u.role"), type: "select", value: u ? u.role : "viewer", options: ROLES.map(function (r) { return { value: r, label: t("ur." + r) }; }) },
      { name: "department", label: t("u.dept"), type: "select", value: u ? (u.department || "") : "", options: deps }];
  }

  E.pages.users = function () {
    return E.loadDepartments().then(function () {
      var lv;
      function act(u, what, path, method, body, done) {
        E.dialog(t("u." + what) + " · " + u.name, t("u.confirm." + what), what === "role" ? roleFields(u) : [], function (vals) {
          var json = what === "role" ? { role: vals.role, department: vals.role === "dept-admin" ? vals.department : "" } : body;
          return E.api("/api/v1/users/" + encodeURIComponent(u.name) + path, { method: method, json: json }).then(function (r) {
            lv.reload();
            return done ? done(r.body) : el("p", { class: "ok", text: t("u.done") });
          });
        }, t("u." + what));
      }
      function totpResult(b) {
        return el("div", { class: "totp" }, [el("p", { text: t("u.totp.once") }), el("code", { class: "uri", text: b.uri }),
          el("ul", { class: "codes" }, (b.recovery_codes || []).map(function (c) { return el("li", null, [el("code", { text: c })]); }))]);
      }
      function add() {
        E.dialog(t("u.add"), t("u.policy"), [{ name: "name", label: t("u.name"), required: true }].concat(roleFields(null),
          [{ name: "password", label: t("u.password"), type: "password", required: true }]), function (vals) {
          return E.api("/api/v1/users", { method: "POST", json: { name: vals.name.trim(), role: vals.role, department: vals.role === "dept-admin" ? vals.department : "", password: vals.password } }).then(function () {
            lv.reload();
            return el("p", { class: "ok", text: t("u.added", { name: vals.name.trim() }) });
          });
        }, t("u.add"));
      }
      lv = E.listView({ path: "/api/v1/users", cls: "users", filters: [el("button", { type: "button", class: "primary add-user", text: t("u.add"), onclick: add })], columns: [
        { label: t("u.name"), cell: function (u) { return u.name; } },
        { label: t("u.role"), cell: function (u) { return t("ur." + u.role); } },
        { label: t("col.department"), cell: function (u) { return u.department ? u.department + " " + E.deptName(u.department) : ""; } },
        { label: t("u.state"), cell: function (u) { return u.disabled ? E.badge("agent-revoked", t("u.disabled")) : E.badge("agent-ok", t("u.enabled")); } },
        { label: t("u.created"), cell: function (u) { return E.fmtTime(u.created_at); } },
        { label: t("v.actions"), cell: function (u) {
          if (E.me && u.name === E.me.name) return el("span", { class: "muted", text: t("u.self") });
          return el("span", { class: "acts" }, [
            el("button", { type: "button", class: "act role", text: t("u.role"), onclick: function () { act(u, "role", "/role", "PUT"); } }),
            u.disabled ? el("button", { type: "button", class: "act enable", text: t("u.enable"), onclick: function () { act(u, "enable", "/enable", "POST", {}); } })
              : el("button", { type: "button", class: "act disable", text: t("u.disable"), onclick: function () { act(u, "disable", "/disable", "POST", {}); } }),
            u.directory ? null : el("button", { type: "button", class: "act totp", text: t("u.totp"), onclick: function () { act(u, "totp", "/totp", "POST", {}, totpResult); } }),
            el("button", { type: "button", class: "act delete", text: t("u.delete"), onclick: function () { act(u, "delete", "", "DELETE"); } })]);
        } }] });
      return [E.card(t("u.title"), [el("p", { class: "muted", text: t("u.hint") }), lv])];
    });
  };

  // secretRows edits a list of stored secrets: each shows "set" and may be
  // replaced or removed; new ones are typed in. A kept row sends back its
  // own placeholder ("<secret:N>"), so removing another row never shifts
  // which stored secret it keeps.
  function secretRows(values, label) {
    var box = el("div", { class: "secrets" });
    var rows = [];
    function addRow(v) {
      var stored = isSecret(v);
      var inp = el("input", { type: "password", class: "secret", placeholder: stored ? t("ac.keep") : t("ac.new"), autocomplete: "off" });
      var row = { stored: stored ? v : "", input: inp, removed: false };
      var state = el("span", { class: stored ? "badge-set" : "muted", text: stored ? t("ac.set") : "" });
      var rm = el("button", { type: "button", class: "act clear", text: t("ac.clear"), onclick: function () { row.removed = true; line.remove(); } });
      var line = el("div", { class: "secret-row" }, [el("span", { text: label + " " }), state, inp, rm]);
      rows.push(row);
      box.appendChild(line);
    }
    values.forEach(addRow);
    var more = el("button", { type: "button", class: "act add-secret", text: t("ac.add"), onclick: function () { addRow(""); } });
    return { node: el("div", null, [box, more]), value: function () {
      var out = [];
      rows.forEach(function (r) {
        if (r.removed) return;
        if (r.input.value) out.push(r.input.value);
        else if (r.stored) out.push(r.stored);
      });
      return out;
    }, reset: function (vs) {
      // after a save the placeholders refer to the new stored list
      rows = [];
      box.textContent = "";
      (vs || []).forEach(addRow);
    } };
  }
  // v3Rows edits SNMPv3 users: a stored password shows as "set" and is
  // kept unless a new one is typed; a user may be removed or added.
  var AUTH = ["", "MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"], PRIV = ["", "DES", "AES", "AES192", "AES256", "AES192C", "AES256C"];
  function v3Rows(users) {
    var box = el("div", { class: "v3-users" });
    var rows = [];
    function sel(opts, v, name) {
      var s = el("select", { name: name }, opts.map(function (o) { return el("option", { value: o, text: o || "–" }); }));
      s.value = v || "";
      return s;
    }
    function pass(v, name) {
      return el("input", { type: "password", name: name, autocomplete: "off", class: "secret", placeholder: isSecret(v) ? t("ac.keep") : "" });
    }
    function addRow(u) {
      u = u || {};
      var r = { stored: u, removed: false, user: el("input", { name: "v3user", value: u.user || "", placeholder: t("ac.v3user") }),
        ap: sel(AUTH, u.auth_proto, "auth_proto"), apw: pass(u.auth_pass, "auth_pass"), pp: sel(PRIV, u.priv_proto, "priv_proto"), ppw: pass(u.priv_pass, "priv_pass") };
      if (u.user) r.user.value = u.user;
      var set = el("span", { class: "badge-set", text: (u.auth_pass || u.priv_pass) ? t("ac.set") : "" });
      var line = el("div", { class: "secret-row v3" }, [r.user, r.ap, r.apw, r.pp, r.ppw, set,
        el("button", { type: "button", class: "act clear", text: t("ac.clear"), onclick: function () { r.removed = true; line.remove(); } })]);
      rows.push(r);
      box.appendChild(line);
    }
    (users || []).forEach(addRow);
    return { node: el("div", null, [el("p", { class: "muted", text: t("ac.v3") }), box,
      el("button", { type: "button", class: "act add-v3", text: t("ac.addv3"), onclick: function () { addRow(null); } })]), value: function () {
      var out = [];
      rows.forEach(function (r) {
        var name = r.user.value.trim();
        if (r.removed || !name) return;
        var same = r.stored.user === name;
        out.push({ user: name, auth_proto: r.ap.value, priv_proto: r.pp.value, context: r.stored.context || "",
          auth_pass: r.apw.value || (same && isSecret(r.stored.auth_pass) && r.ap.value ? r.stored.auth_pass : ""),
          priv_pass: r.ppw.value || (same && isSecret(r.stored.priv_pass) && r.pp.value ? r.stored.priv_pass : "") });
      });
      return out;
    }, reset: function (us) {
      rows = [];
      box.textContent = "";
      (us || []).forEach(addRow);
    } };
  }
  function csv(xs) { return (xs || []).join(", "); }
  function split(s) { return s.split(/[\s,]+/).filter(function (x) { return x; }); }

  E.pages.agentconfig = function (args) {
    return E.loadDepartments().then(function () {
      var code = args[0] || (E.me && E.me.department) || (E.departments[0] && E.departments[0].code) || "";
      var sel = E.deptSelect(code, function (d) { location.hash = "#agentconfig/" + encodeURIComponent(d); }, false);
      var write = E.can("agentconfig.write");
      return E.api("/api/v1/departments/" + encodeURIComponent(code) + "/agent-config").then(function (r) {
        var c = r.body || {};
        var scope = c.scope || {}, snmp = c.snmp || {}, sched = c.schedule || {};
        var f = {
          targets: el("textarea", { name: "targets", rows: "2", class: "targets" }), ports: el("input", { name: "ports", class: "ports" }),
          paths: el("input", { name: "paths" }), interval: el("input", { name: "interval" }), jitter: el("input", { name: "jitter", type: "number", step: "0.05", min: "0", max: "1" })
        };
        f.targets.value = csv(scope.targets); f.ports.value = csv(scope.ports); f.paths.value = csv((c.paths || {}).targets);
        f.interval.value = sched.interval || ""; f.jitter.value = sched.jitter === undefined ? "" : String(sched.jitter);
        var comm = secretRows(snmp.communities || [], t("ac.community"));
        var v3 = (snmp.v3 || []).map(function (u) {
          return el("li", null, [u.user + " · " + (u.auth_proto || "–") + "/" + (u.priv_proto || "–") + " · ",
            el("span", { class: "badge-set", text: (u.auth_pass || u.priv_pass) ? t("ac.set") : t("ac.unset") })]);
        });
        var v3edit = v3Rows(snmp.v3 || []);
        var msg = el("p", { class: "result", role: "status" });
        Object.keys(f).forEach(function (k) { f[k].disabled = !write; });
        var form = el("form", { class: "agent-config" }, [
          el("label", null, [el("span", { text: t("ac.targets") }), f.targets]),
          el("p", { class: "muted", text: t("ac.targets.hint") }),
          el("label", null, [el("span", { text: t("ac.ports") }), f.ports]),
          el("label", null, [el("span", { text: t("ac.paths") }), f.paths]),
          el("label", null, [el("span", { text: t("ac.interval") }), f.interval]),
          el("label", null, [el("span", { text: t("ac.jitter") }), f.jitter]),
          el("fieldset", null, [el("legend", { text: t("ac.snmp") }), write ? comm.node : el("p", { text: t("ac.community") + " " + ((snmp.communities || []).length ? t("ac.set") + " × " + snmp.communities.length : t("ac.unset")) }),
            write ? v3edit.node : (v3.length ? el("ul", { class: "v3" }, v3) : null)]),
          write ? el("button", { type: "submit", class: "primary save", text: t("ac.save") }) : el("p", { class: "muted", text: t("ac.readonly") }),
          msg]);
        form.addEventListener("submit", function (ev) {
          ev.preventDefault();
          msg.textContent = ""; msg.className = "result";
          var body = { version: c.version || 0, department: code, profile: c.profile || "network",
            scope: { targets: split(f.targets.value), ports: split(f.ports.value).map(Number) },
            snmp: { communities: comm.value(), v3: v3edit.value() }, paths: { targets: split(f.paths.value) },
            schedule: { interval: f.interval.value.trim(), jitter: f.jitter.value === "" ? 0 : Number(f.jitter.value) }, scan_now: false };
          E.api("/api/v1/departments/" + encodeURIComponent(code) + "/agent-config", { method: "PUT", json: body }).then(function (res) {
            c = res.body || c;
            comm.reset((c.snmp || {}).communities);
            v3edit.reset((c.snmp || {}).v3);
            msg.className = "result ok";
            msg.textContent = t("ac.saved", { v: c.version });
          }).catch(function (e) {
            msg.className = "result error";
            if (e.status === 409) {
              msg.textContent = t("ac.conflict", { v: (e.detail || {}).version });
              return;
            }
            msg.textContent = t("common.error") + e.message + (e.detail ? " " + JSON.stringify(e.detail) : "");
          });
        });
        return [E.card(t("ac.title") + " · " + code + " " + E.deptName(code), [el("div", { class: "filters" }, [sel,
          el("span", { class: "muted", text: t("ac.version", { v: c.version || 0 }) })]), form]),
          E.card(t("dept.agents"), [E.agentsList(code, false)])];
      }).catch(function (e) {
        if (String(e.message) === "401") throw e;
        return [E.card(t("ac.title") + " · " + code, [el("div", { class: "filters" }, [sel]),
          el("p", { class: e.status === 403 ? "muted" : "error", text: e.status === 403 ? t("ac.forbidden") : t("common.error") + e.message })])];
      });
    });
  };
})();
