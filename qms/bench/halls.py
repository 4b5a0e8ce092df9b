"""The synthetic halls the benchmarks run on: 30 services, 50 windows, open around the clock."""

from __future__ import annotations

from datetime import time

from qms.core.model import DayHours, HallConfig, Hours, ServiceConfig, WindowConfig, WindowKind

SERVICES = 30
WINDOWS = 50


def bench_hall(services: int = SERVICES, windows: int = WINDOWS) -> HallConfig:
    """A hall like Qingyuan's: most windows general, a fifth specialized for three services each."""
    svc = tuple(
        ServiceConfig(f"s{i:02d}", f"事项{i:02d}", chr(ord("A") + i % 26) + ("" if i < 26 else "X"))
        for i in range(services)
    )
    specialized = windows // 5
    wins = tuple(WindowConfig(f"w{n}", n, WindowKind.GENERAL) for n in range(1, windows - specialized + 1)) + tuple(
        WindowConfig(
            f"w{n}",
            n,
            WindowKind.SPECIALIZED,
            weights=tuple((f"s{(n + k) % services:02d}", 2.0 if k == 0 else 1.0) for k in range(3)),
        )
        for n in range(windows - specialized + 1, windows + 1)
    )
    always = DayHours(((time(0), time(23, 59, 59)),))
    return HallConfig("bench", "基准测试大厅", "Asia/Shanghai", svc, wins, Hours(weekly=(always,) * 7))


def bench_hall_toml(services: int = SERVICES, windows: int = WINDOWS) -> str:
    """The same hall as a hall file, for benchmarks against a real server."""
    config = bench_hall(services, windows)
    lines = [
        "[hall]",
        'id = "bench"',
        'name = "基准测试大厅"',
        'timezone = "Asia/Shanghai"',
        "demo = true",
        "",
        "[hours]",
        'weekdays = [["00:00", "23:59"]]',
        'saturday = [["00:00", "23:59"]]',
        'sunday = [["00:00", "23:59"]]',
        "",
    ]
    for s in config.services:
        lines += ["[[services]]", f'id = "{s.id}"', f'name = "{s.name}"', f'prefix = "{s.prefix}"', ""]
    for w in config.windows:
        lines += ["[[windows]]", f'id = "{w.id}"', f"number = {w.number}", f'kind = "{w.kind.value}"']
        if w.weights:
            lines.append("services = { " + ", ".join(f"{sid} = {wt}" for sid, wt in w.weights) + " }")
        lines.append("")
    lines += ["[[staff]]", 'username = "bench"', 'name = "Bench"', 'role = "admin"', 'password = "bench-password"']
    return "\n".join(lines) + "\n"
