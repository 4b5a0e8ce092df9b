"""`/console/{hall}`: the window staff console (窗口工作台) on a staff PC, served by the server.

The page is HTML and plain JavaScript (`static/console/`, no build step). The server renders
only the hall's names, its services (for the transfer dialog) and the URLs; everything else the
page reads from the JSON API and the hall's events websocket, so that an action made anywhere
else - the physical keypad over MQTT, another client of the API - shows on the console at once.

Login: the page posts the staff member's username and password to `POST /api/v1/auth/login`
and keeps the bearer token it gets in the tab's `sessionStorage`, sending it as an
`Authorization` header on every API call. No cookie is involved, so the browser never attaches
the credential to a request by itself, and a forged request from another site (CSRF) carries
nothing that authenticates it: the page needs no CSRF token. The token lives only as long as
the tab, and an expired or refused token (401) takes the page back to its login form.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from qms.core import commands as c
from qms.core.model import Outcome
from qms.core.rules import WINDOW_ACTIONS
from qms.core.wording import STAFF_REFUSALS

from .state import web_state
from .templating import no_hall_page, templates

# Keyboard shortcuts, shown on the buttons; console.js binds the same keys (F5 and F11-F12
# stay the browser's: reload, full screen, developer tools).
SHORTCUTS = {
    "call-next": "F1",
    "recall": "F2",
    "no-show": "F3",
    "start": "F4",
    "finish-completed": "F6",
    "finish-accepted": "F7",
    "finish-incomplete": "F8",
    "finish-rejected": "F9",
    "transfer": "T",
    "hold": "H",
    "unhold": "U",
    "call": "C",
    "pause": "P",
    "resume": "R",
    "close": "X",
}

# The command of each window action (qms/web/windows.py), to tell the page in which window
# states the hall takes it.
COMMANDS: dict[str, type] = {
    "open": c.OpenWindow,
    "close": c.CloseWindow,
    "pause": c.PauseWindow,
    "resume": c.ResumeWindow,
    "call-next": c.CallNext,
    "call": c.CallTicket,
    "recall": c.Recall,
    "no-show": c.MarkNoShow,
    "start": c.StartService,
    "finish": c.FinishService,
    "transfer": c.Transfer,
    "hold": c.HoldTicket,
    "unhold": c.UnholdTicket,
}

OUTCOMES = (
    (Outcome.COMPLETED, "办结", "Completed"),
    (Outcome.ACCEPTED, "受理", "Accepted"),
    (Outcome.INCOMPLETE, "材料不全", "Documents missing"),
    (Outcome.REJECTED, "不予受理", "Rejected"),
)


async def console_page(request: Request) -> Response:
    """`GET /console/{hall}`: the staff console of one hall (a 404 page for an unknown hall)."""
    hall_id = request.path_params["hall"]
    service = web_state(request).services.get(hall_id)
    if service is None:
        return no_hall_page(request, hall_id, ("工作台", "console"))
    config = service.config
    api = f"/api/v1/halls/{config.id}"
    settings = {
        "hall": config.id,
        "login": "/api/v1/auth/login",
        "windows": f"{api}/windows",
        "queues": f"{api}/queues",
        "tickets": f"{api}/tickets",
        "events": f"{api}/events",
        "shortcuts": SHORTCUTS,
        "allowed": {name: sorted(WINDOW_ACTIONS[command]) for name, command in COMMANDS.items()},
        "services": [
            {"id": s.id, "name": s.name, "name_en": s.name_en, "department": s.department} for s in config.services
        ],
        "refusals": STAFF_REFUSALS,  # the Chinese line of a refused action, by its code
    }
    context = {
        "hall_name": config.name,
        "hall_name_en": config.name_en,
        "settings": settings,
        "keys": SHORTCUTS,
        "outcomes": [(o.value, zh, en) for o, zh, en in OUTCOMES],
    }
    return templates.TemplateResponse(request, "console.html", context)
