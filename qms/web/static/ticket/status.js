/* The ticket status page, kept live.
 *
 * The page asks the server for the ticket (GET /api/v1/halls/{hall}/tickets/{id}) whenever
 * the hall's events websocket says something happened (at most one request in flight; an
 * event meanwhile asks again once it answers), and every few seconds besides, so that it
 * also follows when the socket cannot connect. When the connection drops the page keeps the
 * last state, shows "reconnecting" and reconnects by itself (static/shared/socket.js).
 * The server computes people ahead and the wait; this only shows them. The service's names
 * come with every answer too, so a service renamed on the admin pages (a `LayoutChanged`
 * event, like any other) shows its new name.
 *
 * With the ticket's key (settings.rating, only when the address carries a valid one) the page
 * offers 好差评 while the server says the last step can be rated, and posts the chosen level
 * once; the server's refusal (already rated, too late) is shown in plain words. With it the
 * page also offers 取消排队 while the ticket waits: a confirmation first, then one POST; the
 * answer is the ticket as it stands (cancelled), shown at once.
 *
 * 到号提醒: the tab's title says when the turn is near and when the ticket is called, so a
 * phone with the page behind another app still shows it. Sound and vibration come after the
 * citizen's tap on 到号提醒 (browsers play nothing without one); the tap plays the chime once,
 * so the citizen knows what to listen for. Then the phone chimes and vibrates once when the
 * turn becomes near, and three times at a call and at every recall.
 */
(function () {
  "use strict";

  var settings = JSON.parse(document.getElementById("ticket-settings").textContent);
  var root = document.getElementById("ticket");
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
      case "cancelled":
        return ["已取消排队，如需办理请重新取号", "Cancelled: you left the queue. Take a new ticket if you come later"];
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
    if (t.service_name) el("service-zh").textContent = t.service_name;
    el("service-en").textContent = t.service_name_en || "";
    el("service-en").hidden = !t.service_name_en;
    if (t.department !== undefined) el("service-dept").textContent = t.department || "";
    var text = stateText(t);
    el("state-zh").textContent = text[0];
    el("state-en").textContent = text[1];
    var waiting = t.state === "waiting";
    el("figures").hidden = !waiting;
    el("ahead").textContent = String(t.people_ahead);
    el("eta").textContent = t.eta_minutes === null || t.eta_minutes === undefined ? "—" : String(t.eta_minutes);
    el("near").hidden = !(waiting && t.people_ahead <= settings.near);
    el("updated").textContent = clock.format(new Date()); // the hall's time, wherever the phone is
    ended = t.state === "finished" || t.state === "expired" || t.state === "cancelled";
    if (leave) el("cancel").hidden = !waiting;
    alertFor(t);
    // a step ends when the state changes (finished, or back to waiting after a transfer)
    if (rating && t.state !== lastState) { lastState = t.state; rated(); }
  }

  /** POST `body` as JSON: Promise of {ok, body} (the answer's JSON, an error's too). */
  function post(url, body) {
    return fetch(url, {
      method: "POST", cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    }).then(function (r) { return r.json().then(function (data) { return { ok: r.ok, body: data }; }); });
  }

  // -- 好差评 ---------------------------------------------------------------------------------

  var rating = settings.rating;
  var lastState = null, sending = false;
  var REASONS = {
    already_rated: ["您已评价，感谢您的反馈", "Rated. Thank you for your feedback"],
    rating_closed: ["本次服务的评价时间已过", "The time to rate this service has passed"],
    invalid_ticket_key: ["此链接不能评价，请扫描号票上的二维码", "This link cannot rate: scan the QR code on your ticket"],
  };

  function offer(state) {
    // state: {open, reason} from the server
    el("rating").hidden = !state.open;
    var done = REASONS[state.reason];
    el("rating-done").hidden = !done;
    if (done) { el("rating-done-zh").textContent = done[0]; el("rating-done-en").textContent = done[1]; }
  }

  function rated() {
    fetch(rating.api + "?key=" + encodeURIComponent(rating.key), { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body && body.rating) offer(body.rating); })
      .catch(function () { /* tried again at the next change */ });
  }

  function rate(level) {
    if (sending) return;
    sending = true;
    var buttons = document.querySelectorAll(".level");
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    post(rating.api, { level: level, key: rating.key })
      .then(function (res) {
        if (res.ok) { offer({ open: false, reason: "already_rated" }); return; }
        var code = res.body.error ? res.body.error.code : "";
        offer({ open: false, reason: REASONS[code] ? code : "rating_closed" });
      })
      .catch(function () {
        el("rating-done").hidden = false;
        el("rating-done-zh").textContent = "网络不通，请稍后再试";
        el("rating-done-en").textContent = "No connection: please try again";
      })
      .then(function () {
        sending = false;
        Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
      });
  }

  if (rating) {
    Array.prototype.forEach.call(document.querySelectorAll(".level"), function (b) {
      b.addEventListener("click", function () { rate(b.getAttribute("data-level")); });
    });
  }

  // -- 到号提醒 -------------------------------------------------------------------------------

  var baseTitle = document.title;
  var audio = null; // made on the citizen's tap: only then may the page play sound
  var alertsOn = false;
  var current = null; // the ticket as last shown
  var heard = ""; // the moment last alerted to: "", "near" or "called:<call count>"

  /** The moment a citizen wants to hear of: near, or called (each recall a new one). */
  function moment(t) {
    if (t.state === "called") return "called:" + t.call_count;
    if (t.state === "waiting" && t.people_ahead <= settings.near) return "near";
    return "";
  }

  function chime(times) {
    if (!audio) return;
    var at = audio.currentTime + 0.05;
    for (var i = 0; i < times; i++) {
      [880, 660].forEach(function (hz, j) { // 叮咚: two falling tones
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        var start = at + i * 0.7 + j * 0.25;
        osc.frequency.value = hz;
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(0.5, start + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.24);
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(start);
        osc.stop(start + 0.25);
      });
    }
  }

  function buzz(pattern) {
    if (navigator.vibrate) navigator.vibrate(pattern);
  }

  function alertFor(t) {
    current = t;
    var now = moment(t);
    var w = windowText(t);
    if (t.state === "called") document.title = "【请到" + w[0] + "】" + baseTitle;
    else if (now === "near") document.title = "【快到您了】" + baseTitle;
    else document.title = baseTitle;
    el("alert").hidden = !(t.state === "waiting" || t.state === "called");
    if (now === heard) return;
    heard = now;
    if (!now || !alertsOn) return;
    var called = now !== "near";
    chime(called ? 3 : 1);
    buzz(called ? [400, 150, 400, 150, 400] : [200]);
    root.setAttribute("data-alerted", now);
  }

  function alertsSwitch(on) {
    alertsOn = on;
    el("alert-on").hidden = on;
    el("alert-state").hidden = !on;
    if (!on) return;
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) audio = new Context();
    if (audio && audio.state === "suspended") audio.resume();
    chime(1); // what it will sound like
    buzz([100]);
    heard = current ? moment(current) : ""; // the moment already on screen is not news
  }

  el("alert-on").addEventListener("click", function () { alertsSwitch(true); });
  el("alert-off").addEventListener("click", function () { alertsSwitch(false); });

  // -- 取消排队 -------------------------------------------------------------------------------

  var leave = settings.cancel;

  /** A refused cancellation's [zh, en]: the server words its refusals for this page as
   * "中文 / English" (ticket_cancel.py); any other answer is shown as it came. */
  function refusal(error) {
    var message = error.message || "";
    var at = message.indexOf(" / ");
    if (at < 0) return ["未能取消", message || "Could not cancel"];
    return [message.slice(0, at), message.slice(at + 3)];
  }

  function asking(on) {
    el("cancel-confirm").hidden = !on;
    el("cancel-open").hidden = on;
    if (on) el("cancel-problem").hidden = true;
  }

  function leaveProblem(text) {
    el("cancel-problem").hidden = false;
    el("cancel-problem-zh").textContent = text[0];
    el("cancel-problem-en").textContent = text[1];
  }

  function cancelTicket() {
    var go = el("cancel-go");
    if (go.disabled) return;
    go.disabled = true;
    post(leave.api, { key: leave.key })
      .then(function (res) {
        asking(false);
        if (res.ok) { show(res.body.ticket); return; }
        leaveProblem(refusal(res.body.error || {}));
        refresh();
      })
      .catch(function () { leaveProblem(["网络不通，请稍后再试", "No connection: please try again"]); })
      .then(function () { go.disabled = false; });
  }

  if (leave) {
    el("cancel-open").addEventListener("click", function () { asking(true); });
    el("cancel-keep").addEventListener("click", function () { asking(false); });
    el("cancel-go").addEventListener("click", cancelTicket);
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

  var conns = { online: ["实时更新中", "Live"], offline: ["连接中断，正在重连", "Reconnecting"] };

  function connect() {
    QmsSocket.follow(settings.events, {
      message: function () { refresh(); }, // the snapshot after a (re)connect, and every event
      state: function (s) { if (s !== "connecting") conn(s, conns[s][0], conns[s][1]); },
    });
  }

  var initial = JSON.parse(document.getElementById("ticket-initial").textContent);
  if (rating) { lastState = initial.state; offer(rating.initial); }
  show(initial);
  connect();
  setInterval(function () { if (!ended) refresh(); }, settings.poll_seconds * 1000);
})();
