"""Bad ratings and their follow-ups through the API: staff only, validated, idempotent."""

from __future__ import annotations

from typing import Any

import pytest

from qms.core import commands as c
from qms.core.model import RatingLevel

from .conftest import Api, bearer


async def rated(api: Api, level: RatingLevel) -> None:
    await api.issue("social")
    await api.ok("w1", "open")
    await api.ok("w1", "call-next")
    api.clock.advance(300)
    await api.ok("w1", "finish", outcome="completed")
    await api.service.submit(c.RateService("w1", level))


async def post(api: Api, rating: str, user: str | None = "bob", **body: Any) -> Any:
    headers = bearer(user) if user else {}
    return await api.client.post(api.url(f"/ratings/{rating}/follow-up"), json=body, headers=headers)


@pytest.mark.anyio
async def test_a_bad_rating_is_open_then_contacted_then_resolved(api: Api) -> None:
    await rated(api, RatingLevel.VERY_DISSATISFIED)
    listed = await api.get("/ratings/bad?day=2026-11-23", headers=bearer("alice"))
    (rating,) = listed["ratings"]
    assert rating["id"] == "20261123-A001.0" and rating["number"] == "A001"
    assert (rating["label"], rating["staff"], rating["staff_name"], rating["window_name"]) == (
        "非常不满意", "alice", "王丽", "综合窗口1",
    )  # fmt: skip
    assert rating["follow_up"]["status"] == "open" and rating["follow_up"]["label"] == "待回访"
    api.clock.advance(60)
    first = await post(api, rating["id"], status="contacted", note="电话回访，已致歉")
    assert first.status_code == 200, first.text
    follow = first.json()["rating"]["follow_up"]
    assert (follow["status"], follow["label"], follow["by"], follow["by_name"]) == (
        "contacted",
        "已回访",
        "bob",
        "李明",
    )
    again = await post(api, rating["id"], "alice", status="contacted", note="电话回访，已致歉")
    assert again.status_code == 200 and again.json()["rating"]["follow_up"] == follow  # idempotent: still bob's
    done = await post(api, rating["id"], "alice", status="resolved", note="已重新办理")
    assert done.json()["rating"]["follow_up"]["by"] == "alice"
    (listed,) = (await api.get("/ratings/bad", headers=bearer("bob")))["ratings"]
    assert (listed["follow_up"]["status"], listed["follow_up"]["note"]) == ("resolved", "已重新办理")
    closed = await post(api, rating["id"], status="contacted", note="再联系")
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "follow_up_closed"


@pytest.mark.anyio
async def test_good_ratings_are_not_listed_nor_followed_up(api: Api) -> None:
    await rated(api, RatingLevel.SATISFIED)
    assert (await api.get("/ratings/bad", headers=bearer("alice")))["ratings"] == []
    response = await post(api, "20261123-A001.0", status="contacted", note="x")
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_a_bad_rating"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("rating", "user", "body", "status", "code"),
    [
        ("20261123-A001.0", None, {"status": "contacted", "note": "x"}, 401, "auth_required"),
        ("20261123-A001.0", "bob", {"status": "called", "note": "x"}, 422, "invalid_input"),
        ("20261123-A001.0", "bob", {"status": "open", "note": "x"}, 422, "invalid_status"),
        ("20261123-A001.0", "bob", {"status": "contacted"}, 422, "note_missing"),
        ("20261123-A001.0", "bob", {"status": "contacted", "note": "x", "by": "eve"}, 422, "invalid_input"),
        ("20261123-A001.1", "bob", {"status": "contacted", "note": "x"}, 404, "unknown_rating"),
        ("20261399-A001.0", "bob", {"status": "contacted", "note": "x"}, 404, "unknown_rating"),
        ("A001", "bob", {"status": "contacted", "note": "x"}, 404, "unknown_rating"),
    ],
)
async def test_refusals_change_nothing(
    api: Api, rating: str, user: str | None, body: dict[str, Any], status: int, code: str
) -> None:
    await rated(api, RatingLevel.DISSATISFIED)
    response = await post(api, rating, user, **body)
    assert response.status_code == status and response.json()["error"]["code"] == code, response.text
    assert await api.store.follow_ups("yuexiu") == []


@pytest.mark.anyio
async def test_the_list_needs_staff_and_a_real_day(api: Api) -> None:
    response = await api.client.get(api.url("/ratings/bad"))
    assert response.status_code == 401
    response = await api.client.get(api.url("/ratings/bad?day=23.11.2026"), headers=bearer("alice"))
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_date"
