"""The staff accounts page: add an account, change its name, role and windows, reset its
password (stored as an argon2 hash), disable it, log it out everywhere.

Accounts live in the admin store (qms/storage/admin.py); each change is one transaction with
its audit row, and the live account map is reloaded right after, so the change holds for the
next login and the next request of a session. Resetting the password or disabling the account
ends its sessions (`revocations.py`), as "log out everywhere" does. An admin cannot disable or demote their own
account here: a hall must never lock every admin out by mistake.
"""

from __future__ import annotations

import re
import time

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from qms.passwords import hash_password
from qms.storage import audit
from qms.storage.admin import StoredAccount
from qms.web.state import web_state

from .gate import AdminRequest, admin_page, not_found

USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")
ROLES = (("staff", "窗口工作人员", "window staff"), ("admin", "管理员", "admin"))
MIN_PASSWORD = 8


@admin_page
async def staff(admin: AdminRequest) -> Response:
    """`GET /admin/{hall}/staff`: every account, disabled ones too."""
    accounts = await admin.desk.store.accounts()
    return admin.render("staff.html", "staff", accounts=accounts, roles=dict((r, zh) for r, zh, _ in ROLES))


@admin_page
async def account_form(admin: AdminRequest) -> Response:
    """`GET|POST /admin/{hall}/staff/{username}` (`new` adds one)."""
    username = admin.request.path_params["username"]
    accounts = {a.username: a for a in await admin.desk.store.accounts()}
    old = accounts.get(username)
    if username != "new" and old is None:
        return not_found(admin, (f"用户名为「{username}」的账号", f"account {username!r}"), "unknown_account")
    form = admin.form
    if form is None:
        return _page(admin, old, _values(old))
    window_ids = {w.id for w in admin.service.config.windows}
    if old is None:
        username = form.pattern(
            "username", USERNAME, "最多 32 个小写字母、数字或“_.-”", 'up to 32 lower-case letters, digits or "_.-"'
        )
        if username in accounts:
            form.fail("username", "这个用户名已被使用", "this user name is taken")
    name = form.text("name", max_len=50)
    role = form.choice("role", [r for r, _, _ in ROLES])
    windows = tuple(w for w in form.all("windows") if w)
    if any(w not in window_ids for w in windows):
        form.fail("windows", "请只选择本大厅的窗口", "choose windows of this hall only")
    disabled = form.checked("disabled")
    password = form.raw("password")
    if (old is None or password) and len(password) < MIN_PASSWORD:
        form.fail("password", f"密码至少 {MIN_PASSWORD} 个字符", f"at least {MIN_PASSWORD} characters")
    if old is not None and old.username == admin.principal.username and (disabled or role != "admin"):
        form.fail("role", "不能停用自己的账号或取消自己的管理员权限", "you cannot disable or demote your own account")
    if form.errors:
        values = {
            "username": username,
            "name": name,
            "role": role,
            "password": "",
            "disabled": "on" if disabled else "",
        }
        return _page(admin, old, values, windows, status=422)
    password_hash = await run_in_threadpool(hash_password, password) if password else ""
    account = StoredAccount(
        username, name, role, password_hash or (old.password_hash if old else ""), windows, disabled
    )
    now = admin.service.now()
    await admin.desk.store.save_account(admin.service.id, account, old, admin.principal.username, now)
    await admin.desk.reload(web_state(admin.request).accounts)
    if old is not None and (password_hash or (disabled and not old.disabled)):
        # a reset password or a disabled account ends the account's sessions: an old login
        # must not outlive the password it was made with, nor come back when it is enabled again
        await web_state(admin.request).revocations.end_all(username, time.time())
    return admin.saved("/staff")


@admin_page
async def end_sessions(admin: AdminRequest) -> Response:
    """`POST /admin/{hall}/staff/{username}/logout`: log the account out everywhere (every
    browser and window console it is logged in on), audited."""
    username = admin.request.path_params["username"]
    accounts = {a.username: a for a in await admin.desk.store.accounts()}
    if username not in accounts:
        return not_found(admin, (f"用户名为「{username}」的账号", f"account {username!r}"), "unknown_account")
    at = admin.service.now()
    row = audit.audit_row(
        admin.service.id, at, admin.principal.username, "staff", f"staff {username}", "", '{"sessions":"ended"}'
    )
    await web_state(admin.request).revocations.end_all(username, time.time(), row)
    return admin.saved(f"/staff/{username}")


def _values(account: StoredAccount | None) -> dict[str, str]:
    if account is None:
        return {"username": "", "name": "", "role": "staff", "password": "", "disabled": ""}
    return {
        "username": account.username,
        "name": account.name,
        "role": account.role,
        "password": "",
        "disabled": "on" if account.disabled else "",
    }


def _page(
    admin: AdminRequest,
    account: StoredAccount | None,
    values: dict[str, str],
    windows: tuple[str, ...] | None = None,
    *,
    status: int = 200,
) -> Response:
    chosen = set(windows if windows is not None else (account.windows if account else ()))
    return admin.render(
        "account.html",
        "staff",
        status,
        account=account,
        values=values,
        roles=ROLES,
        windows=admin.service.config.windows,
        chosen=chosen,
    )
