"""Daily reports grouped by service, window, department, staff member and channel."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from qms.core import commands as c
from qms.core import events as e
from qms.core.hall import Hall
from qms.core.model import CallingConfig, Channel, Outcome, RatingLevel
from qms.core.reports import CallRecord, GroupBy, RatingRecord, daily_report, percentile, step_staff
from tests.factories import at, small_hall


def day_hall() -> Hall:
    """A001 waits 10 min and is handled 5 min at w1; A002 is a no-show at w2; B001 (booking)
    waits 30 min, is accepted at w1 after 10 min and goes on to issuing, where it waits."""
    hall = Hall(small_hall(calling=CallingConfig(recall_cooldown_seconds=0, auto_recall_seconds=None)))
    hall.handle(c.OpenWindow("w1", "alice"), at(9))
    hall.handle(c.OpenWindow("w2", "bob"), at(9))
    hall.handle(c.IssueTicket("social"), at(9))
    hall.handle(c.IssueTicket("social"), at(9, 1))
    hall.handle(c.IssueTicket("business", channel=Channel.STAFF), at(9, 2))
    hall.handle(c.CallNext("w1"), at(9, 10))
    hall.handle(c.FinishService("w1", Outcome.COMPLETED), at(9, 15))
    hall.handle(c.CallNext("w2"), at(9, 16))
    hall.handle(c.MarkNoShow("w2"), at(9, 20))
    hall.handle(c.CallNext("w1"), at(9, 32))
    hall.handle(c.FinishService("w1", Outcome.ACCEPTED), at(9, 42))
    return hall


RATINGS = [
    RatingRecord("20261123-A001", "w1", "social", RatingLevel.SATISFIED),
    RatingRecord("20261123-D001", "w1", "business", RatingLevel.VERY_DISSATISFIED),
]


def test_by_service() -> None:
    hall = day_hall()
    rows = {r.key: r for r in daily_report(hall.config, hall.tickets(), RATINGS, GroupBy.SERVICE)}
    assert list(rows) == ["social", "issuing", "business"]
    social = rows["social"]
    assert (social.name, social.tickets, social.finished, social.no_shows) == ("社保卡办理", 2, 1, 1)
    assert (social.wait_p50, social.wait_p90) == (10.0, 15.0)
    assert (social.handling_p50, social.handling_p90) == (5.0, 5.0)
    assert (social.ratings, social.bad_ratings, social.good_share) == (1, 0, 1.0)
    business = rows["business"]
    assert (business.tickets, business.wait_p50, business.handling_p50) == (1, 30.0, 10.0)
    assert (business.ratings, business.bad_ratings, business.good_share) == (1, 1, 0.0)
    assert rows["issuing"].tickets == 1 and rows["issuing"].handling_p50 is None  # waits there now


def test_by_window_department_and_channel() -> None:
    hall = day_hall()
    windows = {r.key: r for r in daily_report(hall.config, hall.tickets(), RATINGS, GroupBy.WINDOW)}
    assert windows["w1"].tickets == 2 and windows["w1"].handling_p90 == 10.0 and windows["w1"].ratings == 2
    assert windows["w2"].no_shows == 1 and windows["w2"].handling_p50 is None
    departments = [r.key for r in daily_report(hall.config, hall.tickets(), RATINGS, GroupBy.DEPARTMENT)]
    assert departments == ["人社局", "综合", "市场监管局"]
    channels = {r.key: r for r in daily_report(hall.config, hall.tickets(), RATINGS, GroupBy.CHANNEL)}
    assert (channels["kiosk"].tickets, channels["staff"].tickets) == (2, 1)
    assert channels["staff"].bad_ratings == 1


def calls_of(events: list[e.Event]) -> list[CallRecord]:
    return [CallRecord(ev.ticket_id, ev.window, ev.staff, ev.at) for ev in events if isinstance(ev, e.TicketCalled)]


def test_by_staff_member_the_one_who_called_at_the_window_then() -> None:
    """w1 changes hands at 9:20 (alice to carol): A001 is alice's, B001 carol's; bob's
    no-show is his although nothing of it finished."""
    hall = Hall(small_hall(calling=CallingConfig(recall_cooldown_seconds=0, auto_recall_seconds=None)))
    events: list[e.Event] = []
    script = [
        (c.OpenWindow("w1", "alice"), at(9)),
        (c.OpenWindow("w2", "bob"), at(9)),
        (c.IssueTicket("social"), at(9)),
        (c.IssueTicket("social"), at(9, 1)),
        (c.IssueTicket("business", channel=Channel.STAFF), at(9, 2)),
        (c.CallNext("w1"), at(9, 10)),
        (c.FinishService("w1", Outcome.COMPLETED), at(9, 15)),
        (c.CallNext("w2"), at(9, 16)),
        (c.MarkNoShow("w2"), at(9, 20)),
        (c.CloseWindow("w1"), at(9, 20)),
        (c.OpenWindow("w1", "carol"), at(9, 21)),
        (c.CallNext("w1"), at(9, 32)),
        (c.Recall("w1"), at(9, 33)),
        (c.FinishService("w1", Outcome.ACCEPTED), at(9, 42)),
    ]
    for command, when in script:
        events += hall.handle(command, when)
    calls = calls_of(events)
    assert step_staff(hall.tickets(), calls) == {("20261123-A001", 0): "alice", ("20261123-D001", 0): "carol"}
    ratings = [*RATINGS, RatingRecord("20261123-A001", "w1", "social", RatingLevel.DISSATISFIED, staff="alice")]
    names = {"carol": "陈卡罗", "alice": "李爱丽"}
    rows = daily_report(hall.config, hall.tickets(), ratings, GroupBy.STAFF, calls, names)
    by_key = {r.key: r for r in rows}
    assert [r.key for r in rows] == ["carol", "alice", "bob"]  # names' order, then others
    assert by_key["alice"].name == "李爱丽" and by_key["bob"].name == "bob"
    assert (by_key["alice"].tickets, by_key["alice"].finished, by_key["alice"].handling_p50) == (1, 1, 5.0)
    assert (by_key["alice"].ratings, by_key["alice"].bad_ratings) == (1, 1)  # unnamed ratings go nowhere
    # D001 waited to its first call (9:32); the citizen came on the recall, so handling counts from 9:33
    assert (by_key["carol"].tickets, by_key["carol"].wait_p50, by_key["carol"].handling_p50) == (1, 30.0, 9.0)
    assert (by_key["bob"].tickets, by_key["bob"].no_shows, by_key["bob"].handling_p50) == (1, 1, None)
    # without the calls only the staff member a ticket is with now is known (D001 waits for
    # issuing, so carol is lost), and no step's handling time
    rows = daily_report(hall.config, hall.tickets(), [], GroupBy.STAFF)
    assert [(r.key, r.handling_p50) for r in rows] == [("alice", None), ("bob", None)]


def test_an_empty_day_has_no_rows() -> None:
    assert daily_report(small_hall(), [], [], GroupBy.SERVICE) == []


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=50))
def test_percentiles_are_values_in_order(values: list[float]) -> None:
    p50, p90 = percentile(values, 50), percentile(values, 90)
    assert p50 in values and p90 in values and p50 is not None and p90 is not None
    assert min(values) <= p50 <= p90 <= max(values)
    assert sum(1 for v in values if v <= p50) >= len(values) / 2


def test_a_recall_ends_no_wait_and_starts_no_handling() -> None:
    """Waiting ends at a step's first call however often it is recalled; handling starts when
    the service starts, or else at the call the citizen came on (the last one)."""
    hall = Hall(small_hall(calling=CallingConfig(recall_cooldown_seconds=0, auto_recall_seconds=None)))
    hall.handle(c.OpenWindow("w1", "alice"), at(9))
    hall.handle(c.IssueTicket("social"), at(9))
    hall.handle(c.IssueTicket("social"), at(9))
    hall.handle(c.CallNext("w1"), at(9, 10))
    hall.handle(c.Recall("w1"), at(9, 11))
    assert hall.tickets()[0].first_called_at == at(9, 10) and hall.tickets()[0].called_at == at(9, 11)
    hall.handle(c.FinishService("w1"), at(9, 19))  # came on the recall: 8 minutes
    hall.handle(c.CallNext("w1"), at(9, 30))
    hall.handle(c.Recall("w1"), at(9, 31))
    hall.handle(c.StartService("w1"), at(9, 32))
    hall.handle(c.FinishService("w1"), at(9, 36))  # 4 minutes from the start
    first, second = (t.steps[0] for t in hall.tickets())
    assert (first.called_at, first.started_at) == (at(9, 10), at(9, 11))
    assert (second.called_at, second.started_at) == (at(9, 30), at(9, 32))
    (row,) = daily_report(hall.config, hall.tickets(), [], GroupBy.SERVICE)
    assert (row.wait_p50, row.wait_p90) == (10.0, 30.0)
    assert (row.handling_p50, row.handling_p90) == (4.0, 8.0)
