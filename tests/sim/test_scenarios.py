"""Scenario files, the simulated day on the real core, reports and the `qms sim` commands."""

from __future__ import annotations

import csv
import math

import pytest

from qms.cli import main as qms_main
from qms.core.model import PriorityClass
from sim.citizens import Outcome, TicketRecord
from sim.metrics import aggregate, summarise
from sim.report import table
from sim.runner import citizens_for, run, run_day
from sim.scenario import ScenarioError, load_scenario

from .conftest import QINGYUAN, SCENARIOS, STREET


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_shipped_scenarios_load_and_run_a_day(path):
    scenario = load_scenario(path)
    citizens = citizens_for(scenario, 1, 0)[:400]  # a morning's worth keeps this quick
    result = run_day(scenario, citizens)
    served = [cz for cz in result.citizens if cz.outcome is Outcome.SERVED]
    assert served
    for cz in served:
        assert cz.called is not None and cz.called >= cz.arrive
        assert cz.finished is not None and cz.finished >= cz.called
        assert cz.window in {w.id for w in scenario.hall.windows}


def test_the_real_halls():
    jieyang = load_scenario(SCENARIOS / "jieyang-city-hall.toml")
    assert len(jieyang.hall.windows) == 91 and len(jieyang.hall.services) == 10
    assert sum(w.kind.value == "general" for w in jieyang.hall.windows) == 27
    assert jieyang.demand.profile.expected() == pytest.approx(18_000)
    qingyuan = load_scenario(QINGYUAN)
    assert len(qingyuan.hall.windows) == 55
    general = load_scenario(SCENARIOS / "qingyuan-all-general.toml")
    assert all(w.kind.value == "general" for w in general.hall.windows)
    assert general.demand == qingyuan.demand  # so that compare runs them on the same citizens


def test_booked_citizens_miss_calls_at_their_own_share_or_everyone_s():
    street, qingyuan = load_scenario(STREET).demand, load_scenario(QINGYUAN).demand
    assert street.booking_absent_share == street.booked_absent_share == 0.08  # set in the file
    assert qingyuan.booking_absent_share is None and qingyuan.booked_absent_share == qingyuan.absent_share > 0


def test_same_seed_same_records_other_seed_other_day():
    scenario = load_scenario(STREET)

    def records(seed):
        result = run(scenario, replications=2, seed=seed)
        return [TicketRecord.of(r, cz) for r, day in enumerate(result.days) for cz in day.citizens]

    first = records(7)
    assert first == records(7)
    assert first != records(8)


def test_bookings_elderly_and_green_get_their_classes_and_wait_less():
    scenario = load_scenario(STREET)
    figures = aggregate([summarise(d, scenario.end) for d in run(scenario, 4, 1).days])
    assert set(figures.by_class) >= {"booking", "elderly", "normal"}
    assert figures.by_class["elderly"]["mean_wait"].mean < figures.by_class["normal"]["mean_wait"].mean
    assert figures.overall["refused"].mean > 0  # the street office's bands run out of numbers
    assert 0 < figures.hall_utilisation.mean <= 1


def test_queue_length_by_slot_and_walk_aways_are_consistent():
    scenario = load_scenario(STREET)
    day = run(scenario, 1, 2).days[0]
    figures = summarise(day, scenario.end)
    assert figures.overall.walked_away == sum(cz.outcome is Outcome.WALKED_AWAY for cz in day.citizens)
    for slot, mean in figures.queue_by_slot.items():
        assert 0 <= mean <= figures.max_queue_by_slot[slot]
    # a walk-away's ticket stays in line until it is called and made a no-show by the hall
    for cz in day.citizens:
        if cz.outcome is Outcome.WALKED_AWAY:
            assert cz.patience is not None and cz.called is not None and cz.called - cz.arrive >= cz.patience
    text = table(run(scenario, 2, 1), aggregate([figures, figures]))
    assert "all tickets" in text and "social-insurance" in text and "09:30" in text


def _write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text.replace("HALL", str(STREET.parent.parent.parent / "examples" / "street-office.toml")))
    return path


GOOD = """
[scenario]
hall = "HALL"
[demand]
tickets = 50
profile = [["09:00", 1.0], ["11:00", 0.0]]
SERVICES
[staffing]
sessions = [["09:00", "12:00"]]
"""


def _good(services=""):
    return GOOD.replace("SERVICES", services)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (("tickets = 50", "tickets = -1"), "demand.tickets"),
        (("[demand]", '[demand]\nwalk = { dist = "gamma" }'), "demand.walk"),
        (("[demand]", "[demand]\nbooking_shares = 0.2"), "demand.booking_shares"),
        (("[demand]", '[[demand.services]]\nid = "nope"\n[demand]'), ""),
        (('sessions = [["09:00", "12:00"]]', 'sessions = [["12:00", "09:00"]]'), "staffing.sessions[0]"),
        (("[staffing]", '[layout]\ngeneral = "99"\n[staffing]'), "layout.general"),
        (('profile = [["09:00", 1.0], ["11:00", 0.0]]', 'profile = [["9h", 1.0]]'), "demand.profile[0]"),
        (("[scenario]", "[scenery]"), "scenery"),
    ],
)
def test_bad_scenarios_name_the_key(tmp_path, change, key):
    load_scenario(_write(tmp_path, _good()))
    with pytest.raises(ScenarioError) as err:
        load_scenario(_write(tmp_path, GOOD.replace(*change).replace("SERVICES", "")))
    assert f"s.toml: {key}" in str(err.value)


def test_empirical_handling_times_from_a_csv(tmp_path):
    (tmp_path / "times.csv").write_text("minutes\n2\n4\n", encoding="utf-8")
    services = '[[demand.services]]\nid = "social-insurance"\nhandling = { dist = "empirical", csv = "times.csv" }'
    path = _write(tmp_path, _good(services))
    scenario = load_scenario(path)
    handling = next(s.handling for s in scenario.demand.services if s.service == "social-insurance")
    assert handling.mean == pytest.approx(180.0)
    (tmp_path / "times.csv").write_text("minutes\nlots\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="column"):
        load_scenario(path)
    (tmp_path / "times.csv").write_text("分钟\n2\n", encoding="gbk")  # Excel's "CSV" in a Chinese locale
    with pytest.raises(ScenarioError, match=r'times\.csv: byte 0 is not UTF-8; save it as "CSV UTF-8"'):
        load_scenario(path)


def test_qms_sim_run_writes_table_csv_and_html(tmp_path, capsys):
    out_dir = tmp_path / "out"
    code = qms_main(
        ["sim", "run", str(STREET), "--replications", "3", "--seed", "2", "--csv", str(out_dir),
         "--html", str(tmp_path / "r.html")]
    )  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0
    assert "3 replications, seed 2" in text and "hall utilisation" in text
    with (out_dir / "tickets.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["replication"] for r in rows} == {"0", "1", "2"}
    assert {r["outcome"] for r in rows} <= {o.value for o in Outcome}
    served = [r for r in rows if r["outcome"] == "served"]
    assert all(float(r["waiting"]) >= 0 and float(r["handling"]) > 0 for r in served)
    summary = (out_dir / "summary.csv").read_text(encoding="utf-8")
    assert "class,elderly,mean_wait" in summary and "window,w1,utilisation" in summary
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 3 and "<table>" in page


def test_qms_sim_compare_pairs_the_replications(capsys):
    code = qms_main(["sim", "compare", str(QINGYUAN), str(SCENARIOS / "qingyuan-all-general.toml"),
                     "--replications", "2"])  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0
    assert "common random numbers" in text and "mean wait normal, min" in text
    refused = next(line for line in text.splitlines() if line.startswith("refused at the dispenser"))
    assert "+0.0" in refused  # same citizens, same dispenser rules: the same refusals


def test_a_broken_scenario_is_a_clear_error(tmp_path, capsys):
    path = _write(tmp_path, _good().replace("tickets = 50", 'tickets = "many"'))
    assert qms_main(["sim", "run", str(path)]) == 2
    assert "demand.tickets" in capsys.readouterr().err
    path.write_bytes(_good().encode("utf-16"))  # saved by an editor in another encoding
    assert qms_main(["sim", "run", str(path)]) == 2
    assert "s.toml: byte 0 is not UTF-8" in capsys.readouterr().err


def test_no_nan_in_a_normal_day():
    scenario = load_scenario(STREET)
    figures = summarise(run(scenario, 1, 1).days[0], scenario.end)
    assert not math.isnan(figures.overall.mean_wait)


def test_policy_what_ifs_override_only_the_keys_given(tmp_path):
    policy = "[policy]\nstarvation_minutes = 20\npriority_run = false\nclass_rates = { booking = 30 }\n"
    scenario = load_scenario(_write(tmp_path, policy + _good()))
    p = scenario.hall.policy
    assert p.starvation_minutes == 20 and p.priority_run is None
    rates = dict(p.class_rates)
    assert rates[PriorityClass.BOOKING] == 30  # the hall file says 10
    assert rates[PriorityClass.ELDERLY] == 10  # kept as the hall file has it
    with pytest.raises(ScenarioError, match=r"s.toml: policy.starvation_minutes: got -3"):
        load_scenario(_write(tmp_path, "[policy]\nstarvation_minutes = -3\n" + _good()))
