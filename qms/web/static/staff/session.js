/* Staff login for the staff pages (the window console, the reports): shared, not copied.
 *
 * The page posts username and password to `POST /api/v1/auth/login` and keeps the bearer
 * token it gets in the tab's sessionStorage (one entry per hall, so the staff pages of a hall
 * opened in the same tab share the login), sending it as an `Authorization` header on every
 * API call. No cookie is involved, so a forged request from another site carries nothing that
 * authenticates it (no CSRF token needed; see qms/web/console.py). A 401 from any call but the
 * login itself (token expired, account removed) calls the page's `loggedOut`.
 */
var QmsStaff = (function () {
  "use strict";

  function key(hall) { return "qms-staff:" + hall; }

  /** The stored login of `hall` in this tab, or null. */
  function load(hall) {
    try { return JSON.parse(sessionStorage.getItem(key(hall))) || null; } catch (e) { return null; }
  }

  /** Keep `session` (null: forget it) for `hall` in this tab. */
  function save(hall, session) {
    if (session) sessionStorage.setItem(key(hall), JSON.stringify(session));
    else sessionStorage.removeItem(key(hall));
  }

  /** Thrown (and to be ignored) when a call found the login void and `loggedOut` ran. */
  function LoggedOut(message) { this.message = message; }

  /** `api(method, url, body)` -> Promise of the JSON answer; rejects with an Error whose
   * message and `code` are the server's, or with LoggedOut. `options`: {session: () -> session or null,
   * login: the login URL, loggedOut: called on a 401}. `raw: true` as fourth argument gives
   * the fetch Response itself (for a CSV download). */
  function client(options) {
    return function api(method, url, body, raw) {
      var session = options.session();
      var headers = { Accept: "application/json" };
      if (session) headers.Authorization = "Bearer " + session.token;
      if (body !== undefined) headers["Content-Type"] = "application/json";
      return fetch(url, {
        method: method, headers: headers, cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then(function (r) {
        if (raw && r.ok) return r;
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (r.status === 401 && session && url !== options.login) {
            options.loggedOut();
            throw new LoggedOut(data.error ? data.error.message : "logged out");
          }
          if (!r.ok) {
            var error = new Error(data.error ? data.error.message : "HTTP " + r.status);
            error.code = data.error ? data.error.code : "";
            throw error;
          }
          return data;
        });
      });
    };
  }

  /** Log in: Promise of the new session {token, username, name, role, windows}. */
  function login(api, url, username, password) {
    return api("POST", url, { username: username, password: password }).then(function (data) {
      return { token: data.token, username: data.username, name: data.name, role: data.role, windows: data.windows };
    });
  }

  /** Bind the page's login form (templates/staff_login.html): on success `done(session)`,
   * on failure `failed(message)`. */
  function bindLoginForm(api, url, done, failed) {
    var form = document.getElementById("login-form");
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      login(api, url, document.getElementById("username").value.trim(), document.getElementById("password").value)
        .then(done)
        .catch(function (err) { failed("登录失败 Login failed: " + err.message); });
    });
  }

  return { load: load, save: save, client: client, login: login, bindLoginForm: bindLoginForm, LoggedOut: LoggedOut };
})();
