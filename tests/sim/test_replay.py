"""Replay: a day stored in a real SQLite command log, read back and run through another layout."""

from __future__ import annotations

import asyncio
import math

from qms.storage.base import Record
from qms.storage.sqlite import SqliteStore
from sim.citizens import Outcome
from sim.cli import main
from sim.day import HallDay
from sim.replay import load_commands, recorded_day, simulate
from sim.runner import citizens_for, shift_changes
from sim.scenario import load_scenario

from .conftest import STREET


def _store_a_day(path, cancels=False):
    """Simulate a street-office day and store each command as the server would; with `cancels`,
    the citizens who give up cancel their tickets (取消排队). Returns the scenario, the citizens
    as the day left them, and the hall at the end of the day."""
    scenario = load_scenario(STREET)
    citizens = citizens_for(scenario, 3, 0)
    for cz in citizens:
        cz.cancels = cancels and cz.patience is not None
    records = []
    day = HallDay(
        scenario.hall,
        scenario.origin,
        citizens,
        shift_changes(scenario.staffing),
        recorder=lambda at, cmd, events: records.append(Record(at, cmd, tuple(events), actor="sim")),
    )
    day.run(scenario.end)

    async def store():
        s = SqliteStore(path)
        await s.open()
        await s.append(scenario.hall.id, records)
        await s.close()

    asyncio.run(store())
    return scenario, citizens, day.hall


def test_recorded_day_gives_back_the_citizens_and_their_times(tmp_path):
    db = tmp_path / "qms.sqlite3"
    scenario, citizens, _hall = _store_a_day(db)
    log = load_commands(db, scenario.hall.id)
    day = recorded_day(scenario.hall, log)
    issued = [cz for cz in citizens if cz.outcome is not Outcome.REFUSED]
    assert len(day.citizens) == len(issued)
    for got, want in zip(day.citizens, issued, strict=True):
        assert got.service == want.service
        assert math.isclose(got.arrive, want.arrive, abs_tol=1e-3)
        assert got.outcome in (Outcome.SERVED, Outcome.NO_SHOW, Outcome.UNSERVED)
        if want.outcome is Outcome.SERVED:
            assert math.isclose(got.handling, want.handling, abs_tol=1e-3)
            assert math.isclose(got.called, want.called, abs_tol=1e-3)
    assert {s.window for s in day.shifts} == set(scenario.staffing.sessions)


def test_replay_as_it_was_comes_close_to_the_recorded_day(tmp_path):
    db = tmp_path / "qms.sqlite3"
    scenario, _citizens, _hall = _store_a_day(db)
    day = recorded_day(scenario.hall, load_commands(db, scenario.hall.id))
    again = simulate(scenario.hall, day)
    served_then = sum(cz.outcome is Outcome.SERVED for cz in day.citizens)
    served_now = sum(cz.outcome is Outcome.SERVED for cz in again.citizens)
    assert abs(served_now - served_then) <= 0.05 * served_then


def test_replay_command_prints_recorded_and_what_if(tmp_path, capsys):
    db = tmp_path / "qms.sqlite3"
    scenario, _, _ = _store_a_day(db)
    hall_file = scenario.source.parent / "../../examples/street-office.toml"
    what_if = tmp_path / "more-general.toml"
    text = hall_file.read_text(encoding="utf-8")
    specialized = 'kind = "specialized"\nservices = { residence-permit = 2, veterans = 1 }'
    assert specialized in text
    what_if.write_text(text.replace(specialized, specialized.replace("specialized", "general")), encoding="utf-8")
    code = main(["replay", str(db), "--hall", scenario.hall.id, "--config", str(hall_file), "--through", str(what_if)])
    out = capsys.readouterr().out
    assert code == 0
    assert "recorded" in out and "simulated as it was" in out and "simulated more-general.toml" in out
    assert "mean wait, min" in out


def test_a_recorded_cancel_is_replayed_as_the_same_cancel(tmp_path):
    """Citizens who gave up and cancelled on the phone (取消排队) leave the line in the recording
    and in the replay alike: never called, no window time lost on recalls."""
    db = tmp_path / "qms.sqlite3"
    scenario, citizens, hall = _store_a_day(db, cancels=True)
    cancelled = [cz for cz in citizens if cz.outcome is Outcome.CANCELLED]
    assert cancelled and all(cz.called is None for cz in cancelled)
    assert all(hall.ticket(cz.ticket).state.value == "cancelled" for cz in cancelled)

    recorded = recorded_day(scenario.hall, load_commands(db, scenario.hall.id))
    assert sum(cz.outcome is Outcome.CANCELLED for cz in recorded.citizens) == len(cancelled)
    again = simulate(scenario.hall, recorded)
    replayed = [cz for cz in again.citizens if cz.outcome is Outcome.CANCELLED]
    assert abs(len(replayed) - len(cancelled)) <= 0.2 * len(cancelled) + 2
    assert all(cz.called is None for cz in replayed)
