"""Login, tokens and the login throttle."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime

import pytest

from qms.web import LoginThrottle, TokenSigner
from qms.web.errors import TooManyAttempts, Unauthorized

from .conftest import PASSWORD, SECRET, Api, bearer

pytestmark = pytest.mark.anyio

LOGIN = "/api/v1/auth/login"


async def test_login_gives_a_working_token(api: Api) -> None:
    response = await api.client.post(LOGIN, json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["username"] == "alice" and body["role"] == "staff" and body["name"] == "王丽"
    expires = datetime.fromisoformat(body["expires_at"])
    assert 11.9 * 3600 < expires.timestamp() - time.time() <= 12 * 3600
    assert body["token"].startswith("qms1.")
    opened = await api.client.post(api.url("/windows/w1/open"), headers={"Authorization": f"Bearer {body['token']}"})
    assert opened.status_code == 200
    assert opened.json()["window"]["staff"] == "alice"


async def test_admin_login_says_admin(api: Api) -> None:
    response = await api.client.post(LOGIN, json={"username": "root", "password": PASSWORD})
    assert response.json()["role"] == "admin"


async def test_bad_credentials_look_the_same(api: Api) -> None:
    wrong = await api.client.post(LOGIN, json={"username": "alice", "password": "nope"})
    unknown = await api.client.post(LOGIN, json={"username": "mallory", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "bad_credentials"
    assert "Bearer" in wrong.headers["www-authenticate"]
    missing = await api.client.post(LOGIN, json={"username": "alice"})
    assert missing.status_code == 422


async def test_login_throttling(api: Api) -> None:
    for _ in range(5):
        response = await api.client.post(LOGIN, json={"username": "bob", "password": "guess"})
        assert response.status_code == 401
    locked = await api.client.post(LOGIN, json={"username": "Bob", "password": PASSWORD})
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "too_many_attempts"
    assert int(locked.headers["retry-after"]) > 0
    other = await api.client.post(LOGIN, json={"username": "alice", "password": PASSWORD})
    assert other.status_code == 200  # one name locked, not the desk


def test_throttle_forgets_after_the_period() -> None:
    now = [1000.0]
    throttle = LoginThrottle(limit=3, period=60, clock=lambda: now[0])
    for _ in range(3):
        throttle.check("alice")
        throttle.failed("alice")
    with pytest.raises(TooManyAttempts):
        throttle.check("ALICE")
    now[0] += 59
    with pytest.raises(TooManyAttempts):
        throttle.check("alice")
    now[0] += 2
    throttle.check("alice")
    throttle.failed("alice")
    throttle.succeeded("alice")
    throttle.check("alice")


def test_throttle_memory_is_bounded() -> None:
    now = [0.0]
    throttle = LoginThrottle(limit=2, period=60, clock=lambda: now[0], max_names=10)
    for i in range(100):
        throttle.failed(f"guess-{i}")
        now[0] += 1
    assert len(throttle._failures) <= 10


async def test_missing_bad_and_expired_tokens(api: Api) -> None:
    url = api.url("/windows/w1/open")
    missing = await api.client.post(url)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "auth_required"
    assert missing.headers["www-authenticate"] == 'Bearer realm="qms"'
    basic = await api.client.post(url, headers={"Authorization": "Basic YWxpY2U6eA=="})
    assert basic.status_code == 401 and basic.json()["error"]["code"] == "invalid_token"
    expired = await api.client.post(url, headers=bearer("alice", now=time.time() - 13 * 3600))
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "token_expired"
    assert 'error="invalid_token"' in expired.headers["www-authenticate"]
    other_secret, _ = TokenSigner(b"another-secret-of-enough-length").issue("root", "admin", time.time())
    forged = await api.client.post(url, headers={"Authorization": f"Bearer {other_secret}"})
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "invalid_token"
    gone = await api.client.post(url, headers=bearer("mallory"))
    assert gone.status_code == 401
    assert (await api.get("/windows"))["windows"][0]["state"] == "closed"


async def test_tampered_role_is_refused(api: Api) -> None:
    token = bearer("alice")["Authorization"].removeprefix("Bearer ")
    prefix, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["role"] = "admin"
    forged_payload = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    response = await api.client.post(
        api.url("/windows/w1/open"), headers={"Authorization": f"Bearer {prefix}.{forged_payload}.{signature}"}
    )
    assert response.status_code == 401


def test_tokens_survive_a_new_signer_with_the_same_secret() -> None:
    token, claims = TokenSigner(SECRET).issue("alice", "staff", 1_000_000.0)
    assert TokenSigner(SECRET).verify(token, 1_000_001.0) == claims
    for bad in ("", "qms1", "qms1.a.b", "jwt.x.y", token + "x", "qms1.é.ü", token.replace("qms1.", "qms1.x")):
        with pytest.raises(Unauthorized):
            TokenSigner(SECRET).verify(bad, 1_000_001.0)
    with pytest.raises(Unauthorized):
        TokenSigner(SECRET).verify(token, claims.expires_at)
    with pytest.raises(ValueError):
        TokenSigner(b"short")
