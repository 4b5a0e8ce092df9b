"""`/reports/{hall}`: the staff reports page (统计报表) on a staff PC.

Staff log in as on the console (the shared `static/staff/session.js`: bearer token in the
tab's sessionStorage, no cookie, so no CSRF surface), pick a day and a grouping and read the
table of `GET /api/v1/halls/{hall}/reports/daily`, download the same rows as CSV, and work
through the day's bad ratings (差评) with their follow-ups (`bad_ratings.py`). The server
renders only the hall's names and the URLs; everything else comes from the JSON API.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from qms.core.follow_up import FollowUpStatus
from qms.core.reports import GroupBy

from .state import web_state
from .templating import no_hall_page, templates

GROUPS = {
    GroupBy.SERVICE: ("服务事项", "Service"),
    GroupBy.WINDOW: ("窗口", "Window"),
    GroupBy.DEPARTMENT: ("部门", "Department"),
    GroupBy.STAFF: ("工作人员", "Staff member"),
    GroupBy.CHANNEL: ("取号渠道", "Channel"),
}
STATUSES_EN = {FollowUpStatus.OPEN: "Open", FollowUpStatus.CONTACTED: "Contacted", FollowUpStatus.RESOLVED: "Resolved"}


async def reports_page(request: Request) -> Response:
    """`GET /reports/{hall}`: the reports page of one hall (a 404 page for an unknown hall)."""
    hall_id = request.path_params["hall"]
    service = web_state(request).services.get(hall_id)
    if service is None:
        return no_hall_page(request, hall_id, ("报表页", "reports page"))
    config = service.config
    api = f"/api/v1/halls/{config.id}"
    settings = {
        "hall": config.id,
        "today": service.now().date().isoformat(),
        "login": "/api/v1/auth/login",
        "report": f"{api}/reports/daily",
        "csv": f"{api}/reports/daily.csv",
        "bad": f"{api}/ratings/bad",
        "follow_up": f"{api}/ratings/{{id}}/follow-up",
        "statuses": {s.value: [s.label, STATUSES_EN[s]] for s in FollowUpStatus},
    }
    context = {
        "hall_name": config.name,
        "hall_name_en": config.name_en,
        "settings": settings,
        "groups": [(g.value, zh, en) for g, (zh, en) in GROUPS.items()],
    }
    return templates.TemplateResponse(request, "reports.html", context, headers={"Cache-Control": "no-store"})
