"""The device registry page: add a device, change its window, zone or bridge, remove it, and
show or reset its MQTT password.

The registry lives in the admin store (qms/storage/devices.py), seeded from the hall file's
`[[devices]]` on first start. Each change is one transaction with its audit row; right after
it the hall's device link puts the new registry in force without a restart: the gateway takes
events from exactly the registered devices, and the managed Mosquitto gets a new password file
and ACL and reloads them (SIGHUP). With an external broker (`QMS_MQTT_URL`) the broker's
operator sets the devices' credentials; the page says so.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from starlette.responses import Response

from qms.config.devices import MOSQUITTO_HASH_PATTERN, RESERVED_IDS, DeviceConfig
from qms.contract import WINDOW_KINDS, DeviceKind
from qms.core.model import ID_PATTERN
from qms.storage.devices import login_of
from qms.web.templating import error_page

from .forms import Form, Refusal
from .gate import AdminRequest, admin_page, not_found

KINDS = (
    (DeviceKind.KEYPAD, "呼叫器", "keypad"),
    (DeviceKind.LED_BAR, "窗口屏", "LED bar"),
    (DeviceKind.RATING_PAD, "评价器", "rating pad"),
    (DeviceKind.DISPENSER, "取号机", "dispenser"),
    (DeviceKind.SCREEN, "综合屏", "screen"),
    (DeviceKind.HELP_BUTTON, "呼叫帮办", "help button"),
    (DeviceKind.BRIDGE, "串口网关", "firmware bridge"),
)
LOGINS = {
    "bridge": ("经网关登录", "through its bridge"),
    "hash": ("已配置密码哈希", "a configured hash"),
    "demo": ("演示密码", "demo password"),
    "generated": ("服务器生成的密码", "generated password"),
}


@admin_page
async def devices(admin: AdminRequest) -> Response:
    """`GET /admin/{hall}/devices`: the device registry."""
    return admin.render("devices.html", "devices", **_context(admin))


@admin_page
async def device_form(admin: AdminRequest) -> Response:
    """`GET|POST /admin/{hall}/devices/{device}` (`new` adds one): a device's kind, window,
    zone, bridge and, optionally, a Mosquitto password hash."""
    async with admin.desk.registry_lock:  # its window is checked and it is stored as one step
        return await _device_form(admin)


async def _device_form(admin: AdminRequest) -> Response:
    registry = _registry(admin)
    device_id = admin.request.path_params["device"]
    old = registry.get(device_id)
    if device_id != "new" and old is None:
        return _no_device(admin, device_id)
    form = admin.form
    if form is None:
        return _page(admin, old, _values(old))
    device = _read(admin, form, old, registry)
    if device is None:
        return _page(admin, old, {k: form.raw(k) for k in ("id", "kind", "window", "zone", "bridge")}, status=422)
    store = admin.desk.store
    await store.save_device(admin.service.id, device, old, admin.principal.username, admin.service.now())
    await admin.desk.devices_changed(admin.service.id)
    return admin.saved("/devices")


@admin_page
async def remove_device(admin: AdminRequest) -> Response:
    """`POST /admin/{hall}/devices/{device}/remove`: take a device out of the registry; its
    login stops working at once. A bridge that devices still hang off stays."""
    registry = _registry(admin)
    device_id = admin.request.path_params["device"]
    old = registry.get(device_id)
    if old is None:
        return _no_device(admin, device_id)
    behind = sorted(d.id for d in registry.values() if d.bridge == old.id)
    if behind:
        return error_page(
            admin.request,
            409,
            ("未删除", "Not removed"),
            (
                f"网关 {old.id} 下还有设备：{'、'.join(behind)}。请先把它们移到别的网关或删除。",
                f"Devices still hang off bridge {old.id}: {', '.join(behind)}. Move or remove them first.",
            ),
            look="admin",
            code="bridge_has_devices",
        )
    await admin.desk.store.remove_device(admin.service.id, old, admin.principal.username, admin.service.now())
    await admin.desk.devices_changed(admin.service.id)
    return admin.saved("/devices")


@admin_page
async def credential(admin: AdminRequest) -> Response:
    """`POST /admin/{hall}/devices/{device}/credential` with `action` = `show` or `reset`: the
    device's MQTT password on the page (never in a URL); a reset gives it a newly generated
    one, audited, and the old one stops working at once."""
    registry = _registry(admin)
    device_id = admin.request.path_params["device"]
    old = registry.get(device_id)
    if old is None:
        return _no_device(admin, device_id)
    link = admin.desk.links.get(admin.service.id)
    assert admin.form is not None
    action = admin.form.choice("action", ["show", "reset"])
    if admin.form.errors:
        return _page(admin, old, _values(old), status=422)
    if link is None or not link.keeps_passwords or old.bridge is not None:
        kept = Refusal(
            "这台设备的密码不由本服务器管理 · this server does not keep this device's password", "password_not_kept"
        )
        return _page(admin, old, _values(old), status=409, refused=kept)
    if action == "show":
        return _page(admin, old, _values(old), password=link.password(old))
    password = link.password(old, new=True)
    device = replace(old, password=None, password_hash=None)  # the generated password from now on
    store = admin.desk.store
    now = admin.service.now()
    await store.save_device(admin.service.id, device, old, admin.principal.username, now, password_reset=True)
    await admin.desk.devices_changed(admin.service.id)
    return _page(admin, device, _values(device), password=password, reset=True)


def _read(
    admin: AdminRequest, form: Form, old: DeviceConfig | None, registry: dict[str, DeviceConfig]
) -> DeviceConfig | None:
    """The posted device, or None with a message at each bad field."""
    config = admin.service.config
    windows = {w.id: w for w in config.windows}
    if old is None:
        device_id = form.pattern(
            "id",
            ID_PATTERN,
            "最多 63 个小写字母、数字或“-”，不以“-”开头",
            'up to 63 of a-z, 0-9 and "-", not starting with "-"',
        )
        if device_id in registry or device_id == "new" or device_id in RESERVED_IDS:
            form.fail("id", "这个编号已被使用", "this id is taken")
    else:
        device_id = old.id
    kind_text = form.choice("kind", [k.value for k, _, _ in KINDS])
    kind = next((k for k, _, _ in KINDS if k.value == kind_text), None)
    window = form.raw("window") or None
    if kind in WINDOW_KINDS and window is None:
        form.fail("window", "这种设备属于一个窗口，请选择窗口", "this kind belongs to one window: choose it")
    elif kind is not None and kind not in WINDOW_KINDS and window is not None:
        form.fail(
            "window",
            "这种设备属于区域，不属于窗口；请留空",
            "this kind belongs to a zone, not a window: leave it blank",
        )
    elif window is not None and window not in windows:
        form.fail("window", "请选择本大厅的窗口", "choose one of the hall's windows")
    zone = form.raw("zone") or (windows[window].zone if window in windows else "main")
    if zone not in _zones(admin, registry):
        form.fail("zone", "请选择本大厅的区域", "choose one of the hall's zones")
    bridge = form.raw("bridge") or None
    if bridge is not None and (registry.get(bridge) is None or registry[bridge].kind is not DeviceKind.BRIDGE):
        form.fail("bridge", "请选择登记的串口网关", "choose a registered bridge")
    elif bridge is not None and kind is DeviceKind.BRIDGE:
        form.fail("bridge", "网关不能挂在另一个网关下", "a bridge does not hang off another bridge")
    hangs_off = old is not None and any(d.bridge == old.id for d in registry.values())
    if hangs_off and kind is not DeviceKind.BRIDGE:
        form.fail("kind", "这个网关下还有设备，不能改类型", "devices hang off this bridge: its kind stays")
    password_hash = form.raw("password_hash") or None
    if password_hash is not None and not MOSQUITTO_HASH_PATTERN.fullmatch(password_hash):
        form.fail(
            "password_hash", "格式如 $7$101$…（mosquitto_passwd 生成）", 'like "$7$101$..." from mosquitto_passwd'
        )
    elif password_hash is not None and bridge is not None:
        form.fail("password_hash", "网关下的设备经网关登录，不需要密码", "a device behind a bridge logs in through it")
    if form.errors or kind is None:
        return None
    password = old.password if old is not None and password_hash is None else None
    if password_hash is None and old is not None and bridge is None:
        password_hash = old.password_hash  # blank keeps the device's login as it was
    if bridge is not None:
        password = password_hash = None
    return DeviceConfig(device_id, kind, window, zone, bridge, password, password_hash)


def devices_at_window(admin: AdminRequest, window_id: str) -> tuple[str, str] | None:
    """Why window `window_id` cannot be removed yet (the devices bound to it, in Chinese and
    English), or None when no device is bound to it. Devices of a zone do not count."""
    bound = [d for d in _registry(admin).values() if d.window == window_id]
    if not bound:
        return None
    names = {k: (zh, en) for k, zh, en in KINDS}
    listed = sorted(bound, key=_by_kind_and_number)
    zh = "、".join(f"{d.id}（{names[d.kind][0]}）" for d in listed)
    en = ", ".join(f"{d.id} ({names[d.kind][1]})" for d in listed)
    return (
        f"这个窗口还登记有设备：{zh}。请先在“设备”页把它们改到别的窗口或删除，再删除窗口。",
        f"Devices are still registered to this window: {en}. Move them to another window or remove "
        "them on the devices page first, then remove the window.",
    )


def _registry(admin: AdminRequest) -> dict[str, DeviceConfig]:
    return {d.id: d for d in admin.desk.devices.get(admin.service.id, ())}


def _zones(admin: AdminRequest, registry: dict[str, DeviceConfig]) -> list[str]:
    """The hall's zones: its windows', those already in the registry, and "main"."""
    found = {w.zone for w in admin.service.config.windows} | {d.zone for d in registry.values()} | {"main"}
    return sorted(found)


def _context(admin: AdminRequest) -> dict[str, Any]:
    link = admin.desk.links.get(admin.service.id)
    registry = _registry(admin)
    return {
        "devices": sorted(registry.values(), key=_by_kind_and_number),
        "mode": "none" if link is None else str(link.mode),  # none: an app without device links
        "broker_problem": None if link is None else link.problem,
        "keeps_passwords": link is not None and link.keeps_passwords,  # also while its broker restarts
        "logins": {d.id: LOGINS[login_of(d)] for d in registry.values()},
        "kinds": KINDS,
        "kind_names": {k.value: zh for k, zh, _ in KINDS},
        "hall_windows": admin.service.config.windows,
        "zones": _zones(admin, registry),
        "bridges": sorted(d.id for d in registry.values() if d.kind is DeviceKind.BRIDGE),
    }


def _by_kind_and_number(device: DeviceConfig) -> tuple[str, list[str | int]]:
    """keypad-w2 before keypad-w10: runs of digits compare as numbers."""
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", device.id)]
    return device.kind.value, parts


def _values(device: DeviceConfig | None) -> dict[str, str]:
    if device is None:
        return {"id": "", "kind": DeviceKind.KEYPAD.value, "window": "", "zone": "", "bridge": ""}
    d = device
    return {"id": d.id, "kind": d.kind.value, "window": d.window or "", "zone": d.zone, "bridge": d.bridge or ""}


def _page(
    admin: AdminRequest,
    device: DeviceConfig | None,
    values: dict[str, str],
    *,
    status: int = 200,
    password: str | None = None,
    reset: bool = False,
    refused: Refusal | None = None,
) -> Response:
    context = _context(admin)
    login = LOGINS[login_of(device)] if device is not None else None
    return admin.render(
        "device.html", "devices", status, device=device, values=values, login=login, password=password,
        reset=reset, login_kind=login_of(device) if device is not None else "", refused=refused, **context,
    )  # fmt: skip


def _no_device(admin: AdminRequest, device_id: str) -> Response:
    return not_found(admin, (f"编号为「{device_id}」的设备", f"device {device_id!r}"), "unknown_device")
