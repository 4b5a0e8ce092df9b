/* The staff reports page (统计报表): log in (static/staff/session.js), pick a day and a
 * grouping, read the table, download it as CSV, and record the follow-up of each bad rating.
 *
 * Everything comes from the JSON API with the bearer token; the CSV is fetched with the token
 * too (a plain link cannot carry it) and handed to the browser as a download.
 */
(function () {
  "use strict";

  var settings = JSON.parse(document.getElementById("reports-settings").textContent);
  var session = QmsStaff.load(settings.hall);
  var api = QmsStaff.client({
    session: function () { return session; },
    login: settings.login,
    loggedOut: function () { logout("登录已失效，请重新登录。Your login has expired; please log in again."); },
  });

  function $(id) { return document.getElementById(id); }

  function say(text, kind) {
    $("message").textContent = text || "";
    $("message").className = "message " + (kind || "");
  }

  function fail(err) {
    if (err instanceof QmsStaff.LoggedOut) return;
    say("未成功 Not done: " + err.message, "error");
  }

  function show(view) {
    $("login-view").hidden = view !== "login";
    $("report-view").hidden = view !== "report";
    $("logout").hidden = view === "login";
    $("who").textContent = session ? session.name + "（" + session.username + "）" : "";
  }

  function logout(reason) {
    session = null;
    QmsStaff.save(settings.hall, null);
    $("password").value = "";
    show("login");
    $("login-view").appendChild($("message"));
    say(reason, "error");
  }

  QmsStaff.bindLoginForm(api, settings.login, function (data) {
    session = data;
    QmsStaff.save(settings.hall, session);
    say("");
    open();
  }, function (message) { say(message, "error"); });

  $("logout").addEventListener("click", function () { logout(""); });

  // -- the report ----------------------------------------------------------------------------

  function query() { return "?day=" + encodeURIComponent($("day").value) + "&by=" + encodeURIComponent($("by").value); }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "—" : String(text);
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  /** The one row of an empty table body, across as many columns as its table's header has. */
  function nothing(body, text) {
    var tr = document.createElement("tr");
    cell(tr, text, "muted").colSpan = body.parentNode.tHead.rows[0].cells.length;
    body.appendChild(tr);
  }

  function pair(a, b) { return (a === null ? "—" : a) + " / " + (b === null ? "—" : b); }

  function load() {
    say("");
    var q = query();
    var report = api("GET", settings.report + q).then(function (data) {
      var body = $("rows");
      body.innerHTML = "";
      $("caption").textContent = data.day;
      if (data.rows.length === 0) nothing(body, "当天没有数据 Nothing on this day");
      data.rows.forEach(function (r) {
        var tr = document.createElement("tr");
        tr.dataset.key = r.key;
        cell(tr, r.name || r.key);
        cell(tr, r.tickets, "num");
        cell(tr, r.finished, "num");
        cell(tr, r.no_shows, "num");
        cell(tr, r.cancelled, "num");
        cell(tr, pair(r.wait_p50, r.wait_p90), "num");
        cell(tr, pair(r.handling_p50, r.handling_p90), "num");
        cell(tr, r.ratings, "num");
        cell(tr, r.bad_ratings, r.bad_ratings ? "num bad" : "num");
        cell(tr, r.good_share === null ? null : Math.round(r.good_share * 1000) / 10 + "%", "num");
        body.appendChild(tr);
      });
    });
    var bad = api("GET", settings.bad + "?day=" + encodeURIComponent($("day").value)).then(function (data) {
      var body = $("bad");
      body.innerHTML = "";
      if (data.ratings.length === 0) nothing(body, "当天没有差评 No bad ratings on this day");
      data.ratings.forEach(function (r) { body.appendChild(badRow(r)); });
    });
    return Promise.all([report, bad]).catch(fail);
  }

  function badRow(r) {
    var tr = document.createElement("tr");
    tr.dataset.rating = r.id;
    tr.dataset.status = r.follow_up.status;
    cell(tr, r.at.slice(11, 16), "num");
    cell(tr, r.number, "num");
    cell(tr, r.window_name + " · " + (r.staff_name || "—"));
    cell(tr, r.service_name);
    cell(tr, r.label, "bad");
    var f = r.follow_up, names = settings.statuses[f.status];
    var td = cell(tr, "");
    var badge = document.createElement("span");
    badge.className = "status " + f.status;
    badge.textContent = names[0] + " " + names[1];
    td.appendChild(badge);
    if (f.note) {
      var note = document.createElement("div");
      note.textContent = f.note;
      td.appendChild(note);
      var by = document.createElement("div");
      by.className = "muted";
      by.textContent = (f.by_name || f.by) + " · " + f.at.slice(0, 16).replace("T", " ");
      td.appendChild(by);
    }
    var act = cell(tr, "");
    if (f.status === "resolved") {
      act.textContent = "—";
      return tr;
    }
    var form = document.createElement("form");
    form.className = "follow";
    var select = document.createElement("select");
    ["contacted", "resolved"].forEach(function (s) {
      if (s === "contacted" && f.status === "contacted") return; // a note is added with 已办结
      var opt = document.createElement("option");
      opt.value = s;
      opt.textContent = settings.statuses[s][0] + " " + settings.statuses[s][1];
      select.appendChild(opt);
    });
    var input = document.createElement("input");
    input.required = true;
    input.maxLength = 500;
    input.placeholder = "回访情况 What was done";
    var button = document.createElement("button");
    button.type = "submit";
    button.textContent = "保存 Save";
    form.appendChild(select);
    form.appendChild(input);
    form.appendChild(button);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      button.disabled = true;
      var url = settings.follow_up.replace("{id}", encodeURIComponent(r.id));
      api("POST", url, { status: select.value, note: input.value })
        .then(function (data) {
          tr.replaceWith(badRow(data.rating));
          say("已保存 Saved", "ok");
        })
        .catch(function (err) { button.disabled = false; fail(err); });
    });
    act.appendChild(form);
    return tr;
  }

  $("query").addEventListener("submit", function (e) { e.preventDefault(); load(); });

  $("csv").addEventListener("click", function (e) {
    e.preventDefault();
    var name = "report.csv";
    api("GET", settings.csv + query(), undefined, true)
      .then(function (r) {
        var m = /filename="([^"]+)"/.exec(r.headers.get("Content-Disposition") || "");
        if (m) name = m[1];
        return r.blob();
      })
      .then(function (blob) {
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = name;
        document.body.appendChild(a);
        a.click();
        setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      })
      .catch(fail);
  });

  function open() {
    show("report");
    $("report-view").insertBefore($("message"), $("report-view").children[1]);
    load();
  }

  $("day").value = settings.today;
  if (session) open(); else show("login");
})();
