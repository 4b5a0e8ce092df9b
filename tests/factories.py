"""Small hall configurations and times shared by the tests."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from qms.config import around_the_clock
from qms.core.model import (
    CallingConfig,
    DayHours,
    HallConfig,
    Hours,
    IssueBand,
    PolicyConfig,
    ServiceConfig,
    WindowConfig,
    WindowKind,
)

TZ = ZoneInfo("Asia/Shanghai")
WORKDAY = DayHours(((time(9), time(12)), (time(13, 30), time(17))))
SATURDAY = DayHours(((time(9), time(12)),))


def at(hour: int, minute: int = 0, second: int = 0, day: int = 23) -> datetime:
    """A time on Monday 2026-11-23 (or another November day) in the hall's zone."""
    return datetime(2026, 11, day, hour, minute, second, tzinfo=TZ)


def small_hall(
    *, policy: PolicyConfig | None = None, calling: CallingConfig | None = None, windows: int = 3, **hall: object
) -> HallConfig:
    """Three services (one with a cap and bands, one escalation) and general + specialized windows."""
    services = (
        ServiceConfig("social", "社保卡办理", "A", department="人社局", handling_minutes=8),
        ServiceConfig(
            "tax",
            "税务登记",
            "B",
            department="税务局",
            daily_cap=5,
            bands=(IssueBand(time(9), time(10), 3), IssueBand(time(10), time(17), 100)),
        ),
        ServiceConfig("issuing", "统一出件", "C", department="综合", handling_minutes=3),
        ServiceConfig("business", "企业开办", "D", department="市场监管局", next_step="issuing"),
        ServiceConfig("help", "协调帮办", "Z", general=False, escalation=True),
    )
    general = tuple(WindowConfig(f"w{i}", i, WindowKind.GENERAL) for i in range(1, windows + 1))
    special = (
        WindowConfig("tax-1", 20, WindowKind.SPECIALIZED, weights=(("tax", 3.0), ("social", 1.0))),
        WindowConfig("help-1", 30, WindowKind.SPECIALIZED, weights=(("help", 1.0),)),
    )
    return HallConfig(
        id="test-hall",
        name="测试政务服务中心",
        timezone="Asia/Shanghai",
        services=services,
        windows=general + special,
        hours=Hours(weekly=(WORKDAY,) * 5 + (SATURDAY, DayHours()), issue_cutoff_minutes=30),
        policy=policy or PolicyConfig(),
        calling=calling or CallingConfig(),
        **hall,  # type: ignore[arg-type]
    )


def always_open_hall(**kwargs: object) -> HallConfig:
    """`small_hall` open around the clock, for tests that must not depend on the day's hours.
    Its tax service still issues in time bands (09:00-17:00): tests on a fixed clock cover them."""
    day = DayHours(((time(0), time(23, 59, 59)),))
    config = small_hall(**kwargs)  # type: ignore[arg-type]
    from dataclasses import replace

    return replace(config, hours=Hours(weekly=(day,) * 7))


def any_hour_hall(**kwargs: object) -> HallConfig:
    """`small_hall` as `qms demo --around-the-clock` runs a hall (open always, no time bands), for
    tests that run on the real clock (a HallService without a fake clock): they must pass in the
    evening too."""
    return around_the_clock(small_hall(**kwargs))  # type: ignore[arg-type]
