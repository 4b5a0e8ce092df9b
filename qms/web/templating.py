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
    request: Request,
    status: int,
    title: tuple[str, str],
    detail: tuple[str, str],
    *,
    look: Look = "screen",
    code: str | None = None,
) -> Response:
    """A page that says in both languages what is wrong with the address asked for; `code`,
    the refusal's stable code (as the API would answer it), is on the page as `data-code`."""
    stylesheet, main_class = _LOOKS[look]
    context = {
        "code": code,
        "status": status,
        "title": title[0],
        "title_en": title[1],
        "detail": detail[0],
        "detail_en": detail[1],
        "stylesheet": stylesheet,
        "main_class": main_class,
    }
    return templates.TemplateResponse(request, "error.html", context, status_code=status)


def no_hall_page(request: Request, hall_id: str, page: tuple[str, str], *, look: Look = "screen") -> Response:
    """404: the address of a hall's `page` (its name in Chinese and English) names a hall
    this server does not run."""
    return error_page(
        request,
        404,
        ("没有这个大厅", "No such hall"),
        (
            f"本服务器没有编号为「{hall_id}」的大厅，请检查{page[0]}的网址。",
            f"This server runs no hall {hall_id!r}. Please check the {page[1]}'s address.",
        ),
        look=look,
        code="unknown_hall",
    )
