/* The screen's own voice: a zone's announcements, played through this screen's speakers.
 *
 * Kept apart from render.js (which draws and knows no transport) and live.js (the events):
 * a TV box may speak through its own player and leave this file out.
 *
 * When `settings.sound` is "on" and the hall has voice calling (GET .../voice says `voice`),
 * the page connects to the zone's announcement stream (GET .../voice/stream?zone=, a
 * websocket; reconnecting by itself, static/shared/socket.js) and plays each
 * announcement's WAV with one <audio> element, in the order they come, one at a time: one
 * that arrives while another plays waits its turn, none is cut off. The server already paces
 * a zone's announcements by their length, so the queue here stays short; it is bounded all
 * the same (the oldest waiting is dropped) so that a screen that fell behind catches up.
 * While one plays, the renderer marks its call with a speaker icon (`screen.speaking`).
 *
 * Browsers refuse to play sound before someone has touched the page. A kiosk's Chromium is
 * started with `--autoplay-policy=no-user-gesture-required` and plays at once; elsewhere the
 * page shows a "点击开启语音 / Tap to turn on sound" button, and connects to the stream only
 * once sound plays (calls made while it was mute are over). The choice is remembered in
 * localStorage: after a reload, any tap or key on the page turns the sound on again.
 *
 * The root element says what the voice is doing in `data-sound`: "off" (sound=off),
 * "checking", "unavailable" (the hall has no voice), "locked" (waiting for a tap) or "on".
 */
(function (global) {
  "use strict";

  var BACKOFF_MIN_MS = 500;
  var BACKOFF_MAX_MS = 5000;
  var QUEUE_MAX = 20; // announcements waiting on this page; beyond, the oldest is dropped
  var HISTORY_MAX = 50; // announcements remembered for inspection (`history`)
  var STORE_PREFIX = "qms-screen-sound:";

  /* A tenth of a second of silence as a WAV data: URI, played to learn whether sound may play. */
  function silence() {
    var samples = 800; // 0.1 s at 8 kHz, 16-bit mono
    var bytes = new Uint8Array(44 + samples * 2);
    var view = new DataView(bytes.buffer);
    function ascii(at, text) { for (var i = 0; i < text.length; i++) bytes[at + i] = text.charCodeAt(i); }
    ascii(0, "RIFF"); view.setUint32(4, 36 + samples * 2, true); ascii(8, "WAVE");
    ascii(12, "fmt "); view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
    view.setUint32(24, 8000, true); view.setUint32(28, 16000, true); view.setUint16(32, 2, true); view.setUint16(34, 16, true);
    ascii(36, "data"); view.setUint32(40, samples * 2, true);
    var text = "";
    bytes.forEach(function (b) { text += String.fromCharCode(b); });
    return "data:audio/wav;base64," + btoa(text);
  }

  function remembered(key) {
    try { return global.localStorage.getItem(key) === "on"; } catch (e) { return false; }
  }

  function remember(key) {
    try { global.localStorage.setItem(key, "on"); } catch (e) { /* private mode: asked again next time */ }
  }

  function start(settings, screen, root) {
    var storeKey = STORE_PREFIX + settings.hall + ":" + (settings.zone || "*");
    var audio = new Audio();
    audio.preload = "auto";
    var queue = []; // announcements waiting to be played
    var current = null; // the history entry of the announcement being played
    var history = []; // {id, ticket, window_number, url, queued, started, ended, how}, oldest first
    var dropped = 0;
    var socket = null;
    var attempt = 0;
    var button = null;
    var watchdog = null;
    var self = { state: "", queue: queue, history: history, dropped: function () { return dropped; } };

    function setState(state) {
      self.state = state;
      root.dataset.sound = state;
    }

    /* -- playing ------------------------------------------------------------------------------ */

    function enqueue(announcement) {
      if (!announcement.audio_url) return; // the hall's voice failed for this call: shown, not spoken
      if (self.state !== "on") return; // sound taken away: calls made while mute are over by the tap
      queue.push({
        id: announcement.id, ticket: announcement.ticket, window_number: announcement.window_number,
        url: announcement.audio_url, duration: announcement.duration_seconds || 0,
        queued: performance.now(), started: null, ended: null, how: null,
      });
      while (queue.length > QUEUE_MAX) { queue.shift(); dropped += 1; }
      playNext();
    }

    function playNext() {
      if (current !== null || queue.length === 0 || self.state !== "on") return;
      var entry = queue.shift();
      current = entry;
      history.push(entry);
      if (history.length > HISTORY_MAX) history.shift();
      screen.speaking({ ticket: entry.ticket, window_number: entry.window_number });
      audio.src = entry.url;
      // never cuts a call short: only a clip that neither ended nor failed long after its length is given up
      watchdog = setTimeout(function () { finish(entry, "timeout"); }, (entry.duration * 2 + 10) * 1000);
      var playing = audio.play();
      if (playing && playing.catch) {
        playing.catch(function (error) {
          if (current !== entry) return;
          if (error && error.name === "NotAllowedError") { // sound was taken away: ask for a tap again
            clearTimeout(watchdog);
            current = null;
            history.pop();
            queue.length = 0;
            screen.speaking(null);
            lock();
          } else {
            finish(entry, "error");
          }
        });
      }
    }

    function finish(entry, how) {
      if (current !== entry) return;
      clearTimeout(watchdog);
      entry.ended = performance.now();
      entry.how = how;
      current = null;
      screen.speaking(null);
      playNext();
    }

    audio.addEventListener("playing", function () {
      if (current !== null && current.started === null) current.started = performance.now();
    });
    audio.addEventListener("ended", function () { if (current !== null) finish(current, "ended"); });
    audio.addEventListener("error", function () { if (current !== null) finish(current, "error"); });

    /* -- permission to play -------------------------------------------------------------------- */

    function unlocked(gesture) {
      if (self.state === "on") return;
      if (gesture) remember(storeKey);
      if (button) { button.remove(); button = null; }
      setState("on");
      connect();
      playNext();
    }

    /* Play the silence: it plays when sound is allowed (a kiosk flag, or inside a tap). */
    function tryUnlock(gesture) {
      if (current !== null) return;
      audio.src = silence();
      var playing = audio.play();
      if (!playing || !playing.then) { unlocked(gesture); return; }
      playing.then(function () { unlocked(gesture); }, function () { if (!gesture) lock(); });
    }

    function lock() {
      setState("locked");
      if (button) return;
      button = document.createElement("button");
      button.type = "button";
      button.className = "sound-unlock";
      button.id = "sound-unlock";
      var zh = document.createElement("span");
      zh.className = "zh";
      zh.textContent = "点击开启语音";
      var en = document.createElement("span");
      en.className = "en";
      en.textContent = "Tap to turn on sound";
      button.append(zh, en);
      button.addEventListener("click", function (event) { event.stopPropagation(); tryUnlock(true); });
      document.body.appendChild(button);
    }

    // Sound turned on here before: any tap or key (a remote control's) turns it on again.
    function anyGesture() { if (self.state === "locked" && remembered(storeKey)) tryUnlock(true); }
    document.addEventListener("pointerdown", anyGesture, true);
    document.addEventListener("keydown", anyGesture, true);

    /* -- the announcement stream --------------------------------------------------------------- */

    function connect() {
      if (socket !== null) return;
      var query = settings.zone ? "?zone=" + encodeURIComponent(settings.zone) : "";
      socket = QmsSocket.follow(settings.voice_stream + query, {
        message: function (data) { if (data.type === "announcement") enqueue(data); }, // after a "hello"
      });
    }

    /* Whether the hall speaks at all; asked again with a backoff while the server is away. */
    function check() {
      fetch(settings.voice, { cache: "no-store" })
        .then(function (r) {
          if (r.status === 404) return { voice: false }; // unknown hall or voice calling off
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json();
        })
        .then(function (status) {
          attempt = 0;
          if (!status.voice) setState("unavailable");
          else tryUnlock(false);
        })
        .catch(function () {
          var delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, attempt));
          attempt += 1;
          setTimeout(check, delay);
        });
    }

    if (settings.sound !== "on" || !settings.voice || !settings.voice_stream) {
      setState("off");
    } else {
      setState("checking");
      check();
    }
    return self;
  }

  global.QmsVoice = { start: start };
})(window);
