/* The staff console (窗口工作台): log in, open a window, act on it, follow it live.
 *
 * Every action is `POST /api/v1/halls/{hall}/windows/{window}/{action}` with the bearer token
 * kept in sessionStorage by the staff pages' shared login (static/staff/session.js; see
 * qms/web/console.py for why no CSRF token is needed). The state
 * shown - the window, its current ticket with the steps of its visit, the queues it serves,
 * the tickets it holds - is read from the API; the hall's events websocket only says *when*
 * to read it again, so an action from the physical keypad or another client shows at once.
 * When the socket drops the page reconnects by itself (0.5 s to 5 s back-off) and re-reads
 * everything. A 401 from any call (token expired, account removed) returns to the login form.
 */
(function () {
  "use strict";

  var settings = JSON.parse(document.getElementById("console-settings").textContent);
  var STATES = {
    closed: "已关窗 Closed", idle: "空闲 Idle", calling: "呼叫中 Calling", serving: "办理中 Serving",
    paused: "暂停 Paused",
  };
  var TICKET_STATES = {
    waiting: "等候中 Waiting", called: "已呼叫 Called", serving: "办理中 Serving", held: "挂起 Held",
    no_show: "过号 No-show", finished: "已办结 Finished", cancelled: "已取消 Cancelled", expired: "已过期 Expired",
  };
  var OUTCOMES = {
    completed: "办结", accepted: "受理", incomplete: "材料不全", rejected: "不予受理", transferred: "转移",
  };
  var DONE = {
    "call-next": "已叫号", recall: "已重呼", "no-show": "已过号", start: "开始办理", finish: "已完成",
    transfer: "已转移", hold: "已挂起", unhold: "已取回", call: "已叫号", pause: "窗口已暂停",
    resume: "窗口已恢复", close: "窗口已关闭", open: "窗口已开",
  };

  var session = QmsStaff.load(settings.hall);
  var windows = {}; // id -> window view
  var current = null; // the window's current ticket (private view) or null
  var socket = null, refreshTimer = null, refreshing = false, again = false;
  var services = {};
  settings.services.forEach(function (s) { services[s.id] = s; });

  function $(id) { return document.getElementById(id); }
  function save() { QmsStaff.save(settings.hall, session); }

  function say(text, kind) {
    var box = $("message");
    box.textContent = text || "";
    box.className = "message " + (kind || "");
  }

  function show(view) {
    ["login-view", "choose-view", "desk-view"].forEach(function (id) { $(id).hidden = id !== view; });
    $("logout").hidden = view === "login-view";
    $("who").textContent = session ? session.name + "（" + session.username + "）" : "";
  }

  var LoggedOut = QmsStaff.LoggedOut;
  var api = QmsStaff.client({
    session: function () { return session; },
    login: settings.login,
    loggedOut: function () { logout("登录已失效，请重新登录。Your login has expired; please log in again."); },
  });

  function fail(err) {
    if (err instanceof LoggedOut) return;
    var zh = settings.refusals[err.code]; // the server's message is English, with the numbers involved
    say("操作未成功" + (zh ? "：" + zh : "") + " · Not done: " + err.message, "error");
  }

  function logout(reason) {
    session = null;
    save();
    disconnect();
    $("password").value = "";
    show("login-view");
    if (reason) say(reason, "error");
    var box = $("message");
    $("login-view").appendChild(box); // the reason shows beneath the form
  }

  // -- login and choosing the window ---------------------------------------------------------

  QmsStaff.bindLoginForm(api, settings.login, function (data) {
    session = data;
    session.window = null;
    save();
    say("");
    choose();
  }, function (message) { say(message, "error"); });

  function allowed(w) {
    var mine = session.windows || [];
    return session.role === "admin" || mine.length === 0 || mine.indexOf(w.id) >= 0 || mine.indexOf(String(w.number)) >= 0;
  }

  function choose() {
    show("choose-view");
    $("choose-view").appendChild($("message"));
    api("GET", settings.windows).then(function (data) {
      var select = $("window-select");
      select.innerHTML = "";
      data.windows.filter(allowed).forEach(function (w) {
        var opt = document.createElement("option");
        opt.value = w.id;
        opt.textContent = w.name + " · " + (STATES[w.state] || w.state) + (w.staff ? " · " + w.staff : "");
        if (w.id === session.window || (w.staff === session.username && !session.window)) opt.selected = true;
        select.appendChild(opt);
      });
    }).catch(fail);
  }

  $("choose-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var id = $("window-select").value;
    api("GET", settings.windows).then(function (data) {
      var w = data.windows.filter(function (x) { return x.id === id; })[0];
      if (w && w.staff === session.username && w.state !== "closed") return null; // already mine
      return api("POST", actionUrl(id, "open"), {});
    }).then(function () {
      session.window = id;
      save();
      say("");
      desk();
    }).catch(fail);
  });

  $("logout").addEventListener("click", function () { logout(""); say(""); });

  // -- the desk ----------------------------------------------------------------------------

  function actionUrl(windowId, action) {
    return settings.windows + "/" + encodeURIComponent(windowId) + "/" + action;
  }

  function desk() {
    show("desk-view");
    $("actions").parentNode.appendChild($("message"));
    fillTransferWindows();
    connect();
    refresh();
  }

  function fillTransferWindows() {
    api("GET", settings.windows).then(function (data) {
      var select = $("transfer-window");
      select.length = 1;
      data.windows.forEach(function (w) {
        if (w.id === session.window) return;
        var opt = document.createElement("option");
        opt.value = w.id;
        opt.textContent = w.name;
        select.appendChild(opt);
      });
    }).catch(fail);
  }

  function refresh() {
    if (!session || !session.window) return;
    if (refreshing) { again = true; return; }
    refreshing = true;
    var tickets = settings.tickets + "?state=called&state=serving&state=held";
    Promise.all([api("GET", settings.windows), api("GET", settings.queues), api("GET", tickets)])
      .then(function (res) { render(res[0].windows, res[1].queues, res[2].tickets); })
      .catch(fail)
      .then(function () {
        refreshing = false;
        if (again) { again = false; refresh(); }
      });
  }

  function scheduleRefresh() {
    if (refreshTimer !== null) return;
    refreshTimer = setTimeout(function () { refreshTimer = null; refresh(); }, 80);
  }

  // The services follow the hall's layout: every refresh brings them with the queues (an
  // admin may rename, add or remove one while the console is open).
  function followServices(queues) {
    services = {};
    queues.forEach(function (q) { services[q.service] = { id: q.service, name: q.name, name_en: q.name_en, department: q.department }; });
    var select = document.querySelector('#dialog-transfer select[name="to_service"]');
    var chosen = select.value;
    select.length = 1;
    queues.forEach(function (q) {
      var opt = document.createElement("option");
      opt.value = q.service;
      opt.textContent = (q.department ? q.department + " · " : "") + q.name;
      select.appendChild(opt);
    });
    select.value = services[chosen] ? chosen : "";
    if (chosen && !services[chosen]) {
      say("所选业务已停办，请重新选择。The chosen service is no longer offered; choose again.", "error");
    }
  }

  function render(list, queues, tickets) {
    if (!session) return;
    followServices(queues);
    windows = {};
    list.forEach(function (w) { windows[w.id] = w; });
    var w = windows[session.window];
    if (!w) { session.window = null; save(); choose(); return; }
    if (w.state === "closed") {
      say("窗口已关闭，可重新开窗。The window is closed; open it again to go on.", "info");
      session.window = null;
      save();
      disconnect();
      choose();
      return;
    }
    $("window-name").textContent = w.name;
    var st = $("window-state");
    st.dataset.state = w.state;
    st.textContent = STATES[w.state] || w.state;
    $("pause-reason").textContent = w.state === "paused" && w.pause_reason ? "原因 Reason：" + w.pause_reason : "";
    if (w.staff && w.staff !== session.username) {
      say("此窗口由 " + w.staff + " 登录。Window opened by " + w.staff + ".", "error");
    }
    var byId = {};
    tickets.forEach(function (t) { byId[t.id] = t; });
    current = w.ticket ? byId[w.ticket] || null : null;
    renderTicket(current);
    renderQueues(w, queues);
    var held = tickets.filter(function (t) {
      return t.state === "held" && (t.window === w.id || t.target_window === w.id || t.staff === session.username);
    });
    renderHeld(held);
    enable(w);
  }

  function renderTicket(t) {
    var box = $("ticket");
    box.classList.toggle("empty", !t);
    box.dataset.ticket = t ? t.number : "";
    box.dataset.state = t ? t.state : "";
    $("t-number").textContent = t ? t.number : "—";
    $("t-service").textContent = t ? t.service_name + (t.department ? " · " + t.department : "") : "当前没有办理中的号 No ticket at the window";
    $("t-state").textContent = t ? "状态 State：" + (TICKET_STATES[t.state] || t.state) : "";
    $("t-calls").textContent = t ? "呼叫次数 Calls：" + t.call_count : "";
    $("t-extra").textContent = t ? [t.priority !== "normal" ? "优先 " + t.priority : "", "渠道 Channel：" + t.channel, t.note || ""].filter(Boolean).join(" · ") : "";
    var steps = $("t-steps");
    steps.innerHTML = "";
    if (t) {
      var items = (t.steps || []).map(function (s) {
        var name = services[s.service] ? services[s.service].name : s.service;
        var win = windows[s.window] ? windows[s.window].name : s.window;
        return name + " · " + win + " · " + (OUTCOMES[s.outcome] || s.outcome);
      });
      items.unshift("取号 Issued " + clock(t.issued_at));
      items.push("现在 Now：" + t.service_name + " · " + (TICKET_STATES[t.state] || t.state));
      items.forEach(function (text) {
        var li = document.createElement("li");
        li.textContent = text;
        steps.appendChild(li);
      });
    }
    tick();
  }

  function clock(iso) {
    var d = new Date(iso);
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  function tick() {
    var t = current;
    var since = t ? Date.parse(t.started_at || t.called_at) : NaN;
    if (!t || isNaN(since)) { $("t-time").textContent = ""; return; }
    var secs = Math.max(0, Math.floor((Date.now() - since) / 1000));
    var mm = Math.floor(secs / 60), ss = ("0" + (secs % 60)).slice(-2);
    $("t-time").textContent = (t.started_at ? "办理用时 Serving for " : "呼叫后 Since called ") + mm + ":" + ss;
  }
  setInterval(tick, 1000);

  function minutes(m) {
    if (m === null || m === undefined) return "—";
    if (m < 60) return "约" + Math.round(m) + "分钟";
    return "约" + Math.floor(m / 60) + "小时" + Math.round(m % 60) + "分";
  }

  function renderQueues(w, queues) {
    var body = $("queues");
    body.innerHTML = "";
    // a general window serves every service: the queues with people waiting come first
    var mine = queues.filter(function (q) { return w.services.indexOf(q.service) >= 0; });
    mine.sort(function (a, b) { return (b.waiting > 0) - (a.waiting > 0); });
    mine.forEach(function (q) {
      var tr = document.createElement("tr");
      tr.dataset.service = q.service;
      tr.dataset.waiting = q.waiting;
      [q.prefix + " " + q.name, String(q.waiting), q.waiting > 0 ? minutes(q.eta_minutes) : "—"].forEach(function (text, i) {
        var td = document.createElement("td");
        td.textContent = text;
        if (i === 1) td.className = "n";
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function renderHeld(held) {
    var list = $("held"), select = $("unhold-select");
    list.innerHTML = "";
    select.innerHTML = "";
    if (held.length === 0) {
      var li = document.createElement("li");
      li.className = "muted";
      li.textContent = "没有 None";
      list.appendChild(li);
    }
    held.forEach(function (t) {
      var li = document.createElement("li");
      li.dataset.ticket = t.number;
      li.textContent = t.number + " · " + t.service_name;
      list.appendChild(li);
      var opt = document.createElement("option");
      opt.value = t.id;
      opt.textContent = t.number + " · " + t.service_name;
      select.appendChild(opt);
    });
  }

  // The window states in which the hall takes each action come from the server (qms.core.rules),
  // so the buttons that cannot work now are greyed out; the hall still decides and says why.
  function enable(w) {
    document.querySelectorAll("#actions button").forEach(function (b) {
      var name = b.dataset.action || b.dataset.dialog;
      var states = settings.allowed[name];
      var on = !states || states.indexOf(w.state) >= 0;
      if (name === "unhold") on = on && $("unhold-select").length > 0;
      b.disabled = !on;
    });
  }

  function act(action, body) {
    if (!session || !session.window) return;
    return api("POST", actionUrl(session.window, action), body || {}).then(function (data) {
      var t = data.ticket;
      if (data.message) say((action === "call-next" && !t ? "无人等候 · " : "") + data.message, "info");
      else say((DONE[action] || action) + (t && action !== "pause" && action !== "resume" ? " " + t.number : ""), "info");
      refresh();
    }).catch(fail);
  }

  document.querySelectorAll("#actions button").forEach(function (b) {
    b.addEventListener("click", function () { press(b); });
  });

  function press(b) {
    if (b.disabled) return;
    if (b.dataset.dialog) { openDialog(b.dataset.dialog); return; }
    act(b.dataset.action, b.dataset.outcome ? { outcome: b.dataset.outcome } : {});
  }

  // -- dialogs -----------------------------------------------------------------------------

  function openDialog(name) {
    $("overlay").hidden = false;
    document.querySelectorAll(".dialog").forEach(function (d) { d.hidden = d.id !== "dialog-" + name; });
    var form = $("dialog-" + name);
    form.reset();
    var first = form.querySelector("input, select");
    if (first) first.focus();
  }

  function closeDialog() {
    $("overlay").hidden = true;
    document.querySelectorAll(".dialog").forEach(function (d) { d.hidden = true; });
  }

  document.querySelectorAll(".dialog").forEach(function (form) {
    form.querySelector(".cancel").addEventListener("click", closeDialog);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name && el.value.trim() !== "") body[el.name] = el.value.trim();
      });
      closeDialog();
      var action = form.dataset.action;
      if (action === "call") {
        findTicket(body.ticket).then(function (id) { body.ticket = id; return act("call", body); }).catch(fail);
        return;
      }
      act(action, body);
    });
  });

  // The staff member types the number on the citizen's slip; the API takes the ticket's id.
  function findTicket(number) {
    var wanted = String(number || "").toUpperCase();
    return api("GET", settings.tickets).then(function (data) {
      var found = data.tickets.filter(function (t) { return t.number.toUpperCase() === wanted; }).pop();
      if (!found) throw new Error("今天没有 " + wanted + " 号 No ticket " + wanted + " today");
      return found.id;
    });
  }

  // -- keyboard ----------------------------------------------------------------------------

  var byKey = {};
  Object.keys(settings.shortcuts).forEach(function (name) {
    var key = settings.shortcuts[name];
    var sel = name.indexOf("finish-") === 0
      ? '#actions button[data-outcome="' + name.slice(7) + '"]'
      : '#actions button[data-action="' + name + '"], #actions button[data-dialog="' + name + '"]';
    byKey[key.toUpperCase()] = sel;
  });

  document.addEventListener("keydown", function (e) {
    if (!$("overlay").hidden) {
      if (e.key === "Escape") { e.preventDefault(); closeDialog(); }
      // Enter on a drop-down does not submit its form by itself; at the console it should
      if (e.key === "Enter" && e.target && e.target.tagName === "SELECT") { e.preventDefault(); e.target.form.requestSubmit(); }
      return;
    }
    if ($("desk-view").hidden || e.ctrlKey || e.altKey || e.metaKey) return;
    var tag = e.target && e.target.tagName;
    var key = e.key.length === 1 ? e.key.toUpperCase() : e.key;
    if ((tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") && key.length === 1) return;
    var sel = byKey[key];
    if (!sel) return;
    e.preventDefault();
    if (e.repeat) return; // a key held down does not call three tickets
    var b = document.querySelector(sel);
    if (b) press(b);
  });

  // -- live --------------------------------------------------------------------------------

  function connection(state) {
    $("conn").className = "conn " + state;
    $("conn-text").textContent = { online: "已连接 Live", offline: "连接中断，正在重连 Reconnecting", connecting: "正在连接 Connecting" }[state];
  }

  function connect() {
    if (socket) return;
    socket = QmsSocket.follow(settings.events, {
      message: function (data) {
        if (data.type === "snapshot") refresh(); // the state may have moved on while the page was away
        else {
          if (data.type === "LayoutChanged") fillTransferWindows(); // windows renamed, added or removed
          scheduleRefresh();
        }
      },
      state: connection,
    });
  }

  function disconnect() {
    if (socket) { socket.close(); socket = null; }
  }

  // -- start -------------------------------------------------------------------------------

  if (!session) { show("login-view"); $("login-view").appendChild($("message")); }
  else if (!session.window) choose();
  else desk();
})();
