"""The load test against a real `qms serve` on loopback (SQLite on disk, real HTTP)."""

from __future__ import annotations

import argparse
import re

import pytest

from qms.bench.api import free_port
from sim.cli import main as sim_main
from sim.loadgen import runner
from sim.loadgen.http import NotLoopback, loopback
from tests.servers import serving

HALL = """
[hall]
id = "load-hall"
name = "压测大厅"
demo = true

[hours]
weekdays = [["00:00", "23:59"]]
saturday = [["00:00", "23:59"]]
sunday = [["00:00", "23:59"]]

[calling]
auto_recall_seconds = false

[[services]]
id = "social"
name = "社保"
prefix = "A"
handling_minutes = 4

[[services]]
id = "tax"
name = "税务"
prefix = "B"
handling_minutes = 3

[[windows]]
numbers = "1-3"
kind = "general"

[[windows]]
number = 4
kind = "specialized"
services = ["tax"]

[[staff]]
username = "admin"
name = "管理员"
role = "admin"
password = "admin123"
"""

SCENARIO = """
[scenario]
name = "load test"
hall = "hall.toml"
end = "10:00"

[demand]
tickets = 200
profile = [["09:00", 1.0], ["09:40", 0.0]]
booking_share = 0.1
elderly_share = 0.1
green_share = 0.02
absent_share = 0.05
walk = { dist = "constant", minutes = 0.3 }

[staffing]
sessions = [["09:00", "09:20"], ["09:25", "10:00"]]
"""


@pytest.fixture
def hall(tmp_path):
    (tmp_path / "hall.toml").write_text(HALL, encoding="utf-8")
    (tmp_path / "scenario.toml").write_text(SCENARIO, encoding="utf-8")
    return tmp_path


def _args(tmp_path, port, **extra):
    base = dict(
        scenario=tmp_path / "scenario.toml", url=f"http://127.0.0.1:{port}", hall=None, username="admin",
        password="admin123", speed=600.0, seed=1, windows=0, watchers=40, database=None, start="09:00",
        until="09:45",
    )  # fmt: skip
    base.update(extra)
    return argparse.Namespace(**base)


@pytest.mark.slow
def test_a_compressed_morning_keeps_every_invariant(hall, capsys):
    with serving(hall / "hall.toml", hall / "data") as server:
        code = runner.main(_args(hall, server.port, database=hall / "data" / "qms.sqlite3"))
    out = capsys.readouterr().out
    assert code == 0, out
    assert "no ticket lost, none called twice, every acknowledged command stored: ok" in out
    assert "found in" in out
    for op in ("issue", "call-next", "start", "finish", "follow", "open", "pause", "resume", "close"):
        assert f"\n  {op} " in out, op
    issued = int(out.split("tickets issued ")[1].split(",")[0])
    assert issued > 100
    # the day the server stored replays through the simulator
    db = hall / "data" / "qms.sqlite3"
    assert sim_main(["replay", str(db), "--hall", "load-hall", "--config", str(hall / "hall.toml")]) == 0
    replayed = capsys.readouterr().out
    assert f"{issued} tickets" in replayed and "simulated as it was" in replayed


@pytest.mark.slow
def test_without_the_database_every_acknowledged_command_is_sent_again(hall, capsys):
    with serving(hall / "hall.toml", hall / "data") as server:
        # a wrong login or hall is said in plain words before any load
        for extra, said in (
            ({"password": "wrong"}, "refused the login as 'admin' (bad_credentials): check --username"),
            ({"hall": "nope"}, "the server has no hall 'nope': give its id with --hall"),
        ):
            with pytest.raises(SystemExit, match=re.escape(said)):
                runner.main(_args(hall, server.port, **extra))
        code = runner.main(_args(hall, server.port, until="09:15", watchers=10))
    out = capsys.readouterr().out
    assert code == 0, out
    assert "answered from the log" in out


def test_only_loopback_is_load_tested():
    assert loopback("http://127.0.0.1:8000") == ("127.0.0.1", 8000)
    assert loopback("http://localhost:9000/") == ("127.0.0.1", 9000)
    for url in ("http://10.0.0.5:8000", "http://example.com", "https://127.0.0.1:8000"):
        with pytest.raises(NotLoopback):
            loopback(url)


def test_bad_arguments_and_no_server_are_said_in_plain_words(hall):
    nobody = free_port()  # nothing listens there
    for extra, said in (
        ({"speed": 0.0}, "--speed must be simulated seconds per real second, above 0, got 0.0"),
        ({"speed": float("nan")}, "above 0, got nan"),
        ({"start": "25:00"}, "--from/--until: '25:00' is not a time of day"),
        ({"start": "10:00", "until": "09:00"}, "--from 10:00 is not before --until 09:00"),
        ({"watchers": -1}, "--windows and --watchers are 0 or more"),
        ({}, f"cannot reach http://127.0.0.1:{nobody}: "),
    ):
        with pytest.raises(SystemExit, match=re.escape(said)):
            runner.main(_args(hall, nobody, **extra))
