"""Cookie sessions and CSRF protection for the staff pages that post forms (the admin pages).

The session cookie holds a staff token of `tokens.py` (signed with the server's secret, with
its expiry inside) and a random session id after a colon, so a session survives a restart
and needs no table of live sessions (only of ended ones, `revocations.py`). The cookie is
HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it), Secure when
the page is served over https, and valid for the whole site (Path=/).

CSRF: every form carries a hidden `csrf` field, the HMAC of the session cookie under the
secret (`TokenSigner.derive`), so it is per session, cannot be made without the secret, and
needs no storage. Every POST is checked before anything else; a missing or wrong token is a
403 page and nothing changes. The login form, posted before there is a session, is protected
the same way with a random value in a short-lived `qms_login` cookie (double submit).

Each request re-reads the account named in the token (as the API does), so an account
disabled or demoted on the admin pages loses its rights at once. Logging out ends the session
on the server too (`revocations.py`): a copy of the cookie is no session afterwards, also
after a restart.
"""

from __future__ import annotations

import hmac
import secrets
import time
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from qms.web.auth import Principal, principal_of, sign_in
from qms.web.errors import TooManyAttempts, Unauthorized
from qms.web.state import web_state
from qms.web.templating import error_page, templates
from qms.web.tokens import Claims

from .forms import Form, Refusal, read_form

SESSION_COOKIE = "qms_session"
LOGIN_COOKIE = "qms_login"
LOGIN_PATH = "/admin/login"


def session_principal(request: Request) -> Principal | None:
    """The staff member of the request's session cookie, or None (no, expired, void or ended
    session)."""
    session = _session(request)
    if session is None:
        return None
    return principal_of(web_state(request), session[0].username)


def _session(request: Request) -> tuple[Claims, str] | None:
    """The claims and session id of the request's cookie while its session lasts, else None."""
    token, _, session_id = request.cookies.get(SESSION_COOKIE, "").partition(":")
    if not token:
        return None
    state = web_state(request)
    try:
        claims = state.tokens.verify(token, time.time())
    except Unauthorized:  # forged, expired or from another secret: no session, the login page follows
        return None
    if state.revocations.ended(claims, session_id):  # logged out, here or everywhere
        return None
    return claims, session_id


def csrf_token(request: Request) -> str:
    """The CSRF token of the request's session (or of its login form)."""
    state = web_state(request)
    session = request.cookies.get(SESSION_COOKIE, "")
    return state.tokens.derive("csrf", session)


def csrf_ok(request: Request, form: Form, *, login: bool = False) -> bool:
    """True when the form's `csrf` field matches the session's (or the login form's) token."""
    state = web_state(request)
    sent = form.raw("csrf")
    if login:
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        expected = state.tokens.derive("login", nonce) if nonce else ""
    else:  # no session, no token: a form never matches one derived from an empty cookie
        expected = csrf_token(request) if request.cookies.get(SESSION_COOKIE) else ""
    return bool(sent and expected) and hmac.compare_digest(sent.encode(), expected.encode())


def csrf_refused(request: Request) -> Response:
    """The 403 page of a form without a valid CSRF token."""
    return error_page(
        request,
        403,
        ("表单已失效", "This form has expired"),
        (
            "表单缺少有效的安全令牌（可能已退出登录或页面过旧），未做任何更改。请返回、刷新页面后重试。",
            "The form had no valid security token (you may have logged out, or the page was old); "
            "nothing was changed. Go back, reload the page and try again.",
        ),
        look="admin",
        code="invalid_csrf_token",
    )


def not_admin(request: Request, principal: Principal) -> Response:
    """The 403 page for staff without the admin role."""
    return error_page(
        request,
        403,
        ("需要管理员权限", "Admin role required"),
        (
            f"账号「{principal.username}」没有管理员权限，不能打开管理页面。请用管理员账号登录。",
            f"The account {principal.username!r} is not an admin and cannot open the admin pages. "
            "Log in with an admin account.",
        ),
        look="admin",
        code="admin_only",  # as the API's admin endpoints answer
    )


def to_login(request: Request) -> Response:
    """Send a request without a session to the login page, to come back afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{LOGIN_PATH}?next={quote(target)}", status_code=303)


def _safe_next(value: str) -> str:
    # only a path of this site: never an absolute or scheme-relative URL (open redirect)
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/admin"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


async def login_page(request: Request) -> Response:
    """`GET /admin/login?next=`: the login form; `POST`: check it and start a session."""
    next_path = _safe_next(request.query_params.get("next", "/admin"))
    if request.method == "GET":
        return _render_login(request, next_path, "", None)
    form = await read_form(request)
    next_path = _safe_next(form.raw("next") or next_path)
    if not csrf_ok(request, form, login=True):
        return csrf_refused(request)
    state = web_state(request)
    username, password = form.raw("username"), form.raw("password")
    if not username or not password:
        missing = Refusal("请输入用户名和密码 · Enter your user name and password", "credentials_required")
        return _render_login(request, next_path, username, missing, status=422)
    try:
        _, token, _ = await sign_in(state, username, password)
    except TooManyAttempts as exc:
        throttled = Refusal(f"登录失败次数过多 · {exc.message}", exc.code)
        return _render_login(request, next_path, username, throttled, status=429)
    except Unauthorized as exc:
        wrong = Refusal("用户名或密码错误 · Wrong user name or password", exc.code)
        return _render_login(request, next_path, username, wrong, status=401)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        f"{token}:{secrets.token_urlsafe(16)}",  # a session id: two logins in one second differ
        max_age=int(state.tokens.ttl_seconds),
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )
    response.delete_cookie(LOGIN_COOKIE, path=LOGIN_PATH)
    return response


def _render_login(
    request: Request, next_path: str, username: str, error: Refusal | None, status: int = 200
) -> Response:
    nonce = secrets.token_urlsafe(16)
    context = {
        "next": next_path,
        "username": username,
        "error": error,
        "csrf": web_state(request).tokens.derive("login", nonce),
    }
    response = templates.TemplateResponse(request, "admin/login.html", context, status_code=status)
    response.set_cookie(
        LOGIN_COOKIE, nonce, max_age=3600, path=LOGIN_PATH, secure=_secure(request), httponly=True, samesite="strict"
    )
    return response


async def logout(request: Request) -> Response:
    """`POST /admin/logout` (with the CSRF token): end the session, for a copy of the cookie too."""
    form = await read_form(request)
    if not csrf_ok(request, form):
        return csrf_refused(request)
    session = _session(request)
    if session is not None:
        claims, session_id = session
        state = web_state(request)
        if session_id:
            await state.revocations.revoke(session_id, claims, time.time())
        else:  # a cookie without an id (none is issued so): end all of the account's
            await state.revocations.end_all(claims.username, time.time())
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=_secure(request), httponly=True, samesite="strict")
    return response
