"""Loading a hall file (TOML) into a `HallConfig` and its staff accounts.

The layout is documented by example in `examples/qingyuan.toml` (a 55-window city hall)
and `examples/street-office.toml` (a small production-style office). Top-level sections:
`[hall]`, `[hours]`, `[policy]`, `[calling]`, `[[services]]`, `[[windows]]`, `[[staff]]`, `[[devices]]`,
`[ratings]`, and the optional `[voice]` (how calls are spoken; `voice_section.py`).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import time
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..core.booking import BookingRules
from ..core.errors import ConfigError
from ..core.model import DayHours, HallConfig, Hours, ServiceConfig, WindowConfig, serves
from ..core.nearby import HallSite, NeighbourHall
from ..passwords import hash_demo_password, is_password_hash
from ..voice.settings import VoiceConfig
from .booking import parse_booking, parse_site
from .devices import DeviceConfig, parse_devices, parse_rating_minutes
from .reader import BOOL, TEXT, ConfigFileError, Kind, Misfit, Table, choice, pattern
from .sections import ID, parse_calling, parse_hours, parse_policy, parse_services, parse_windows
from .voice_section import parse_voice

DEFAULT_TIMEZONE = "Asia/Shanghai"  # all of China keeps Beijing time
USERNAME = pattern(
    re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}"),
    'a user name of up to 32 lower-case letters, digits and "_.-", such as "zhang.san"',
)


def _read_timezone(value: object) -> str:
    if not isinstance(value, str):
        raise Misfit
    try:
        ZoneInfo(value)
    # ValueError: not a relative key, e.g. "/etc/localtime"; OSError: a name too long for a file name
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise Misfit from None
    return value


TIMEZONE = Kind('an IANA time zone such as "Asia/Shanghai"', _read_timezone)
HASH_EXPECTED = 'an argon2 hash such as "$argon2id$v=19$m=65536,t=3,p=4$..." made with `qms hash-password`'


class Role(StrEnum):
    """What a staff account may do."""

    STAFF = "staff"  # works at windows: call, serve, transfer, pause
    ADMIN = "admin"  # also configures the hall and sees every report


@dataclass(frozen=True, slots=True)
class StaffAccount:
    """A person who signs in at a window or to the admin pages."""

    username: str
    name: str
    role: Role
    password_hash: str = field(repr=False)  # kept out of reprs so it never lands in a log
    windows: tuple[str, ...] = ()  # the only windows this person may open; empty: any window


@dataclass(frozen=True, slots=True)
class HallFile:
    """A loaded hall file: the core's configuration plus what only the server needs."""

    hall: HallConfig
    staff: tuple[StaffAccount, ...]
    source: Path
    demo: bool = False  # `[hall] demo = true`: plain demo passwords were allowed
    voice: VoiceConfig = field(default_factory=VoiceConfig)  # `[voice]`: how calls are spoken
    devices: tuple[DeviceConfig, ...] = ()  # [[devices]]: the MQTT device registry
    booking: BookingRules | None = None  # `[booking]`: None takes no online bookings
    site: HallSite = field(default_factory=HallSite)  # `[hall] city, district, location`
    neighbours: tuple[NeighbourHall, ...] = ()  # `[[booking.neighbours]]`

    def device(self, device_id: str) -> DeviceConfig | None:
        """The registered device with this id, if any."""
        for d in self.devices:
            if d.id == device_id:
                return d
        return None

    def account(self, username: str) -> StaffAccount | None:
        """The staff account with this user name, if any."""
        for a in self.staff:
            if a.username == username:
                return a
        return None


def load_hall(path: str | os.PathLike[str]) -> HallFile:
    """Read and validate a hall file; every problem raises ConfigFileError naming file and key."""
    source = Path(path)
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise ConfigFileError(source, "", f"cannot read the file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")  # -sig: Windows editors like to prepend a byte-order mark
    except UnicodeDecodeError as exc:
        raise ConfigFileError(source, "", f"byte {exc.start} is not UTF-8; expected a UTF-8 text file") from None
    return loads_hall(text, source)


def loads_hall(text: str, source: str | os.PathLike[str] = "<string>") -> HallFile:
    """Like `load_hall`, from TOML text; `source` only names it in messages."""
    source = Path(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(source, "", f"TOML syntax error: {exc}") from None
    root = Table(data, source)
    root.only(
        "hall", "hours", "policy", "calling", "services", "windows", "staff", "voice", "devices", "ratings", "booking"
    )
    h = root.table("hall", required=True)
    h.only("id", "name", "name_en", "timezone", "demo", "city", "district", "location")
    demo = h.get("demo", BOOL, False)
    hall_id, name = h.get("id", ID), h.get("name", TEXT)
    name_en, timezone = h.get("name_en", TEXT, ""), h.get("timezone", TIMEZONE, DEFAULT_TIMEZONE)
    hours = parse_hours(root.table("hours", required=True))
    policy = parse_policy(root.table("policy"))
    calling = parse_calling(root.table("calling"))
    services = parse_services(root)
    windows = parse_windows(root, services)
    _check_served(root, services, windows)
    voice = parse_voice(root.table("voice"), services, windows, source.parent)
    rating_minutes = parse_rating_minutes(root.table("ratings"))
    try:
        hall = HallConfig(
            id=hall_id,
            name=name,
            name_en=name_en,
            timezone=timezone,
            services=services,
            windows=windows,
            hours=hours,
            policy=policy,
            calling=calling,
            rating_minutes=rating_minutes,
        )
    except ConfigError as exc:  # validate_hall's cross-field checks, for anything not caught above
        raise ConfigFileError(source, "", exc.message) from None
    staff = _staff(root, {w.id for w in windows}, demo=demo)
    devices = parse_devices(root, windows, demo=demo)
    booking, neighbours = parse_booking(root, services)
    return HallFile(
        hall=hall,
        staff=staff,
        source=source,
        demo=demo,
        voice=voice,
        devices=devices,
        booking=booking,
        site=parse_site(h),
        neighbours=neighbours,
    )


def _check_served(root: Table, services: tuple[ServiceConfig, ...], windows: tuple[WindowConfig, ...]) -> None:
    served: set[str] = set()
    for w in windows:
        served.update(serves(w, services))
    for i, s in enumerate(services):
        if s.id not in served:
            raise ConfigFileError(
                root.source,
                f"services[{i}]",
                f"served by no window; expected general = true or a specialized [[windows]] entry listing "
                f"{json.dumps(s.id)} in its services",
                context=f"service {json.dumps(s.id)}",
            )


def _staff(root: Table, window_ids: set[str], *, demo: bool) -> tuple[StaffAccount, ...]:
    accounts: list[StaffAccount] = []
    where: dict[str, str] = {}
    # Hash each distinct demo password once, not once per account: even cheap argon2 takes a while.
    demo_hashes: dict[str, str] = {}
    for t in root.tables("staff"):
        t.only("username", "name", "role", "password_hash", "password", "windows")
        username = t.get("username", USERNAME)
        if username in where:
            raise t.error(f"{json.dumps(username)} is already the user name of {where[username]}", "username")
        where[username] = t.path
        t = t.with_context(f"staff {json.dumps(username)}")
        if t.has("password"):
            if t.has("password_hash"):
                raise t.error("give password_hash or password, not both", "password")
            if not demo:
                raise t.error(
                    "a plain password is allowed only in a demo hall ([hall] demo = true); "
                    'run `qms hash-password` and write password_hash = "$argon2id$..." instead',
                    "password",
                )
            plain = t.get("password", TEXT)
            if plain not in demo_hashes:
                demo_hashes[plain] = hash_demo_password(plain)
            password_hash = demo_hashes[plain]
        else:
            password_hash = _password_hash(t)
        windows: list[str] = []
        if t.has("windows"):
            for item in t.node("windows").items('an array of window ids such as ["w1", "w2"]'):
                wid = item.read(ID)
                if wid not in window_ids:
                    raise item.error(f"unknown window {json.dumps(wid)}; expected the id of one of the hall's windows")
                windows.append(wid)
        accounts.append(
            StaffAccount(
                username=username,
                name=t.get("name", TEXT),
                role=t.get("role", choice(Role), Role.STAFF),
                password_hash=password_hash,
                windows=tuple(windows),
            )
        )
    return tuple(accounts)


def _password_hash(t: Table) -> str:
    if not t.has("password_hash"):
        raise t.error(f"missing; expected {HASH_EXPECTED}", "password_hash")
    node = t.node("password_hash")
    # Never echo the value: someone may have pasted a plain password here.
    if not isinstance(node.value, str) or not is_password_hash(node.value):
        raise node.error(f"not an argon2 hash; expected {HASH_EXPECTED}")
    return node.value


def around_the_clock(hall: HallConfig) -> HallConfig:
    """`hall` as `qms demo --around-the-clock` runs it (and `qms sim replay --around-the-clock`
    replays it): open every day around the clock, and every service issued at any hour (its
    time bands lifted), so that it can be tried in the evening."""
    always = DayHours(((time(0), time(23, 59, 59)),))
    anytime = tuple(replace(s, bands=()) for s in hall.services)
    return replace(hall, hours=Hours(weekly=(always,) * 7), services=anytime)
