"""The staff console's page: what the server renders for it (the hall, its services, the API's
URLs, a shortcut on every action) and a 404 page for an unknown hall; its static files."""

from __future__ import annotations

import re

import pytest

from qms.core.rules import WINDOW_ACTIONS
from qms.web.console import COMMANDS, OUTCOMES, SHORTCUTS
from qms.web.windows import ACTIONS

from .conftest import HALL, Api, page_settings


class _Fields:
    """Body fields that answer every read with a plausible value, to build each action's command."""

    def text(self, name: str, default: str = "") -> str:
        return "x"

    optional_text = required_text = text

    def choice(self, name: str, enum: type, default: object) -> object:
        return default


@pytest.mark.anyio
async def test_the_console_names_the_hall_and_where_its_api_is(api: Api) -> None:
    response = await api.client.get(f"/console/{HALL}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "越秀区政务服务中心" in html and "窗口工作台" in html
    settings = page_settings("console", html)
    base = f"/api/v1/halls/{HALL}"
    assert settings["login"] == "/api/v1/auth/login"
    assert settings["windows"] == f"{base}/windows"
    assert settings["queues"] == f"{base}/queues"
    assert settings["tickets"] == f"{base}/tickets"
    assert settings["events"] == f"{base}/events"
    services = settings["services"]
    assert isinstance(services, list)
    assert [s["id"] for s in services] == [s.id for s in api.service.config.services]
    assert settings["shortcuts"] == SHORTCUTS
    allowed = settings["allowed"]
    assert isinstance(allowed, dict)
    assert allowed["call-next"] == ["idle"] and allowed["resume"] == ["paused"]
    assert sorted(allowed["finish"]) == ["calling", "serving"]


def test_every_window_action_names_its_command() -> None:
    assert set(COMMANDS) == set(ACTIONS)
    for name, command in COMMANDS.items():
        built = ACTIONS[name].build("w1", _Fields(), "staff")
        assert type(built) is command and command in WINDOW_ACTIONS, name


@pytest.mark.anyio
async def test_every_window_action_has_a_button_with_its_shortcut(api: Api) -> None:
    html = (await api.client.get(f"/console/{HALL}")).text
    for action in ACTIONS:
        if action == "open":  # opened from the login step, not a button on the desk
            continue
        if action == "finish":
            for outcome, zh, _ in OUTCOMES:
                key = SHORTCUTS[f"finish-{outcome.value}"]
                assert re.search(rf'data-outcome="{outcome.value}"[^>]*><kbd>{key}</kbd>{zh}', html), outcome
            continue
        key = SHORTCUTS[action]
        assert re.search(rf'data-(action|dialog)="{action}"[^>]*><kbd>{re.escape(key)}</kbd>', html), action
    keys = list(SHORTCUTS.values())
    assert len(keys) == len(set(keys))  # no key does two things
    assert not {"F5", "F11", "F12"} & set(keys)  # reload, full screen and dev tools stay the browser's


@pytest.mark.anyio
async def test_an_unknown_hall_is_a_404_page(api: Api) -> None:
    response = await api.client.get("/console/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "没有这个大厅" in response.text and "nowhere" in response.text


@pytest.mark.anyio
async def test_the_console_script_and_style_are_served(api: Api) -> None:
    script = await api.client.get("/static/console/console.js")
    assert script.status_code == 200 and "QmsStaff.bindLoginForm" in script.text
    shared = await api.client.get("/static/staff/session.js")  # the staff pages' login
    assert shared.status_code == 200 and "sessionStorage" in shared.text
    style = await api.client.get("/static/console/console.css")
    assert style.status_code == 200 and ".actions" in style.text
