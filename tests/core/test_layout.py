"""Changing the layout of a running hall: what it changes, what it refuses, and replay."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qms.core import codec
from qms.core import commands as c
from qms.core import events as e
from qms.core.errors import ConfigError, QmsError, Refused
from qms.core.estimate import estimate
from qms.core.hall import Hall
from qms.core.model import HallConfig, PolicyConfig, PriorityClass, WindowConfig, WindowKind
from tests.core.test_invariants import CONFIG as INVARIANT_CONFIG
from tests.core.test_invariants import check_invariants, command_for, step
from tests.factories import at, small_hall


def with_windows(config: HallConfig, *windows: WindowConfig) -> HallConfig:
    return replace(config, windows=windows)


def specialize(config: HallConfig, window_id: str, *services: str) -> HallConfig:
    """`config` with window `window_id` made a specialized window of `services`."""
    windows = tuple(
        replace(w, kind=WindowKind.SPECIALIZED, weights=tuple((s, 1.0) for s in services)) if w.id == window_id else w
        for w in config.windows
    )
    return replace(config, windows=windows)


def snapshot(hall: Hall) -> tuple[object, ...]:
    return (hall.config, hall.tickets(), hall.windows(), dict(hall.weights), len(hall.line))


def test_a_window_serves_its_new_services_at_once() -> None:
    hall = Hall(small_hall())
    hall.handle(c.OpenWindow("w1", "zhang"), at(9))
    social = hall.handle(c.IssueTicket("social"), at(9, 1))[-1]
    tax = hall.handle(c.IssueTicket("tax"), at(9, 2))[-1]
    assert isinstance(social, e.TicketIssued) and isinstance(tax, e.TicketIssued)
    [changed] = hall.handle(c.ChangeLayout(specialize(hall.config, "w1", "tax"), "windows", "admin"), at(9, 3))
    assert isinstance(changed, e.LayoutChanged)
    assert [ch.subject for ch in changed.changes] == ["window w1"]
    assert changed.actor == "admin" and changed.part == "windows"
    assert set(hall.weights["w1"]) == {"tax"}
    [called] = hall.handle(c.CallNext("w1"), at(9, 4))
    assert isinstance(called, e.TicketCalled) and called.ticket_id == tax.ticket.id  # social waited longer


def test_new_calling_rules_reset_the_timer_of_a_called_ticket() -> None:
    hall = Hall(small_hall())
    hall.handle(c.OpenWindow("w1", "zhang"), at(9))
    hall.handle(c.IssueTicket("social"), at(9, 1))
    hall.handle(c.CallNext("w1"), at(9, 2))
    assert hall.next_deadline() == at(9, 3)  # the default automatic recall after 60 s
    slower = replace(hall.config, calling=replace(hall.config.calling, auto_recall_seconds=300.0))
    hall.handle(c.ChangeLayout(slower, "policy", "admin"), at(9, 2, 30))
    assert hall.next_deadline() == at(9, 7)
    by_hand = replace(slower, calling=replace(slower.calling, auto_recall_seconds=None))
    hall.handle(c.ChangeLayout(by_hand, "policy", "admin"), at(9, 3))
    assert hall.next_deadline() == at(0, day=24)  # no timer left: the next business day


def test_new_windows_start_closed_and_estimates_follow_the_new_layout() -> None:
    config = small_hall()
    hall = Hall(config)
    ticket = hall.handle(c.IssueTicket("social"), at(9, 1))[-1]
    assert isinstance(ticket, e.TicketIssued)
    before = estimate(hall, ticket.ticket.id, at(9, 1))
    extra = tuple(WindowConfig(f"x{i}", 100 + i, WindowKind.GENERAL) for i in range(6))
    hall.handle(c.ChangeLayout(with_windows(config, *config.windows, *extra)), at(9, 2))
    assert hall.window("x0").state.value == "closed"
    after = estimate(hall, ticket.ticket.id, at(9, 2))
    assert before.eta_minutes is not None and after.eta_minutes is not None
    assert after.eta_minutes <= before.eta_minutes  # more windows assumed: no stale memo


def test_a_policy_change_rebuilds_the_line_in_issue_order() -> None:
    hall = Hall(small_hall())
    hall.handle(c.OpenWindow("w1", "zhang"), at(9))
    first = hall.handle(c.IssueTicket("social"), at(9, 1))[-1]
    hall.handle(c.IssueTicket("social"), at(9, 2))
    policy = PolicyConfig(starvation_minutes=5, priority_run=None)
    hall.handle(c.ChangeLayout(replace(hall.config, policy=policy), "policy"), at(9, 3))
    assert hall.line.count("social") == 2
    [called] = hall.handle(c.CallNext("w1"), at(9, 4))
    assert isinstance(first, e.TicketIssued) and isinstance(called, e.TicketCalled)
    assert called.ticket_id == first.ticket.id


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda cfg: with_windows(cfg, *[w for w in cfg.windows if w.id != "w1"]), "window_in_use"),
        (
            lambda cfg: with_windows(cfg, *[replace(w, number=99) if w.id == "w1" else w for w in cfg.windows]),
            "window_in_use",
        ),
        (
            lambda cfg: replace(
                cfg,
                services=tuple(s for s in cfg.services if s.id != "tax"),
                windows=tuple(replace(w, weights=(("social", 1.0),)) if w.id == "tax-1" else w for w in cfg.windows),
            ),
            "service_has_tickets",
        ),
        (lambda cfg: cfg, "layout_unchanged"),
        (lambda cfg: replace(cfg, id="other"), "layout_other_hall"),
    ],
)
def test_refusals_change_nothing(make, code: str) -> None:
    hall = Hall(small_hall())
    hall.handle(c.OpenWindow("w1", "zhang"), at(9))
    hall.handle(c.IssueTicket("tax"), at(9, 1))
    before = snapshot(hall)
    with pytest.raises(QmsError) as err:
        hall.handle(c.ChangeLayout(make(hall.config)), at(9, 2))
    assert err.value.code == code
    assert snapshot(hall) == before


def test_a_service_goes_only_on_a_day_without_its_tickets() -> None:
    hall = Hall(small_hall())
    hall.handle(c.OpenWindow("w1", "zhang"), at(9))
    without_business = replace(hall.config, services=tuple(s for s in hall.config.services if s.id != "business"))
    hall.handle(c.IssueTicket("business"), at(9, 1))
    hall.handle(c.CallNext("w1"), at(9, 2))
    hall.handle(c.FinishService("w1", next_service="social"), at(9, 3))  # now a social ticket, with a step
    with pytest.raises(Refused) as err:
        hall.handle(c.ChangeLayout(without_business), at(9, 4))
    assert err.value.code == "service_has_tickets"
    hall.handle(c.ChangeLayout(without_business), at(9, 5, day=24))  # the next day
    assert "business" not in hall.services and hall.config == without_business


def test_a_ticket_sent_to_a_window_keeps_its_service_there() -> None:
    hall = Hall(small_hall())
    hall.handle(c.OpenWindow("w1", "zhang"), at(9))
    hall.handle(c.IssueTicket("social"), at(9, 1))
    hall.handle(c.CallNext("w1"), at(9, 2))
    hall.handle(c.Transfer("w1", to_service="tax", to_window="tax-1"), at(9, 3))
    with pytest.raises(Refused) as err:
        hall.handle(c.ChangeLayout(specialize(hall.config, "tax-1", "social")), at(9, 4))
    assert err.value.code == "window_has_tickets"
    with pytest.raises(ConfigError):  # an invalid layout never gets this far: HallConfig checks itself
        specialize(hall.config, "tax-1")


def test_replaying_the_stored_events_rebuilds_the_same_hall() -> None:
    config = small_hall()
    hall = Hall(config)
    log: list[e.Event] = []
    log += hall.handle(c.OpenWindow("w1", "zhang"), at(9))
    log += hall.handle(c.IssueTicket("social"), at(9, 1))
    log += hall.handle(c.IssueTicket("tax", priority=PriorityClass.NORMAL), at(9, 2))
    new = specialize(config, "w1", "tax")
    log += hall.handle(c.ChangeLayout(replace(new, policy=PolicyConfig(starvation_minutes=10)), "windows"), at(9, 3))
    log += hall.handle(c.CallNext("w1"), at(9, 4))
    stored = [codec.event_from_json(codec.event_to_json(ev)) for ev in log]  # as the store keeps them
    replayed = Hall(config)
    for event in stored:
        replayed.apply(event)
    assert snapshot(replayed) == snapshot(hall)
    assert replayed.line.waiting() == hall.line.waiting()


def test_the_command_survives_the_command_log() -> None:
    command = c.ChangeLayout(specialize(small_hall(), "w1", "tax"), "windows", "admin")
    assert codec.command_from_json(codec.command_to_json(command)) == command


# ---- random days with layout changes among the other commands (hypothesis) -------------

LAYOUTS = (
    INVARIANT_CONFIG,
    specialize(INVARIANT_CONFIG, "w1", "social", "tax"),
    with_windows(INVARIANT_CONFIG, *INVARIANT_CONFIG.windows, WindowConfig("w9", 9, WindowKind.GENERAL)),
    replace(
        INVARIANT_CONFIG,
        policy=PolicyConfig(starvation_minutes=5, priority_run=None),
        calling=replace(INVARIANT_CONFIG.calling, auto_recall_seconds=None, max_calls=3),
    ),
    with_windows(INVARIANT_CONFIG, *[w for w in INVARIANT_CONFIG.windows if w.id != "w3"]),
)
layout_step = st.tuples(st.just("layout"), st.integers(min_value=0, max_value=len(LAYOUTS) - 1))
mixed = st.lists(st.tuples(st.one_of(step, layout_step), st.integers(min_value=0, max_value=300)), max_size=60)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixed)
def test_random_days_with_layout_changes_keep_every_invariant(sequence: list[tuple[tuple[object, ...], int]]) -> None:
    hall = Hall(INVARIANT_CONFIG)
    log: list[e.Event] = []
    now = at(9)
    for i, (action, seconds) in enumerate(sequence):
        now += timedelta(seconds=seconds)
        log += hall.advance(now)
        if action[0] == "layout":
            command: c.Command | None = c.ChangeLayout(LAYOUTS[int(action[1])])  # type: ignore[call-overload]
        else:
            command = command_for(hall, action, i)
        assert command is not None
        before = snapshot(hall)
        try:
            events = hall.handle(command, now)
        except QmsError as err:
            assert err.code and err.message
            assert snapshot(hall) == before  # a refused command changes nothing
            continue
        log += events
        check_invariants(hall)
        assert set(hall.weights) == {w.id for w in hall.windows()} == {w.id for w in hall.config.windows}
    replayed = Hall(INVARIANT_CONFIG)
    for event in log:
        replayed.apply(codec.event_from_json(codec.event_to_json(event)))
    assert snapshot(replayed) == snapshot(hall)
    assert replayed.line.waiting() == hall.line.waiting() and replayed.next_deadline() == hall.next_deadline()
