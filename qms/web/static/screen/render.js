/* The waiting-area screen's rendering: a view in, the page out. No transport here.
 *
 * Two transports feed it the same view: `live.js` on the page the server serves (the
 * hall's events websocket plus GET /queues), and the TV box's screen process from the
 * retained MQTT topic `qms/1/<hall>/screen/<zone>`, whose payload is this view as is.
 *
 * The view (the `screen/<zone>` payload, `{seq, recent, waiting, eta}`):
 *
 *   {
 *     seq: 42,              // rises with every change; show() ignores a view older than the last shown
 *     recent: [             // the zone's latest calls, newest first, one per ticket
 *       {ticket: "20261123-A023", number: "A023", service: "pension",
 *        window: "w5", window_number: 5, window_name: "5号综合窗口", zone: "floor1",
 *        called_at: "2026-11-23T10:02:03+08:00", call_count: 2,
 *        holder: "张*三"}   // optional, already masked; masked again here whatever comes
 *     ],
 *     waiting: [            // the zone's services, in the hall's order
 *       {service: "pension", name: "养老保险待遇申领", name_en: "Pension claims",
 *        department: "人社局", prefix: "A", waiting: 12, windows_open: 3}
 *     ],
 *     eta: {pension: 25}    // minutes a ticket taken now would wait; null: no estimate
 *   }
 *
 * A call that was not in the previous view (a new call, or a recall: a new `called_at`)
 * flashes; the first view after the page loads flashes nothing, since those calls are old.
 *
 * `header({name, name_en, all, zones})` redraws the header from the layout as the snapshot
 * of the events websocket has it (qms/web/screen.py, `screen_header`): the hall's names and
 * the windows this screen's zone (or the whole hall) calls to, each `{zh, en}`.
 *
 * `speaking({ticket: "A023", window_number: 5})` marks the call whose announcement is being
 * played (a speaker icon on it, `data-speaking` on the root), `speaking(null)` clears it; the
 * mark stays on that call across views. Whatever plays the sound (voice.js) calls it.
 */
(function (global) {
  "use strict";

  var FLASH_MS = 10000; // how long a new call keeps its highlight

  function el(tag, cls, children) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function bilingual(tag, cls, zh, en) {
    var parts = [el("span", "zh", [zh])];
    if (en) parts.push(el("span", "en", [en]));
    return el(tag, cls, parts);
  }

  /* Never more than the masked form of a name (张*三) or phone (138****1234), even when a
     transport sends more: the screen is read by everyone in the hall. */
  function maskName(name) {
    var chars = Array.from(String(name || "").trim());
    if (chars.length === 0) return "";
    if (chars.indexOf("*") >= 0 && chars.length <= 4) return chars.join("");
    if (chars.length === 1) return "*";
    if (chars.length === 2) return chars[0] + "*";
    return chars[0] + "*".repeat(chars.length - 2) + chars[chars.length - 1];
  }

  function maskPhone(phone) {
    var digits = String(phone || "").replace(/\D/g, "");
    if (digits.length < 7) return "*".repeat(digits.length);
    return digits.slice(0, 3) + "****" + digits.slice(-4);
  }

  function callKey(call) {
    // by the instant, not the text: a restarted server may write the same time another way
    return call.ticket + "@" + Date.parse(call.called_at);
  }

  function windowLabel(call) {
    return { zh: call.window_number + "号窗口", en: "Window " + call.window_number };
  }

  /* Queue rows grouped by department, split into pages that fit `height` pixels: each page
     starts with its department's heading, marked 续 (continued) when the group began on the
     page before. Returns a list of pages, each a list of {dept, continued} or {queue}. */
  function paginate(queues, height, rowHeight, deptHeight) {
    var pages = [];
    var page = [];
    var used = 0;
    var dept = null;
    function newPage() {
      if (page.length) pages.push(page);
      page = [];
      used = 0;
    }
    queues.forEach(function (q) {
      var d = q.department || "";
      var needsHeading = d !== dept || page.length === 0;
      var need = rowHeight + (needsHeading && d ? deptHeight : 0);
      if (used + need > height && page.length) {
        newPage();
        needsHeading = true;
        need = rowHeight + (d ? deptHeight : 0);
      }
      if (needsHeading && d) {
        page.push({ dept: d, continued: d === dept });
        used += deptHeight;
      }
      page.push({ queue: q });
      used += rowHeight;
      dept = d;
    });
    newPage();
    return pages;
  }

  function create(root, settings) {
    var hero = root.querySelector("#hero");
    var recentList = root.querySelector("#recent");
    var queuesBody = root.querySelector("#queues");
    var pagesBar = root.querySelector("#pages");
    var conn = root.querySelector("#conn");
    var stale = root.querySelector("#stale");
    var seen = null; // call keys of the last view shown; null before the first
    var lastSeq = -Infinity;
    var flashUntil = {}; // call key -> time its flash ends
    var pages = [];
    var pageIndex = 0;
    var queueView = null;
    var clockOffset = 0; // server clock minus this machine's clock, in ms
    var maxRecent = settings.recent || 9;
    var staleTimer = null;
    var spoken = null; // {ticket, window_number} of the announcement being played, or null

    var SVG = "http://www.w3.org/2000/svg";
    function speakerIcon() {
      // drawn, not an emoji: a kiosk PC may lack an emoji font
      var svg = document.createElementNS(SVG, "svg");
      svg.setAttribute("viewBox", "0 0 24 24");
      svg.setAttribute("class", "speaker");
      svg.setAttribute("aria-label", "正在播报 Now announcing");
      var path = document.createElementNS(SVG, "path");
      path.setAttribute("d", "M3 9h4l5-4v14l-5-4H3z M15.5 8.5a5 5 0 0 1 0 7 M18.5 5.5a9 9 0 0 1 0 13");
      svg.appendChild(path);
      return svg;
    }

    function markSpeaking() {
      var nodes = [hero].concat(Array.prototype.slice.call(recentList.children));
      nodes.forEach(function (node) {
        var on = spoken !== null && node.dataset.ticket === spoken.ticket &&
          node.dataset.window === String(spoken.window_number);
        var icon = node.querySelector(":scope > .speaker");
        node.classList.toggle("speaking", on);
        if (on && !icon) node.appendChild(speakerIcon());
        if (!on && icon) icon.remove();
      });
      if (spoken === null) delete root.dataset.speaking;
      else root.dataset.speaking = spoken.ticket;
    }

    function speaking(call) {
      spoken = call ? { ticket: String(call.ticket), window_number: call.window_number } : null;
      markSpeaking();
    }

    function flashing(call, now) {
      return (flashUntil[callKey(call)] || 0) > now;
    }

    function renderHero(call, now) {
      hero.className = "hero" + (flashing(call, now) ? " flash" : "");
      var label = windowLabel(call);
      var children = [
        el("div", "number num", [call.number]),
        el("div", "go", ["请到", el("b", "num", [String(call.window_number)]), "号窗口"]),
        el("div", "go-en", ["Please go to window " + call.window_number]),
      ];
      if (call.window_name && call.window_name !== label.zh && call.window_name !== call.window_number + "号综合窗口") {
        children.push(el("div", "window-name", [call.window_name]));
      }
      if (call.holder) children.push(el("div", "window-name holder", [maskName(call.holder)]));
      if (call.call_count > 1) {
        children.push(el("div", "again", ["第" + call.call_count + "次呼叫 · Call " + call.call_count]));
      }
      hero.replaceChildren.apply(hero, children);
      hero.dataset.ticket = call.number;
      hero.dataset.window = String(call.window_number);
    }

    function renderEmptyHero() {
      hero.className = "hero empty";
      hero.replaceChildren(el("div", "zh", ["暂无叫号"]), el("div", "en", ["No calls yet"]));
      delete hero.dataset.ticket;
      delete hero.dataset.window;
    }

    function renderRecent(calls, now) {
      var items = calls.map(function (call) {
        var label = windowLabel(call);
        var li = el("li", "call" + (flashing(call, now) ? " flash" : ""), [
          el("span", "number num", [call.number]),
          bilingual("span", "window", label.zh, label.en),
        ]);
        li.dataset.ticket = call.number;
        li.dataset.window = String(call.window_number);
        return li;
      });
      recentList.replaceChildren.apply(recentList, items);
    }

    function etaText(q, minutes) {
      if (!q.waiting) return { zh: "无需等候", en: "No wait" };
      if (minutes === null || minutes === undefined) return { zh: "—", en: "" };
      if (minutes < 1) return { zh: "即将办理", en: "Soon" };
      if (minutes >= 120) {
        var h = Math.floor(minutes / 60);
        var m = minutes % 60;
        return { zh: "约" + h + "小时" + (m ? m + "分" : ""), en: "~" + h + " h " + (m ? m + " min" : "") };
      }
      return { zh: "约" + minutes + "分钟", en: "~" + minutes + " min" };
    }

    function queueRow(q, eta) {
      var name = el("div", "col name", [
        el("span", "zh", [el("span", "prefix", [q.prefix]), q.name]),
        el("span", "en", [q.name_en || ""]),
      ]);
      var count = el("div", "col count", [
        el("span", "zh num", [String(q.waiting), el("small", "", ["人"])]),
        el("span", "en", [q.waiting === 1 ? "person" : "people"]),
      ]);
      var text = etaText(q, eta[q.service]);
      var row = el("div", "queue" + (q.waiting ? "" : " idle"), [name, count, bilingual("div", "col eta", text.zh, text.en)]);
      row.dataset.service = q.service;
      row.dataset.waiting = String(q.waiting);
      return row;
    }

    function sizes() {
      var style = getComputedStyle(root);
      return {
        row: parseFloat(style.getPropertyValue("--row")) || 84,
        dept: parseFloat(style.getPropertyValue("--dept")) || 50,
      };
    }

    function renderQueuePage() {
      if (!queueView) return;
      var eta = queueView.eta || {};
      if (!pages.length) {
        queuesBody.replaceChildren(bilingual("div", "queues-empty", "目前无人等候", "Nobody is waiting"));
      } else {
        if (pageIndex >= pages.length) pageIndex = 0;
        var nodes = pages[pageIndex].map(function (item) {
          if (item.queue) return queueRow(item.queue, eta);
          return bilingual("div", "dept", item.dept + (item.continued ? "（续）" : ""), item.continued ? "continued" : "");
        });
        queuesBody.replaceChildren.apply(queuesBody, nodes);
      }
      var pips = [];
      if (pages.length > 1) {
        pips.push(el("span", "", ["第 " + (pageIndex + 1) + "/" + pages.length + " 页 · Page " + (pageIndex + 1) + " of " + pages.length]));
        for (var i = 0; i < pages.length; i++) pips.push(el("span", "pip" + (i === pageIndex ? " on" : "")));
      }
      pagesBar.replaceChildren.apply(pagesBar, pips);
      queuesBody.dataset.page = String(pageIndex);
      queuesBody.dataset.pages = String(pages.length);
    }

    function renderQueues(view) {
      var list = view.waiting || [];
      if (settings.queue_filter === "waiting") list = list.filter(function (q) { return q.waiting > 0; });
      queueView = { waiting: list, eta: view.eta || {} };
      var s = sizes();
      pages = paginate(list, queuesBody.clientHeight || 700, s.row, s.dept);
      renderQueuePage();
    }

    function show(view) {
      if (typeof view.seq === "number") {
        if (view.seq < lastSeq) return false; // a stale frame (MQTT may deliver one late)
        lastSeq = view.seq;
      }
      var now = Date.now();
      var calls = (view.recent || []).slice(0, maxRecent);
      var keys = {};
      calls.forEach(function (call) {
        var key = callKey(call);
        keys[key] = true;
        if (seen !== null && !seen[key]) flashUntil[key] = now + FLASH_MS;
      });
      Object.keys(flashUntil).forEach(function (key) {
        if (!keys[key] || flashUntil[key] <= now) delete flashUntil[key];
      });
      seen = keys;
      if (calls.length) renderHero(calls[0], now);
      else renderEmptyHero();
      renderRecent(calls.slice(1), now);
      markSpeaking();
      renderQueues(view);
      var next = Math.min.apply(null, Object.keys(flashUntil).map(function (k) { return flashUntil[k]; }).concat([Infinity]));
      if (next !== Infinity) setTimeout(function () { unflash(view); }, next - now + 20);
      return true;
    }

    function unflash(view) {
      var now = Date.now();
      hero.classList.toggle("flash", !!(view.recent && view.recent[0] && flashing(view.recent[0], now)));
      Array.prototype.forEach.call(recentList.children, function (li, i) {
        var call = view.recent[i + 1];
        li.classList.toggle("flash", !!(call && flashing(call, now)));
      });
    }

    /* "online", "connecting" or "offline"; offline for long shows the stale banner. */
    function connection(state) {
      var text = {
        online: ["已连接", "Online"],
        connecting: ["正在连接", "Connecting"],
        offline: ["正在重新连接", "Reconnecting"],
      }[state];
      conn.className = "conn " + state;
      conn.replaceChildren(el("span", "dot"), el("span", "zh", [text[0]]), el("span", "en", [text[1]]));
      if (state === "online") {
        clearTimeout(staleTimer);
        staleTimer = null;
        stale.hidden = true;
      } else if (state === "offline" && staleTimer === null) {
        staleTimer = setTimeout(function () { stale.hidden = false; }, 15000);
      }
    }

    var hallName = root.querySelector("#hall-name");
    var zoneLabel = root.querySelector("#zone");

    /* The header as the layout is now: a screen hangs on a wall for weeks without a reload. */
    function header(h) {
      var zone = settings.zone || null;
      var label = zone === null ? h.all : h.zones[zone];
      if (!label) label = { zh: zone + " 区 · 暂无窗口", en: "Zone " + zone + " · no windows" }; // its windows all removed
      var names = [el("div", "zh", [h.name])];
      if (h.name_en) names.push(el("div", "en", [h.name_en]));
      hallName.replaceChildren.apply(hallName, names);
      zoneLabel.replaceChildren(el("div", "zh", [label.zh]), el("div", "en", [label.en]));
      document.title = h.name + " · 叫号屏" + (zone === null ? "" : " · " + zone);
    }

    var clock = root.querySelector("#clock");
    var dateZh = root.querySelector("#date-zh");
    var dateEn = root.querySelector("#date-en");
    var tz = settings.timezone || undefined;
    var timeFmt = new Intl.DateTimeFormat("zh-CN", { timeZone: tz, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
    var zhFmt = new Intl.DateTimeFormat("zh-CN", { timeZone: tz, year: "numeric", month: "long", day: "numeric", weekday: "long" });
    var enFmt = new Intl.DateTimeFormat("en-GB", { timeZone: tz, weekday: "short", day: "numeric", month: "short", year: "numeric" });

    function tick() {
      var now = new Date(Date.now() + clockOffset);
      clock.textContent = timeFmt.format(now);
      dateZh.textContent = zhFmt.format(now);
      dateEn.textContent = enFmt.format(now);
      setTimeout(tick, 1000 - ((Date.now() + clockOffset) % 1000) + 5);
    }
    tick();

    setInterval(function () {
      if (pages.length > 1) {
        pageIndex = (pageIndex + 1) % pages.length;
        renderQueuePage();
      }
    }, (settings.page_seconds || 8) * 1000);

    window.addEventListener("resize", function () { if (queueView) renderQueues(queueView); });

    return {
      show: show,
      header: header,
      connection: connection,
      speaking: speaking,
      /* The server's clock (an ISO time it sent) against this machine's: a TV box's clock may be wrong. */
      serverTime: function (iso) {
        var at = Date.parse(iso);
        if (!isNaN(at)) clockOffset = at - Date.now();
      },
    };
  }

  global.QmsScreen = { create: create, paginate: paginate, maskName: maskName, maskPhone: maskPhone };
})(window);
