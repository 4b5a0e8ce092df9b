/* A websocket of the hall (its events, the screen's voice stream) that reconnects by itself:
 * shared by every page that follows the hall live, not copied into each.
 *
 * After a drop the page keeps what it shows and opens the socket again, backing off from
 * 0.5 s to 5 s (doubling, with +-20 % jitter so that the screens and kiosks of a hall do not
 * reconnect in step). The back-off starts afresh only once the server has answered with its
 * first message (the events' snapshot, the voice stream's hello): a server that accepts and
 * drops at once is not hammered.
 */
var QmsSocket = (function () {
  "use strict";

  var BACKOFF_MIN_MS = 500;
  var BACKOFF_MAX_MS = 5000;

  /** Follow the websocket at `path` (with its query) on this host. `handlers.message(data)`
   * gets each message as parsed JSON; `handlers.state(s)`, if given, gets "connecting" (the
   * first try), "online" (the server's first message) and "offline" (dropped, trying again).
   * `maxMs` overrides the longest back-off. Returns {reopen(): open anew at once (the old
   * socket's close is on purpose, no back-off), close(): stop for good}. */
  function follow(path, handlers, maxMs) {
    var longest = maxMs || BACKOFF_MAX_MS;
    var attempt = 0;
    var socket = null;
    var stopped = false;
    var state = handlers.state || function () {};

    function open() {
      if (stopped || socket) return;
      state(attempt === 0 ? "connecting" : "offline");
      var scheme = location.protocol === "https:" ? "wss:" : "ws:";
      var ws;
      try { ws = new WebSocket(scheme + "//" + location.host + path); } catch (e) { retry(); return; }
      socket = ws;
      var answered = false;
      ws.onmessage = function (msg) {
        var data;
        try { data = JSON.parse(msg.data); } catch (e) { return; }
        if (!answered) { answered = true; attempt = 0; state("online"); }
        handlers.message(data);
      };
      ws.onclose = function () {
        if (socket !== ws) return; // closed on purpose
        socket = null;
        state("offline");
        retry();
      };
    }

    function retry() {
      var delay = Math.min(longest, BACKOFF_MIN_MS * Math.pow(2, attempt));
      attempt += 1;
      setTimeout(open, delay * (0.8 + 0.4 * Math.random()));
    }

    function drop() {
      var old = socket;
      socket = null;
      if (old) old.close();
    }

    open();
    return {
      reopen: function () { drop(); open(); },
      close: function () { stopped = true; drop(); },
    };
  }

  return { follow: follow };
})();
