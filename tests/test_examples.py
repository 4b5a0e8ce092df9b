"""The example hall files load and hold what their comments claim."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from qms.config import HallFile, Role, around_the_clock, load_hall
from qms.core.commands import IssueTicket
from qms.core.hall import Hall
from qms.core.model import ID_PATTERN, WindowKind, serves
from qms.passwords import verify_password

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
WEEKDAY = ((time(9), time(12)), (time(13, 30), time(17, 30)))


@cache
def loaded(name: str) -> HallFile:
    # Loading hashes the demo passwords (argon2 is slow on purpose): once per file per run.
    return load_hall(EXAMPLES / name)


def test_examples_exist() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.toml")) == ["qingyuan.toml", "street-office.toml"]


@pytest.mark.parametrize("name", ["qingyuan.toml", "street-office.toml"])
def test_every_example_loads(name: str) -> None:
    hall_file = loaded(name)
    hall = hall_file.hall
    assert ID_PATTERN.match(hall.id)
    assert hall.timezone == "Asia/Shanghai"
    assert hall.name and hall.name_en
    for s in hall.services:
        assert s.name and s.name_en and s.department, s.id
        assert 5 <= s.handling_minutes <= 25, s.id
        assert any(s.id in serves(w, hall.services) for w in hall.windows), f"{s.id} is served by no window"
        if s.bands and s.daily_cap is not None:
            assert sum(b.quota for b in s.bands) <= s.daily_cap, s.id
    assert sum(s.escalation for s in hall.services) == 1
    assert sorted(w.number for w in hall.windows) == list(range(1, len(hall.windows) + 1))
    assert [a for a in hall_file.staff if a.role is Role.ADMIN]
    window_ids = {w.id for w in hall.windows}
    assert all(set(a.windows) <= window_ids for a in hall_file.staff)


def test_qingyuan_is_a_55_window_city_hall() -> None:
    hall = loaded("qingyuan.toml").hall
    assert hall.id == "qingyuan"
    assert len(hall.windows) == 55
    general = [w for w in hall.windows if w.kind is WindowKind.GENERAL]
    assert len(general) / len(hall.windows) > 0.8  # as in Songshan Lake (DOMAIN.md)
    assert len(hall.services) >= 30
    departments = {s.department for s in hall.services}
    assert {
        "人社局",
        "医保局",
        "市场监管局",
        "税务局",
        "公安局",
        "不动产登记中心",
        "住房公积金管理中心",
        "民政局",
    } <= departments
    # The police services are specialized only; the issuing and escalation desks have their windows.
    police = [s for s in hall.services if s.department == "公安局"]
    assert police and not any(s.general for s in police)
    issuing = [w for w in hall.windows if dict(w.weights).keys() == {"issuing"}]
    assert [w.number for w in issuing] == [53, 54]
    assert {s.next_step for s in hall.services} == {None, "issuing"}
    help_desk = next(w for w in hall.windows if w.id == "help-desk")
    assert help_desk.number == 55 and hall.service("help-desk") is not None
    assert hall.service("exit-entry") is not None and len(hall.service("exit-entry").bands) == 2  # type: ignore[union-attr]


def test_qingyuan_hours_follow_the_2026_calendar() -> None:
    hours = loaded("qingyuan.toml").hall.hours
    assert hours.issue_cutoff_minutes == 30
    assert hours.on(date(2026, 11, 23)).sessions == WEEKDAY  # a Monday
    assert hours.on(date(2026, 11, 28)).sessions == ((time(9), time(12)),)  # Saturday: 周六不打烊
    assert not hours.on(date(2026, 11, 29)).is_open_day  # Sunday
    for day in range(1, 8):  # 国庆节
        assert not hours.on(date(2026, 10, day)).is_open_day
    assert hours.on(date(2026, 10, 10)).sessions == WEEKDAY  # 调休: a Saturday worked in full
    assert hours.on(date(2026, 9, 20)).sessions == WEEKDAY  # 调休: a Sunday worked
    assert not hours.on(date(2026, 2, 17)).is_open_day  # 春节
    make_up = [d for d, h in hours.special if h.is_open_day]
    assert all(d.weekday() >= 5 for d in make_up)  # make-up days fall on weekends


def test_qingyuan_demo_accounts() -> None:
    hall_file = loaded("qingyuan.toml")
    assert hall_file.demo is True
    admin = hall_file.account("admin")
    assert admin is not None and admin.role is Role.ADMIN
    assert verify_password(admin.password_hash, "admin123")
    staff = [hall_file.account(f"staff{i}") for i in range(1, 6)]
    for account in staff:
        assert account is not None and account.role is Role.STAFF and account.windows
        assert verify_password(account.password_hash, "demo123")
    assert not verify_password(admin.password_hash, "demo123")


def test_street_office_is_production_style() -> None:
    hall_file = loaded("street-office.toml")
    hall = hall_file.hall
    assert hall_file.demo is False
    assert "password =" not in (EXAMPLES / "street-office.toml").read_text(encoding="utf-8")
    assert len(hall.windows) == 6
    assert sum(w.kind is WindowKind.GENERAL for w in hall.windows) == 4
    assert 8 <= len(hall.services) <= 10
    bookable = hall.service("social-insurance")
    assert bookable is not None and len(bookable.bands) >= 4
    assert hall.calling.auto_recall_seconds is None
    assert all(a.password_hash.startswith("$argon2id$") for a in hall_file.staff)
    assert all(verify_password(a.password_hash, "change-me") for a in hall_file.staff)


def test_the_demo_around_the_clock_issues_every_service_at_any_hour() -> None:
    """`make run` is tried in the evening too: no closed hours, and no time bands."""
    hall = Hall(around_the_clock(loaded("qingyuan.toml").hall))
    evening = datetime(2026, 11, 22, 21, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Sunday night
    for service in ("exit-entry", "property-transfer", "housing-fund-loan", "pension"):
        assert hall.handle(IssueTicket(service), evening)
