"""The pages' shared Jinja2 environment and their error page.

Every page (screen, console, dashboard, kiosk, ticket status, booking) renders from the one
template folder; a wrong address gets the same bilingual error page, dressed in the look of
the device it was meant for (a TV, a staff PC, a phone).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
templates = Jinja2Templates(directory=TEMPLATES)

Look = Literal["screen", "phone", "admin"]
_LOOKS: dict[str, tuple[str, str]] = {  # stylesheet, class of <main>
    "screen": ("/static/screen/screen.css", "not-found"),
    "phone": ("/static/ticket/ticket.css", "ticket problem"),
    "admin": ("/static/admin/admin.css", "problem"),
}


def error_page(
    request: Request, status: int, title: tuple[str, str], detail: tuple[str, str], *, look: Look = "screen"
) -> Response:
    """A page that says in both languages what is wrong with the address asked for."""
    stylesheet, main_class = _LOOKS[look]
    context = {
        "status": status,
        "title": title[0],
        "title_en": title[1],
        "detail": detail[0],
        "detail_en": detail[1],
        "stylesheet": stylesheet,
        "main_class": main_class,
    }
    return templates.TemplateResponse(request, "error.html", context, status_code=status)
