"""Staff planning: Erlang C turned round, demand by slot, and plans checked on the real policy."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from qms.cli import main as qms_main
from sim.planning import Target, make_plan, service_level, windows_needed
from sim.planning.demand import GENERAL, pools, slot_loads
from sim.scenario import load_scenario
from sim.theory import erlang_c

from .conftest import QINGYUAN, STREET

HALL = Path(__file__).resolve().parents[2] / "examples" / "street-office.toml"

# A quiet day at the street office: four general windows and the residence-permit window can
# meet 80% within 15 minutes, which the shipped (busy) scenario cannot.
QUIET = f"""
[scenario]
name = "a quiet day"
hall = "{HALL.as_posix()}"
date = 2026-11-23
end = "18:00"

[demand]
tickets = {{tickets}}
profile = [["09:00", 1.5], ["10:30", 0.8], ["12:00", 0.0], ["14:00", 1.2], ["16:00", 0.6], ["17:15", 0.0]]
elderly_share = 0.1
absent_share = 0.02
walk = {{{{ dist = "uniform", low_minutes = 0.1, high_minutes = 0.3 }}}}

[[demand.services]]
id = "medical-insurance"
share = 4
handling = {{{{ dist = "lognormal", mean_minutes = 6, sd_minutes = 3 }}}}

[[demand.services]]
id = "birth-registration"
share = 2

[[demand.services]]
id = "residence-permit"
share = 1
{{unused}}
[staffing]
sessions = [["09:00", "12:00"], ["14:00", "17:30"]]
"""


# the hall's other services: a listed share of 0 keeps them out of the day (unlisted ones weigh 1)
UNUSED = ("social-insurance", "social-assistance", "senior-benefits", "disability-card", "veterans", "help-desk")


def quiet(tmp_path: Path, tickets: int = 90) -> Path:
    path = tmp_path / f"quiet-{tickets}.toml"
    unused = "".join(f'\n[[demand.services]]\nid = "{s}"\nshare = 0\n' for s in UNUSED)
    path.write_text(QUIET.format(tickets=tickets, unused=unused), encoding="utf-8")
    return path


# ---- Erlang C turned round -----------------------------------------------------------------


def test_the_classic_call_centre_example():
    # 100 calls in half an hour, 180 s handling, 80% answered within 20 s: 10 erlangs, 14 agents
    lam, aht = 100 / 1800, 180.0
    assert erlang_c(11, 10.0) == pytest.approx(0.6821, abs=1e-4)
    assert erlang_c(14, 10.0) == pytest.approx(0.1741, abs=1e-4)
    assert service_level(13, lam, aht, 20) < 0.8 < service_level(14, lam, aht, 20)
    assert windows_needed(lam, aht, 20, 0.8) == 14


def test_textbook_mm1_and_mm2():
    # M/M/1: P(W > t) = ρ e^{-(μ-λ)t}; M/M/2 at a = 1: C = 1/3
    lam, s, t = 0.5, 1.0, 2.0
    assert service_level(1, lam, s, t) == pytest.approx(1 - 0.5 * math.exp(-0.5 * t))
    assert service_level(2, 1.0, 1.0, 0.0) == pytest.approx(1 - 1 / 3)
    assert windows_needed(lam, s, t, 1 - 0.5 * math.exp(-0.5 * t) - 1e-9) == 1
    # utilisation below one even where a target of no wait at all is met by any count
    assert windows_needed(3.0, 1.0, 1e9, 0.5) == 4


def test_no_demand_no_windows_and_bad_targets():
    assert windows_needed(0.0, 300, 900, 0.9) == 0
    for share in (0.0, 1.0, -0.1, 1.5):
        with pytest.raises(ValueError):
            windows_needed(0.1, 300, 900, share)
    with pytest.raises(ValueError):
        windows_needed(0.1, 300, -1, 0.9)


def test_more_demand_never_asks_for_fewer_windows():
    for within in (0.0, 60.0, 900.0):
        for share in (0.5, 0.8, 0.95):
            counts = [windows_needed(lam / 1000, 600, within, share) for lam in range(0, 600, 7)]
            assert counts == sorted(counts)
    # and the stricter the target, the more windows
    assert windows_needed(0.1, 600, 900, 0.8) <= windows_needed(0.1, 600, 900, 0.95)
    assert windows_needed(0.1, 600, 300, 0.9) >= windows_needed(0.1, 600, 900, 0.9)


def test_more_tickets_never_ask_for_fewer_windows_in_any_slot(tmp_path):
    previous = None
    for tickets in (40, 90, 200, 400):
        scenario = load_scenario(quiet(tmp_path, tickets))
        pool = pools(scenario.hall)[0]
        counts = [x.erlang for x in slot_loads(scenario, pool, 15, 0.9)]
        if previous is not None:
            assert all(a >= b for a, b in zip(counts, previous, strict=True))
        previous = counts


# ---- demand by slot and pool ---------------------------------------------------------------


def test_pools_and_loads_of_a_real_hall():
    scenario = load_scenario(QINGYUAN)
    groups = {p.name: p for p in pools(scenario.hall)}
    assert len(groups[GENERAL].windows) == 45  # windows 1-45
    assert groups["household-registration+id-card"].windows == ("w46",)
    assert groups["help-desk"].windows == ("help-desk",)
    total = sum(x.arrivals for p in groups.values() for x in slot_loads(scenario, p, 15, 0.9))
    # the hall issues from 09:00: the 08:45 arrivals of the profile are refused, the rest come
    assert 1_700 < total < 1_900


# ---- the plan, checked on the real policy --------------------------------------------------


def test_the_plan_meets_its_target_in_simulation(tmp_path):
    scenario = load_scenario(quiet(tmp_path))
    plan = make_plan(scenario, Target(15, 0.8), replications=4, seed=3, rounds=6)
    assert plan.met
    assert plan.within.mean >= 0.8
    for pp in plan.pools:
        for count, load in zip(pp.counts, pp.loads, strict=True):
            assert count >= min(load.erlang, len(pp.pool.windows))  # the simulation only adds windows
    general = plan.pools[0]
    assert general.pool.name == GENERAL and max(general.counts) <= 4
    # lunch stays closed: the hall and its staff do not work 12:00-14:00
    for window, sessions in plan.staffing.sessions.items():
        assert all(s.end <= 12 * 3600 or s.start >= 14 * 3600 for s in sessions), window
    assert 0 < plan.staff_hours <= plan.own_staff_hours
    again = make_plan(scenario, Target(15, 0.8), replications=4, seed=3, rounds=6)
    assert again.staffing == plan.staffing and again.within == plan.within  # deterministic for a seed


def test_the_command_prints_and_writes_csv_and_html(tmp_path, capsys):
    out, page = tmp_path / "plan.csv", tmp_path / "plan.html"
    code = qms_main(
        ["sim", "plan", str(quiet(tmp_path)), "--within", "15", "--share", "0.8", "--replications", "3",
         "--rounds", "2", "--csv", str(out), "--html", str(page)]
    )  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    assert "erlang c" in text and "staff-hours: plan" in text and "Queues carry over" in text
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["pool"] for r in rows} >= {GENERAL, "residence-permit+veterans"}
    assert all(int(r["planned"]) >= 0 for r in rows)
    report = page.read_text(encoding="utf-8")
    assert "Staffing plan: 80% called within 15 minutes" in report and "<img" in report


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--share", "1.5"], "--share must lie strictly between 0 and 1"),
        (["--share", "0"], "--share must lie strictly between 0 and 1"),
        (["--within", "-5"], "--within must be a number of minutes"),
        (["--replications", "1"], "--replications must be 2 or more"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(args, message, capsys):
    assert qms_main(["sim", "plan", str(STREET), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_an_unknown_scenario_file_exits_2(tmp_path, capsys):
    assert qms_main(["sim", "plan", str(tmp_path / "nowhere.toml")]) == 2
    err = capsys.readouterr().err
    assert "no scenario file" in err and "Traceback" not in err
