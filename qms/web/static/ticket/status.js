/* The ticket status page, kept live.
 *
 * The page asks the server for the ticket (GET /api/v1/halls/{hall}/tickets/{id}) whenever
 * the hall's events websocket says something happened (at most one request in flight; an
 * event meanwhile asks again once it answers), and every few seconds besides, so that it
 * also follows when the socket cannot connect. When the connection drops the page keeps the
 * last state, shows "reconnecting" and reconnects by itself, backing off from 0.5 s to 5 s.
 * The server computes people ahead and the wait; this only shows them.
 */
(function () {
  "use strict";

  var BACKOFF_MIN_MS = 500;
  var BACKOFF_MAX_MS = 5000;
  var settings = JSON.parse(document.getElementById("ticket-settings").textContent);
  var root = document.getElementById("ticket");
  var attempt = 0;
  var busy = false;
  var again = false;
  var ended = false;

  function el(id) { return document.getElementById(id); }

  function windowText(t) {
    var n = t.window_number;
    return n === null || n === undefined ? ["窗口", "the window"] : [n + "号窗口", "window " + n];
  }

  function stateText(t) {
    var w = windowText(t);
    switch (t.state) {
      case "waiting":
        if (t.people_ahead === 0) return ["等候中，下一位就是您", "Waiting: you are next"];
        return ["等候中", "Waiting"];
      case "called":
        return ["请到" + w[0] + "办理", "Please go to " + w[1]];
      case "serving":
        return ["正在" + w[0] + "办理", "Being served at " + w[1]];
      case "held":
        return ["业务暂挂，请按工作人员指引回到" + w[0], "On hold: return to " + w[1] + " as the staff asked"];
      case "finished":
        return ["办理完毕，感谢您的耐心等候", "Finished. Thank you for waiting"];
      case "no_show":
        return ["已过号，请到窗口或咨询台说明", "Missed: please ask at a window or the information desk"];
      case "expired":
        return ["号票已过期", "This ticket has expired"];
      default:
        return [t.state, t.state];
    }
  }

  var clock = new Intl.DateTimeFormat("zh-CN", {
    timeZone: settings.timezone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });

  function show(t) {
    root.setAttribute("data-state", t.state);
    var text = stateText(t);
    el("state-zh").textContent = text[0];
    el("state-en").textContent = text[1];
    var waiting = t.state === "waiting";
    el("figures").hidden = !waiting;
    el("ahead").textContent = String(t.people_ahead);
    el("eta").textContent = t.eta_minutes === null || t.eta_minutes === undefined ? "—" : String(t.eta_minutes);
    el("near").hidden = !(waiting && t.people_ahead <= settings.near);
    el("updated").textContent = clock.format(new Date()); // the hall's time, wherever the phone is
    ended = t.state === "finished" || t.state === "expired";
  }

  function conn(state, zh, en) {
    el("conn").className = "conn " + state;
    el("conn-zh").textContent = zh;
    el("conn-en").textContent = en;
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(settings.api, { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body && body.ticket) show(body.ticket); })
      .catch(function () { /* the server is away: the next event or poll tries again */ })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket;
    try {
      socket = new WebSocket(scheme + location.host + settings.events);
    } catch (e) {
      retry();
      return;
    }
    socket.onopen = function () {
      attempt = 0;
      conn("online", "实时更新中", "Live");
      refresh();
    };
    socket.onmessage = function () { refresh(); };
    socket.onclose = function () {
      conn("offline", "连接中断，正在重连", "Reconnecting");
      retry();
    };
  }

  function retry() {
    var delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, attempt));
    attempt += 1;
    setTimeout(connect, delay);
  }

  show(JSON.parse(document.getElementById("ticket-initial").textContent));
  connect();
  setInterval(function () { if (!ended) refresh(); }, settings.poll_seconds * 1000);
})();
