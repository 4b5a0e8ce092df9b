/* The efficiency dashboard: fetches the figures when the hall's events websocket says
   something happened (at most once a second) and every 30 s, and draws them. The
   websocket reconnects by itself, so the board survives a server restart. */
(function () {
  "use strict";
  var S = JSON.parse(document.getElementById("dashboard-settings").textContent);
  var SVG = "http://www.w3.org/2000/svg";
  var $ = function (id) { return document.getElementById(id); };
  var lastFetch = 0, pending = null, inFlight = false, again = false;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function two(zh, en, cls) {
    var d = el("div", cls || "name", zh);
    if (en) d.appendChild(el("span", "en", en));
    return d;
  }
  function minutes(v) { return v === null || v === undefined ? "–" : v; }

  function setConn(state) {
    var c = $("conn");
    c.className = "conn " + state;
    var words = {online: ["已连接", "Live"], connecting: ["正在连接", "Connecting"], offline: ["连接中断", "Offline"]}[state];
    c.querySelector(".zh").textContent = words[0];
    c.querySelector(".en").textContent = words[1];
  }

  function tick() {
    var now = new Date();
    try {
      $("clock").textContent = now.toLocaleTimeString("zh-CN", {timeZone: S.timezone, hour12: false});
    } catch (e) {
      $("clock").textContent = now.toTimeString().slice(0, 8);
    }
  }

  function kpi(id, value, unit) {
    var k = $(id);
    k.textContent = value === null || value === undefined ? "–" : String(value);
    if (unit && value !== null && value !== undefined) k.appendChild(el("small", "", unit));
  }

  function chart(slots) {
    var svg = $("chart");
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var box = svg.getBoundingClientRect();
    var w = Math.max(box.width, 200), h = Math.max(box.height, 100);
    svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    var left = 44, bottom = 26, top = 18, right = 8;
    var max = 1;
    slots.forEach(function (s) { max = Math.max(max, s.taken, s.called); });
    var step = Math.pow(10, Math.floor(Math.log10(max)));
    var tickStep = max / step > 5 ? step * 2 : (max / step > 2 ? step : Math.max(1, step / 2));
    var ceil = Math.ceil(max / tickStep) * tickStep;
    var plotH = h - top - bottom, plotW = w - left - right;
    function y(v) { return top + plotH - (v / ceil) * plotH; }
    for (var g = 0; g <= ceil; g += tickStep) {
      var line = document.createElementNS(SVG, "line");
      line.setAttribute("x1", left); line.setAttribute("x2", w - right);
      line.setAttribute("y1", y(g)); line.setAttribute("y2", y(g));
      line.setAttribute("class", "grid-line");
      svg.appendChild(line);
      var label = document.createElementNS(SVG, "text");
      label.setAttribute("x", left - 8); label.setAttribute("y", y(g) + 5);
      label.setAttribute("text-anchor", "end");
      label.textContent = g;
      svg.appendChild(label);
    }
    if (!slots.length) return;
    var slotW = plotW / slots.length, barW = Math.max(2, slotW * 0.38);
    var labelEvery = Math.ceil(slots.length / 16);
    slots.forEach(function (s, i) {
      var x0 = left + i * slotW + slotW * 0.1;
      [["taken", s.taken, 0], ["called", s.called, 1]].forEach(function (b) {
        var r = document.createElementNS(SVG, "rect");
        r.setAttribute("class", b[0]);
        r.setAttribute("x", x0 + b[2] * barW); r.setAttribute("width", barW);
        r.setAttribute("y", y(b[1])); r.setAttribute("height", Math.max(0, top + plotH - y(b[1])));
        r.setAttribute("data-slot", s.start);
        r.setAttribute("data-count", b[1]);
        var title = document.createElementNS(SVG, "title");
        title.textContent = s.start + " " + (b[0] === "taken" ? "取号 taken " : "叫号 called ") + b[1];
        r.appendChild(title);
        svg.appendChild(r);
        if (b[1] > 0 && slots.length <= 24) {
          var v = document.createElementNS(SVG, "text");
          v.setAttribute("class", "value"); v.setAttribute("text-anchor", "middle");
          v.setAttribute("x", x0 + b[2] * barW + barW / 2); v.setAttribute("y", y(b[1]) - 4);
          v.textContent = b[1];
          svg.appendChild(v);
        }
      });
      if (i % labelEvery === 0) {
        var t = document.createElementNS(SVG, "text");
        t.setAttribute("x", left + i * slotW); t.setAttribute("y", h - 6);
        t.textContent = s.start;
        svg.appendChild(t);
      }
    });
  }

  function hot(list) {
    var ol = $("hot");
    ol.textContent = "";
    if (!list.length) { ol.appendChild(two("今日暂无取号", "No tickets yet today", "empty")); return; }
    var max = list[0].tickets || 1;
    list.forEach(function (s, i) {
      var li = el("li");
      li.dataset.service = s.service;
      li.appendChild(el("div", "rank num", String(i + 1)));
      var mid = el("div");
      mid.appendChild(two(s.name, s.name_en));
      var bg = el("div", "bar-bg"), fg = el("div", "bar-fg");
      fg.style.width = Math.round((100 * s.tickets) / max) + "%";
      bg.appendChild(fg); mid.appendChild(bg);
      li.appendChild(mid);
      li.appendChild(el("div", "count num", String(s.tickets)));
      ol.appendChild(li);
    });
  }

  var LEVEL_EN = {very_satisfied: "Very satisfied", satisfied: "Satisfied", basically_satisfied: "Fairly satisfied",
    dissatisfied: "Dissatisfied", very_dissatisfied: "Very dissatisfied"};
  function ratings(r) {
    $("r-total").textContent = r.total ? "共 " + r.total + " 条 · " + r.total + " in all" : "";
    var ul = $("ratings");
    ul.textContent = "";
    if (!r.total) { ul.appendChild(two("今日暂无评价", "No ratings yet today", "empty")); return; }
    r.by_level.forEach(function (l) {
      var li = el("li", l.bad ? "bad" : "good");
      li.appendChild(two(l.label, LEVEL_EN[l.level] || l.level, "label"));
      var track = el("div", "track"), fill = el("div", "fill");
      fill.style.width = Math.round((100 * l.count) / r.total) + "%";
      track.appendChild(fill); li.appendChild(track);
      li.appendChild(el("div", "n num", String(l.count)));
      ul.appendChild(li);
    });
  }

  var STATE = {serving: "办理中", calling: "呼叫中", idle: "空闲", paused: "暂停", closed: "关闭"};
  function windows(list) {
    var box = $("windows");
    box.textContent = "";
    list.forEach(function (w) {
      var d = el("div", "win " + w.state);
      d.dataset.window = w.id;
      d.title = (w.name || w.number + "号窗口") + " · " + (STATE[w.state] || w.state) + " · 今日 " + w.handled;
      d.appendChild(el("div", "no num", w.number + "号"));
      d.appendChild(el("div", "tk num", w.ticket || (w.state === "closed" ? "" : STATE[w.state] || "")));
      box.appendChild(d);
    });
  }

  function queues(list) {
    var body = $("queues");
    body.textContent = "";
    var rows = list.filter(function (q) { return q.waiting > 0; })
      .sort(function (a, b) { return b.waiting - a.waiting; });
    if (!rows.length) {
      var tr = el("tr"), td = el("td");
      td.colSpan = 3;
      td.appendChild(two("当前无人等候", "Nobody is waiting", "empty"));
      tr.appendChild(td); body.appendChild(tr);
      return;
    }
    var room = Math.max(1, Math.floor(($("queues").closest(".panel").clientHeight - 90) / 48));
    rows.slice(0, room).forEach(function (q) {
      var tr = el("tr");
      tr.dataset.service = q.service;
      var name = el("td");
      name.appendChild(two(q.prefix + " " + q.name, q.name_en));
      tr.appendChild(name);
      tr.appendChild(el("td", "n num", String(q.waiting)));
      var eta = el("td", "n num");
      eta.textContent = q.eta_minutes === null ? "–" : String(q.eta_minutes);
      if (q.eta_minutes !== null) eta.appendChild(el("small", "", " 分钟"));
      tr.appendChild(eta);
      body.appendChild(tr);
    });
  }

  function show(f) {
    kpi("k-taken", f.taken);
    kpi("k-called", f.called);
    kpi("k-waiting", f.waiting);
    kpi("k-handled", f.handled);
    kpi("k-no-shows", f.no_shows);
    kpi("k-cancelled", f.cancelled);
    kpi("k-wait", f.avg_wait_minutes, "分钟 min");
    kpi("k-handling", f.avg_handling_minutes, "分钟 min");
    kpi("k-good", f.ratings.good_share === null ? null : Math.round(f.ratings.good_share * 1000) / 10, "%");
    chart(f.slots);
    hot(f.hot);
    ratings(f.ratings);
    windows(f.windows);
    queues(f.queues);
    $("updated").textContent = f.at.slice(11, 19);
    document.body.dataset.at = f.at;
  }

  function fetchNow() {
    pending = null;
    if (inFlight) { again = true; return; }
    inFlight = true;
    lastFetch = Date.now();
    fetch(S.figures, {cache: "no-store"})
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(show)
      .catch(function () { /* the next event or the 30 s refresh tries again */ })
      .then(function () {
        inFlight = false;
        if (again) { again = false; soon(); }
      });
  }

  // at most one fetch a second however many events arrive
  function soon() {
    if (pending) return;
    var wait = Math.max(0, lastFetch + S.min_fetch_seconds * 1000 - Date.now());
    pending = setTimeout(fetchNow, wait);
  }

  function connect() {
    QmsSocket.follow(S.events, { message: soon, state: setConn }, 10000); // the snapshot, then every event
  }

  tick();
  setInterval(tick, 1000);
  setInterval(soon, S.refresh_seconds * 1000);
  window.addEventListener("resize", soon);
  fetchNow();
  connect();
})();
