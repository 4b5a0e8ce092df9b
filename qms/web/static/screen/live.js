/* The server-served screen's transport: the hall's events websocket (and GET /queues) made
 * into the views that render.js shows (see the view's shape there).
 *
 * On connect the server sends a snapshot (windows, queues, the recent calls of every zone),
 * so a screen that has just (re)connected shows the current state at once; then every event.
 * A `TicketCalled` (with the ticket's `number`) puts the call on top; since the waits are
 * estimated by the server, any event that may change a queue makes the page ask for
 * /queues again, at most once a second. When the connection drops the last state stays on
 * the screen and the page reconnects by itself (static/shared/socket.js). A
 * `LayoutChanged` (windows or services renamed, added, removed on the admin pages) makes it
 * connect again at once: the new snapshot has the windows, queues, recent calls and the
 * header (the hall's names, the zone's window numbers) as they are named now.
 */
(function (global) {
  "use strict";

  var QUEUES_EVERY_MS = 1000; // at most one /queues request a second, however busy the hall
  var QUEUES_REFRESH_MS = 30000; // and one every 30 s anyway

  function connect(settings, screen) {
    var zone = settings.zone || null;
    var limit = settings.recent || 9;
    var view = { seq: 0, recent: [], waiting: [], eta: {} };
    var windows = {}; // id -> window as the snapshot has it
    var zoneServices = null; // service ids served in this zone; null: every service
    var queuesBusy = false;
    var queuesAgain = false;
    var queuesLast = 0;
    var queuesTimer = null;

    function publish() {
      view.seq += 1;
      screen.show({ seq: view.seq, recent: view.recent.slice(), waiting: view.waiting, eta: view.eta });
    }

    function inZone(windowId) {
      var w = windows[windowId];
      return !!w && (zone === null || w.zone === zone);
    }

    function setQueues(queues) {
      var waiting = [];
      var eta = {};
      queues.forEach(function (q) {
        if (zoneServices !== null && !zoneServices[q.service]) return;
        waiting.push({
          service: q.service, name: q.name, name_en: q.name_en, department: q.department,
          prefix: q.prefix, waiting: q.waiting, windows_open: q.windows_open,
        });
        eta[q.service] = q.eta_minutes;
      });
      view.waiting = waiting;
      view.eta = eta;
    }

    function onSnapshot(snap) {
      windows = {};
      var services = {};
      snap.windows.forEach(function (w) {
        windows[w.id] = w;
        if (zone === null || w.zone === zone) w.services.forEach(function (s) { services[s] = true; });
      });
      zoneServices = zone === null ? null : services;
      setQueues(snap.queues);
      view.recent = (snap.calls || []).filter(function (c) { return zone === null || c.zone === zone; });
      view.recent.sort(function (a, b) { return Date.parse(b.called_at) - Date.parse(a.called_at); });
      view.recent = view.recent.slice(0, limit);
      if (snap.at) screen.serverTime(snap.at);
      if (snap.header) screen.header(snap.header);
      publish();
    }

    function onCall(event) {
      if (!inZone(event.window)) return false;
      var w = windows[event.window];
      var call = {
        ticket: event.ticket_id, number: event.number || event.ticket_id, window: w.id,
        window_number: w.number, window_name: w.name, zone: w.zone,
        called_at: event.at, call_count: event.call_count,
      };
      view.recent = [call].concat(view.recent.filter(function (c) { return c.ticket !== call.ticket; })).slice(0, limit);
      return true;
    }

    function onEvent(event) {
      if (event.type === "LayoutChanged") { socket.reopen(); return; }
      var changed = false;
      if (event.type === "TicketCalled") changed = onCall(event);
      else if (event.type === "DayOpened") {
        view.recent = []; // yesterday's calls are over
        changed = true;
      }
      if (changed) publish();
      refreshQueues(); // every event may change a count or a wait (windows opening change waits)
    }

    function refreshQueues() {
      if (queuesBusy) { queuesAgain = true; return; }
      var wait = queuesLast + QUEUES_EVERY_MS - Date.now();
      if (wait > 0) {
        if (queuesTimer === null) queuesTimer = setTimeout(function () { queuesTimer = null; refreshQueues(); }, wait);
        return;
      }
      queuesBusy = true;
      queuesLast = Date.now();
      fetch(settings.queues, { cache: "no-store" })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (body) { setQueues(body.queues); publish(); })
        .catch(function () { /* the websocket's reconnect brings a fresh snapshot */ })
        .then(function () {
          queuesBusy = false;
          if (queuesAgain) { queuesAgain = false; refreshQueues(); }
        });
    }

    function onMessage(data) {
      if (data.type === "snapshot") {
        onSnapshot(data);
        if (performance.getEntriesByName("qms-snapshot").length === 0) performance.mark("qms-snapshot"); // time to state
      } else {
        onEvent(data);
      }
    }

    var online = false;
    function onState(state) {
      online = state === "online";
      screen.connection(state);
    }

    var socket = QmsSocket.follow(settings.events, { message: onMessage, state: onState });
    setInterval(function () { if (online) refreshQueues(); }, QUEUES_REFRESH_MS);
    return { view: function () { return view; } };
  }

  global.QmsLive = { connect: connect };
})(window);
