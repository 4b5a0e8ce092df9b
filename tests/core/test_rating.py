"""Ratings (好差评) and calls for help in the hall core."""

from __future__ import annotations

import pytest

from qms.core import commands as c
from qms.core import events as e
from qms.core.errors import NotFound, Refused
from qms.core.hall import Hall
from qms.core.model import Outcome, RatingLevel
from tests.factories import at, small_hall


def served(hall: Hall, window: str = "w1", when=None) -> str:
    """Issue, call and finish one ticket at `window`; returns its id."""
    t = when or at(9, 10)
    issued = hall.handle(c.IssueTicket("social"), t)
    ticket = next(ev for ev in issued if isinstance(ev, e.TicketIssued)).ticket.id
    hall.handle(c.CallNext(window), t)
    hall.handle(c.FinishService(window, Outcome.COMPLETED), t)
    return ticket


def opened() -> Hall:
    hall = Hall(small_hall())
    hall.handle(c.OpenWindow("w1", "zhang.san"), at(9))
    hall.handle(c.OpenWindow("w2", "li.si"), at(9))
    return hall


def test_a_rating_names_ticket_window_staff_and_service() -> None:
    hall = opened()
    ticket = served(hall)
    (rated,) = hall.handle(c.RateService("w1", RatingLevel.DISSATISFIED, "pad-w1"), at(9, 12))
    assert isinstance(rated, e.ServiceRated)
    assert (rated.ticket_id, rated.window, rated.staff, rated.service) == (ticket, "w1", "zhang.san", "social")
    assert rated.step == 0 and rated.device == "pad-w1" and rated.level.bad
    assert RatingLevel.DISSATISFIED.label == "不满意" and not RatingLevel.BASICALLY_SATISFIED.bad


def test_one_rating_per_ticket_step() -> None:
    hall = opened()
    served(hall)
    hall.handle(c.RateService("w1", RatingLevel.SATISFIED), at(9, 11))
    with pytest.raises(Refused) as err:
        hall.handle(c.RateService("w1", RatingLevel.VERY_SATISFIED), at(9, 11))
    assert err.value.code == "already_rated"


def test_only_the_last_service_at_that_window_and_only_for_a_while() -> None:
    hall = opened()
    with pytest.raises(Refused) as err:
        hall.handle(c.RateService("w1", RatingLevel.SATISFIED), at(9, 5))
    assert err.value.code == "nothing_to_rate"
    first = served(hall)
    second = served(hall, when=at(9, 20))
    with pytest.raises(Refused) as err:  # the first ticket's own step ended 11 minutes ago
        hall.handle(c.RateService("w1", RatingLevel.SATISFIED, ticket=first), at(9, 21))
    assert err.value.code == "nothing_to_rate"
    with pytest.raises(Refused) as err:
        hall.handle(c.RateService("w2", RatingLevel.SATISFIED, ticket=second), at(9, 21))
    assert err.value.code == "not_last_ticket"
    with pytest.raises(Refused) as err:  # w2 served nobody
        hall.handle(c.RateService("w2", RatingLevel.SATISFIED), at(9, 21))
    assert err.value.code == "nothing_to_rate"
    with pytest.raises(Refused) as err:  # rating_minutes (10) later
        hall.handle(c.RateService("w1", RatingLevel.SATISFIED), at(9, 31))
    assert err.value.code == "nothing_to_rate"
    with pytest.raises(NotFound):
        hall.handle(c.RateService("w99", RatingLevel.SATISFIED), at(9, 21))
    (rated,) = hall.handle(c.RateService("w1", RatingLevel.SATISFIED, ticket=second.split("-")[1]), at(9, 22))
    assert isinstance(rated, e.ServiceRated) and rated.ticket_id == second


def test_a_named_ticket_rates_its_own_step_after_the_window_has_served_the_next_citizen() -> None:
    hall = opened()
    first = served(hall, when=at(9, 10))
    second = served(hall, when=at(9, 12))  # w1 ended another step meanwhile
    (rated,) = hall.handle(c.RateService("w1", RatingLevel.SATISFIED, "web", first), at(9, 15))
    assert isinstance(rated, e.ServiceRated) and (rated.ticket_id, rated.step) == (first, 0)
    with pytest.raises(Refused) as err:
        hall.handle(c.RateService("w1", RatingLevel.SATISFIED, "web", first), at(9, 16))
    assert err.value.code == "already_rated"
    with pytest.raises(NotFound):
        hall.handle(c.RateService("w1", RatingLevel.SATISFIED, "web", "Z999"), at(9, 16))
    # the pad without a ticket still rates the window's last step: the second ticket's
    (pad,) = hall.handle(c.RateService("w1", RatingLevel.SATISFIED, "pad-w1"), at(9, 16))
    assert isinstance(pad, e.ServiceRated) and pad.ticket_id == second


def test_a_named_ticket_on_its_next_step_still_names_the_staff_of_the_step_rated() -> None:
    hall = opened()
    hall.handle(c.IssueTicket("social"), at(9, 10))
    hall.handle(c.CallNext("w1"), at(9, 10))
    (finished,) = hall.handle(c.FinishService("w1", next_service="issuing"), at(9, 10, 30))
    hall.handle(c.CallNext("w2"), at(9, 10, 40))  # li.si calls the next step
    assert isinstance(finished, e.ServiceFinished)
    (rated,) = hall.handle(c.RateService("w1", RatingLevel.DISSATISFIED, "web", finished.ticket_id), at(9, 10, 50))
    assert isinstance(rated, e.ServiceRated) and (rated.staff, rated.service, rated.step) == ("zhang.san", "social", 0)


def test_a_transfer_ends_a_step_that_can_be_rated_and_replay_keeps_the_rule() -> None:
    hall = opened()
    hall.handle(c.IssueTicket("social"), at(9, 10))
    hall.handle(c.CallNext("w1"), at(9, 10))
    hall.handle(c.Transfer("w1", to_service="issuing"), at(9, 15))
    rated = hall.handle(c.RateService("w1", RatingLevel.VERY_DISSATISFIED), at(9, 16))
    assert isinstance(rated[0], e.ServiceRated) and rated[0].service == "social"
    # the same ticket's next step, at w2, is rated on its own
    hall.handle(c.CallNext("w2"), at(9, 17))
    hall.handle(c.FinishService("w2"), at(9, 18))
    again = hall.handle(c.RateService("w2", RatingLevel.SATISFIED), at(9, 19))
    assert isinstance(again[0], e.ServiceRated) and again[0].step == 1

    # a hall rebuilt from the events refuses the same rating again
    replayed = Hall(small_hall())
    log = [
        *replayed.handle(c.OpenWindow("w1", "zhang.san"), at(9)),
        *replayed.handle(c.IssueTicket("social"), at(9, 10)),
        *replayed.handle(c.CallNext("w1"), at(9, 10)),
        *replayed.handle(c.FinishService("w1"), at(9, 11)),
        *replayed.handle(c.RateService("w1", RatingLevel.SATISFIED), at(9, 12)),
    ]
    rebuilt = Hall(small_hall())
    for event in log:
        rebuilt.apply(event)
    with pytest.raises(Refused) as err:
        rebuilt.handle(c.RateService("w1", RatingLevel.SATISFIED), at(9, 13))
    assert err.value.code == "already_rated"


def test_help_is_raised_once_per_device_for_a_minute() -> None:
    hall = opened()
    (help_event,) = hall.handle(c.RequestHelp("self-service", "help-1", "自助区"), at(10))
    assert isinstance(help_event, e.HelpRequested) and help_event.location == "self-service"
    with pytest.raises(Refused) as err:
        hall.handle(c.RequestHelp("self-service", "help-1"), at(10, 0, 30))
    assert err.value.code == "help_already_requested"
    assert hall.handle(c.RequestHelp("self-service", "help-2"), at(10, 0, 30))  # another device
    assert hall.handle(c.RequestHelp("self-service", "help-1"), at(10, 1, 1))  # a minute later
