"""The devices pages' note on the broker says the truth in each of the link's modes: when a change
takes effect, and why devices cannot connect (the live managed and external notes are also
checked against real servers in tests/mqtt/test_first_device.py and tests/web/test_admin.py)."""

from __future__ import annotations

import pytest

from qms.mqtt.link import BrokerMode
from qms.web.templating import templates


def note(mode: str, problem: str | None = None, *, keeps_passwords: bool = False) -> str:
    return templates.env.get_template("admin/broker_note.html").render(
        mode=mode, broker_problem=problem, keeps_passwords=keeps_passwords
    )


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        (BrokerMode.MANAGED, "Changes take effect at once"),
        (BrokerMode.EXTERNAL, "its operator must set the devices' credentials"),
        (BrokerMode.OFF, "by its settings (QMS_MQTT_URL=off): devices cannot connect"),
        (BrokerMode.UNAVAILABLE, "Devices are unavailable now: Mosquitto is not installed (apt-get install mosquitto"),
        (BrokerMode.STOPPED, "The devices' link is stopped: the server is shutting down"),
        ("none", "This hall has no MQTT gateway for devices"),
    ],
)
def test_each_mode_has_its_own_note(mode: str, says: str) -> None:
    text = note(str(mode), "Mosquitto is not installed (apt-get install mosquitto, or set QMS_MQTT_URL)")
    assert says in text
    assert ("next start" in text) is (mode is BrokerMode.OFF)  # only there a restart is the answer


def test_the_problem_is_escaped() -> None:
    assert "<b>" not in note(BrokerMode.UNAVAILABLE, "QMS_MQTT_URL '<b>': expected mqtt://")


def test_a_managed_broker_being_restarted_is_unavailable_until_it_runs_again() -> None:
    problem = "the managed Mosquitto ended and did not start again (Address already in use); the server keeps trying"
    text = note(BrokerMode.UNAVAILABLE, problem, keeps_passwords=True)
    assert problem in text and "take effect as soon as it runs again" in text and "server started again" not in text
