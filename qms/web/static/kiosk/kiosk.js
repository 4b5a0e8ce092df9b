/* The kiosk: pick a service, take a ticket, see the confirmation; check in a booking.
 *
 * Waiting counts and waits come from GET /queues (computed by the server), asked again when
 * the hall's events websocket reports something (at most once a second) and every 10 s
 * anyway. The socket reconnects by itself (static/shared/socket.js). Taking a ticket
 * sends an Idempotency-Key, so a tap retried after a lost answer gives the same ticket.
 *
 * A `LayoutChanged` event (an admin renamed, added or removed a service) makes the page fetch
 * itself again and put in the new departments and services, keeping the citizen's search and
 * department. While a ticket's confirmation or the check-in is on screen this waits until the
 * page returns to the start; a service that went away meanwhile is said in plain words when
 * tapped (`unknown_service`) and the list is fetched at once.
 */
(function () {
  "use strict";

  var QUEUES_EVERY_MS = 1000;
  var QUEUES_REFRESH_MS = 10000;
  var settings = JSON.parse(document.getElementById("kiosk-settings").textContent);
  var kiosk = document.getElementById("kiosk");
  var queuesLast = 0;
  var queuesTimer = null;
  var busy = false; // a request to take a ticket or check in is under way
  var countdown = null;
  var keyTarget = null;
  var checkInMode = "code";

  function el(id) { return document.getElementById(id); }
  function all(selector) { return Array.prototype.slice.call(document.querySelectorAll(selector)); }

  // -- plain words for the API's refusals ---------------------------------------------
  var WORDS = {
    hall_closed: ["现在不在取号时间", "Tickets are not issued now"],
    daily_cap_reached: ["该事项今天的号已取完，请明天再来或网上预约", "All of today's tickets for this service are taken"],
    band_quota_reached: ["本时段的号已取完，请稍后再取", "This time band's tickets are all taken"],
    outside_issue_band: ["该事项现在不在取号时段", "This service issues tickets at other times"],
    unknown_booking: ["没有找到这个预约码，请核对后重试", "No booking with this code"],
    no_booking_today: ["这个身份证号今天在本大厅没有预约", "This ID number has no booking here today"],
    invalid_id_number: ["身份证号码有误，请核对", "The ID number is not valid"],
    booking_too_early: ["签到时间还没到，请稍后再签到", "Too early to check in"],
    booking_late: ["已超过签到时间，请取普通号", "Too late to check in: please take an ordinary ticket"],
    booking_missed: ["预约时段已过，请取普通号", "The booked slot has ended: please take an ordinary ticket"],
    booking_cancelled: ["这个预约已取消", "This booking was cancelled"],
    check_in_needs_code: ["请输入预约码或身份证号", "Enter the booking code or the ID number"],
    rate_limited: ["操作太频繁，请稍后再试", "Too many requests: please wait a moment"],
    unknown_service: ["这个事项已停办或已调整，请重新选择", "This service is no longer offered here: please choose again"],
  };

  function problem(code, message) {
    var words = WORDS[code] || (code === "network"
      ? ["网络连接中断，请稍后再试或到咨询台取号", "The connection is down: please try again or ask at the desk"]
      : ["暂时无法办理，请到咨询台询问", "This cannot be done now: please ask at the information desk"]);
    el("problem-zh").textContent = words[0];
    el("problem-en").textContent = words[1];
    el("problem-detail").textContent = message || "";
    el("problem").hidden = false;
  }

  // -- queues ---------------------------------------------------------------------------
  function showQueues(queues) {
    var byService = {};
    queues.forEach(function (q) { byService[q.service] = q; });
    all(".service").forEach(function (b) {
      var q = byService[b.getAttribute("data-service")];
      if (!q) return;
      b.setAttribute("data-waiting", String(q.waiting));
      b.querySelector(".waiting").textContent = String(q.waiting);
      b.querySelector(".eta").textContent = q.eta_minutes === null ? "—" : String(q.eta_minutes);
      b.classList.toggle("unserved", q.windows_open === 0);
      b.querySelector(".closed").hidden = q.windows_open !== 0;
    });
  }

  function loadQueues() {
    queuesTimer = null;
    queuesLast = Date.now();
    fetch(settings.queues, { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body) showQueues(body.queues); })
      .catch(function () { /* the server is away: the socket's reconnect asks again */ });
  }

  function queuesSoon() {
    if (queuesTimer !== null) return;
    queuesTimer = setTimeout(loadQueues, Math.max(0, queuesLast + QUEUES_EVERY_MS - Date.now()));
  }

  function connect() {
    QmsSocket.follow(settings.events, {
      message: function (data) {
        if (data.type === "LayoutChanged") layoutChanged();
        queuesSoon(); // the snapshot after a (re)connect, and every event, may change the counts
      },
      state: function (s) { el("conn").className = "conn " + s; },
    });
  }

  // -- filtering: department and search ------------------------------------------------
  var dept = "";
  function filter() {
    var words = el("search").value.trim().toLowerCase();
    var shown = 0;
    all(".group").forEach(function (g) {
      var any = false;
      g.querySelectorAll(".service").forEach(function (b) {
        var ok = (dept === "" || b.getAttribute("data-dept") === dept) &&
                 (words === "" || b.getAttribute("data-find").indexOf(words) >= 0);
        b.hidden = !ok;
        if (ok) { any = true; shown += 1; }
      });
      g.hidden = !any;
    });
    el("none").hidden = shown > 0;
  }

  function showDept() {
    all(".dept").forEach(function (o) { o.classList.toggle("on", o.getAttribute("data-dept") === dept); });
  }

  // delegated: the buttons are put in anew when the layout changes
  el("depts").addEventListener("click", function (e) {
    var b = e.target.closest(".dept");
    if (!b) return;
    dept = b.getAttribute("data-dept");
    showDept();
    filter();
    el("services").scrollTop = 0;
  });
  el("search").addEventListener("input", filter);

  // -- following a layout change ----------------------------------------------------------
  var layoutPending = false;

  function inProgress() {
    return busy || !el("done").hidden || (el("check-in") !== null && !el("check-in").hidden);
  }

  function layoutChanged() {
    if (inProgress()) { layoutPending = true; return; }  // start() takes it in
    refreshServices(false);
  }

  /** Put the departments and services of the page as the server renders it now in place. */
  function refreshServices(atStart) {
    layoutPending = false;
    fetch(location.href, { cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.text(); })
      .then(function (text) {
        var fresh = new DOMParser().parseFromString(text, "text/html");
        var depts = fresh.getElementById("depts");
        var list = fresh.getElementById("services");
        if (!depts || !list) return;
        var browsing = !atStart && (dept !== "" || el("search").value !== "");
        el("depts").innerHTML = depts.innerHTML;
        el("services").innerHTML = list.innerHTML;
        if (!document.querySelector('.dept[data-dept="' + CSS.escape(dept) + '"]')) dept = "";
        showDept();
        filter();
        kiosk.setAttribute("data-layout", String(Date.now())); // for tests and the curious
        if (browsing) notice();
      })
      .catch(function () { layoutPending = true; /* tried again at the next start or event */ });
  }

  var noticeTimer = null;
  function notice() {
    el("layout-notice").hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(function () { el("layout-notice").hidden = true; }, 8000);
  }

  // -- the on-screen keyboard -------------------------------------------------------------
  var KEYS = "1234567890QWERTYUIOPASDFGHJKLZXCVBNM".split("");
  function buildKeyboard() {
    var board = el("keyboard");
    KEYS.forEach(function (k) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = k;
      b.setAttribute("data-key", k);
      board.appendChild(b);
    });
    [["back", "⌫ 删除"], ["clear", "清空"], ["close", "收起 Hide"]].forEach(function (k) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "wide";
      b.textContent = k[1];
      b.setAttribute("data-key", k[0]);
      board.appendChild(b);
    });
    board.addEventListener("click", function (e) {
      var key = e.target.closest("button");
      if (!key || !keyTarget) return;
      var k = key.getAttribute("data-key");
      var input = keyTarget;
      if (k === "close") { keyboard(null); return; }
      if (k === "back") input.value = input.value.slice(0, -1);
      else if (k === "clear") input.value = "";
      else if (!input.maxLength || input.maxLength < 0 || input.value.length < input.maxLength) {
        input.value += input === el("search") ? k.toLowerCase() : k;
      }
      input.dispatchEvent(new Event("input"));
    });
  }
  function keyboard(input) {
    keyTarget = input;
    el("keyboard").classList.toggle("on", input !== null);
  }
  el("search").addEventListener("focus", function () { keyboard(el("search")); });

  // -- taking a ticket --------------------------------------------------------------------
  function key() {
    return "kiosk-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": key() },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { ok: r.ok, data: data }; });
    });
  }

  function settle(promise) {
    busy = true;
    promise
      .then(function (res) {
        if (res.ok) { confirm(res.data.ticket); return; }
        var error = res.data.error || {};
        problem(error.code, error.message);
        if (error.code === "unknown_service") refreshServices(false); // tapped as it was removed
      })
      .catch(function () { problem("network", ""); })
      .then(function () {
        busy = false;
        if (layoutPending && !inProgress()) refreshServices(false);
      });
  }

  function take(service) {
    if (busy) return;
    settle(post(settings.tickets, { service: service, channel: "kiosk" }));
  }

  el("services").addEventListener("click", function (e) {
    var b = e.target.closest(".service");
    if (b) take(b.getAttribute("data-service"));
  });

  function confirm(t) {
    el("check-in") && (el("check-in").hidden = true);
    keyboard(null);
    el("done-number").textContent = t.number;
    el("done-service").textContent = t.service_name;
    el("done-service-en").textContent = t.service_name_en || "";
    el("done-ahead").textContent = String(t.people_ahead);
    el("done-eta").textContent = t.eta_minutes === null ? "—" : String(t.eta_minutes);
    // the ticket's key puts rating from the phone (好差评) in the QR code's link
    el("done-qr").src = settings.status_page + encodeURIComponent(t.id) + "/qr.svg" +
      (t.key ? "?k=" + encodeURIComponent(t.key) : "");
    el("done").setAttribute("data-ticket", t.id);
    el("done").hidden = false;
    var left = settings.return_seconds;
    el("done-count").textContent = String(left);
    clearInterval(countdown);
    countdown = setInterval(function () {
      left -= 1;
      el("done-count").textContent = String(left);
      if (left <= 0) start();
    }, 1000);
    queuesSoon();
  }

  // back to the start, for the next citizen
  function start() {
    clearInterval(countdown);
    el("done").hidden = true;
    el("problem").hidden = true;
    if (el("check-in")) el("check-in").hidden = true;
    keyboard(null);
    el("search").value = "";
    dept = "";
    showDept();
    setElderly(false);
    filter();
    el("services").scrollTop = 0;
    if (layoutPending) refreshServices(true);
  }
  el("done-close").addEventListener("click", start);
  el("problem-close").addEventListener("click", function () { el("problem").hidden = true; });

  // -- elderly mode (适老化) ---------------------------------------------------------------
  function setElderly(on) {
    kiosk.classList.toggle("elderly", on);
    el("elderly").setAttribute("aria-pressed", on ? "true" : "false");
  }
  el("elderly").addEventListener("click", function () { setElderly(!kiosk.classList.contains("elderly")); });

  // -- booking check-in --------------------------------------------------------------------
  if (el("check-in")) {
    var entry = el("check-in-value");
    var HINTS = {
      code: ["请输入短信中的8位预约码", "Enter the 8-character code from your SMS", 8],
      id_number: ["请输入18位身份证号码", "Enter your 18-digit ID number", 18],
    };
    var setMode = function (mode) {
      checkInMode = mode;
      all(".mode").forEach(function (m) { m.classList.toggle("on", m.getAttribute("data-mode") === mode); });
      var hint = el("check-in-hint");
      hint.querySelector(".zh").textContent = HINTS[mode][0];
      hint.querySelector(".en").textContent = HINTS[mode][1];
      entry.maxLength = HINTS[mode][2];
      entry.value = "";
    };
    all(".mode").forEach(function (m) {
      m.addEventListener("click", function () { setMode(m.getAttribute("data-mode")); });
    });
    el("check-in-open").addEventListener("click", function () {
      setMode("code");
      el("check-in").hidden = false;
      keyboard(entry);
    });
    el("check-in-cancel").addEventListener("click", function () {
      el("check-in").hidden = true;
      keyboard(null);
      if (layoutPending && !inProgress()) refreshServices(false);
    });
    entry.addEventListener("focus", function () { keyboard(entry); });
    el("check-in-go").addEventListener("click", function () {
      var value = entry.value.trim().toUpperCase();
      if (busy) return;
      if (!value) { problem("check_in_needs_code", ""); return; }
      var body = {};
      body[checkInMode] = value;
      settle(post(settings.check_in, body));
    });
  }

  // -- the clock ----------------------------------------------------------------------------
  var clock = new Intl.DateTimeFormat("zh-CN", { timeZone: settings.timezone, hour: "2-digit", minute: "2-digit", hour12: false });
  function tick() { el("clock").textContent = clock.format(new Date()); }

  buildKeyboard();
  tick();
  setInterval(tick, 5000);
  connect();
  setInterval(loadQueues, QUEUES_REFRESH_MS);
})();
