"""The dashboard's figures (实时效能监控), derived from a hall driven through its commands."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from qms.core import commands as c
from qms.core.efficiency import average_minutes, efficiency, rating_figures, slot_start, slots
from qms.core.hall import Hall
from qms.core.model import CallingConfig, Outcome, RatingLevel
from tests.factories import TZ, at, small_hall


def busy_hall() -> Hall:
    """Monday: 4 social tickets and 2 tax tickets; two called, one handled for 5 minutes."""
    hall = Hall(small_hall(calling=CallingConfig(recall_cooldown_seconds=0, auto_recall_seconds=None)))
    hall.handle(c.OpenWindow("w1", "alice"), at(9))
    hall.handle(c.OpenWindow("w2", "bob"), at(9))
    for minute, service in ((5, "social"), (10, "tax"), (20, "social"), (35, "social"), (40, "tax"), (50, "social")):
        hall.handle(c.IssueTicket(service), at(9, minute))
    hall.handle(c.CallNext("w1"), at(9, 25))  # A001 waited 20 min
    hall.handle(c.StartService("w1"), at(9, 26))
    hall.handle(c.FinishService("w1", Outcome.COMPLETED), at(9, 31))  # handled 5 min from the start
    hall.handle(c.CallNext("w2"), at(10, 10))  # B001 waited 60 min
    return hall


def test_counts_averages_and_slots_of_a_morning() -> None:
    hall = busy_hall()
    f = efficiency(hall, at(10, 15))
    assert (f.taken, f.called, f.handled, f.waiting, f.no_shows) == (6, 2, 1, 4, 0)
    assert f.avg_wait_minutes == 40.0  # (20 + 60) / 2
    assert f.avg_handling_minutes == 5.0
    # the day's opening (09:00-12:00, 13:30-17:00) bounds the slots: 16 of them
    assert f.slots[0].start == at(9) and f.slots[-1].start == at(16, 30) and len(f.slots) == 16
    by_start = {s.start.strftime("%H:%M"): (s.taken, s.called) for s in f.slots}
    assert by_start["09:00"] == (3, 1) and by_start["09:30"] == (3, 0) and by_start["10:00"] == (0, 1)
    assert sum(s.taken for s in f.slots) == f.taken and sum(s.called for s in f.slots) == f.called


def test_hot_services_windows_and_queues() -> None:
    f = efficiency(busy_hall(), at(10, 15))
    assert [(h.service, h.tickets) for h in f.hot] == [("social", 4), ("tax", 2)]
    w1, w2 = f.windows[0], f.windows[1]
    assert (w1.id, w1.state, w1.ticket, w1.handled, w1.staff) == ("w1", "idle", None, 1, "alice")
    assert (w2.id, w2.state, w2.ticket, w2.handled) == ("w2", "calling", "B001", 0)
    assert [w.state for w in f.windows[2:]] == ["closed"] * (len(f.windows) - 2)
    waiting = {q.service: q.waiting for q in f.queues}
    assert waiting["social"] == 3 and waiting["tax"] == 1
    assert f.ratings.total == 0 and f.ratings.good_share is None


def test_a_ticket_that_moved_on_counts_as_called_at_its_first_call() -> None:
    hall = busy_hall()
    hall.handle(c.CallNext("w1"), at(10, 20))
    hall.handle(c.FinishService("w1", Outcome.ACCEPTED, next_service="issuing"), at(10, 30))
    f = efficiency(hall, at(10, 31))
    assert f.called == 3 and f.waiting == 4  # the accepted ticket waits again for issuing, called once
    assert f.avg_handling_minutes == round((5 + 10) / 2, 1)


def test_an_empty_day_has_no_figures_but_its_slots() -> None:
    hall = Hall(small_hall())
    hall.advance(at(8))
    f = efficiency(hall, at(8))
    assert (f.taken, f.called, f.handled, f.avg_wait_minutes, f.avg_handling_minutes) == (0, 0, 0, None, None)
    assert f.hot == () and len(f.slots) == 16 and all(s.taken == s.called == 0 for s in f.slots)
    assert f.day == "2026-11-23"


def test_ratings_count_by_level_and_the_good_share() -> None:
    r = rating_figures([RatingLevel.VERY_SATISFIED, RatingLevel.SATISFIED, RatingLevel.DISSATISFIED])
    assert (r.total, r.good) == (3, 2) and r.good_share == 2 / 3
    assert dict(r.by_level)[RatingLevel.DISSATISFIED] == 1 and dict(r.by_level)[RatingLevel.VERY_DISSATISFIED] == 0
    assert [level for level, _ in r.by_level] == list(RatingLevel)


def test_no_shows_are_counted() -> None:
    hall = busy_hall()
    hall.handle(c.MarkNoShow("w2"), at(10, 12))
    f = efficiency(hall, at(10, 15))
    assert f.no_shows == 1 and f.called == 2


moments = st.datetimes(min_value=datetime(2026, 11, 23, 0, 0), max_value=datetime(2026, 11, 23, 23, 59)).map(
    lambda d: d.replace(tzinfo=TZ)
)


@given(st.lists(moments, max_size=40), st.lists(moments, max_size=40))
def test_slots_cover_every_time_once_without_gaps(taken: list[datetime], called: list[datetime]) -> None:
    out = slots(taken, called)
    assert sum(s.taken for s in out) == len(taken) and sum(s.called for s in out) == len(called)
    for before, after in pairwise(out):
        assert after.start - before.start == timedelta(minutes=30)
    for moment in taken + called:
        start = slot_start(moment)
        assert start <= moment < start + timedelta(minutes=30) and start.minute in (0, 30)
        assert any(s.start == start for s in out)


@given(st.lists(st.sampled_from(list(RatingLevel)), max_size=50))
def test_good_share_is_the_share_of_ratings_not_bad(levels: list[RatingLevel]) -> None:
    r = rating_figures(levels)
    assert r.total == len(levels) == sum(n for _, n in r.by_level)
    bad = sum(1 for level in levels if level.bad)
    assert r.good == len(levels) - bad
    assert r.good_share is None if not levels else 0.0 <= r.good_share <= 1.0


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=30))
def test_average_minutes_lies_between_the_extremes(seconds: list[int]) -> None:
    avg = average_minutes(timedelta(seconds=s) for s in seconds)
    assert avg is not None and min(seconds) / 60 - 0.05 <= avg <= max(seconds) / 60 + 0.05
