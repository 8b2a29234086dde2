"""The hotline pages: console entry, dispatch, the unit's claim/return/reply, the callback
and reopening, the lists, the figures and the public lookup."""

from __future__ import annotations

import re

import httpx2
from fastapi.testclient import TestClient

from tests.conftest import page_login

COMPLAINT = "二七区大学路一家饭店卖过期的牛奶，吃完孩子拉肚子，老板还不认账"


def _as(client: TestClient, login: str) -> None:
    client.cookies.clear()
    page_login(client, login)


def _post(client: TestClient, url: str, data: dict[str, str | list[str]]) -> httpx2.Response:
    token = client.cookies.get("ot_csrf")
    assert token
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=False)


def _version(page: str) -> str:
    m = re.search(r'name="version" value="(\d+)"', page)
    assert m
    return m.group(1)


def test_ticket_through_the_pages(client: TestClient) -> None:
    _as(client, "operator")
    console = client.get("/hotline/console")
    assert console.status_code == 200
    assert "autofocus" in console.text
    assert "/static/hotline.js" in console.text
    assert client.get("/static/hotline.js").status_code == 200

    bad = _post(
        client, "/hotline/console", {"content": "", "caller_name": "张", "caller_phone": "1"}
    )
    assert bad.status_code == 422
    assert 'id="page-error"' in bad.text

    r = _post(
        client,
        "/hotline/console",
        {
            "content": COMPLAINT,
            "caller_name": "张先生",
            "caller_phone": "13712345678",
            "type": "投诉",
        },
    )
    assert r.status_code == 303
    url = r.headers["location"]
    tid = url.rsplit("/", 1)[1]
    page = client.get(url).text
    assert "市场监督管理局" in page  # the proposal shown in the summary or to the dispatcher
    assert 'id="transfer"' in page
    assert 'id="dispatch"' not in page

    _as(client, "dispatcher")
    page = client.get(url).text
    assert 'id="proposal"' in page
    assert 'id="dispatch"' in page
    r = _post(
        client, f"/hotline/{tid}/dispatch", {"department": "scjgj", "version": _version(page)}
    )
    assert r.status_code == 303
    assert "待派单" in client.get("/hotline").text

    _as(client, "scjg")
    listing = client.get("/hotline").text
    assert COMPLAINT[:20] in listing
    assert "137****5678" in listing
    page = client.get(url).text
    r = _post(client, f"/hotline/{tid}/return_ticket", {"reason": "", "version": _version(page)})
    assert r.status_code == 422
    r = _post(client, f"/hotline/{tid}/claim", {"version": _version(page)})
    assert r.status_code == 303
    page = client.get(url).text
    r = _post(
        client, f"/hotline/{tid}/reply", {"reply": "已下架并立案调查", "version": _version(page)}
    )
    assert r.status_code == 303

    _as(client, "operator")
    page = client.get(url).text
    assert 'id="callback"' in page
    r = _post(
        client,
        f"/hotline/{tid}/callback",
        {"solved": "no", "satisfaction": "2", "version": _version(page)},
    )
    assert r.status_code == 303
    assert "已办结（未解决）" in client.get(url).text

    _as(client, "supervisor")
    page = client.get(url).text
    r = _post(client, f"/hotline/{tid}/reopen", {"reason": "仍在售卖", "version": _version(page)})
    assert r.status_code == 303
    page = client.get(url).text
    assert "督办" in page
    assert "差评重办" in page
    figures = client.get("/hotline/analytics")
    assert figures.status_code == 200
    assert "响应率" in figures.text
    assert "热点预警" in figures.text

    number = re.search(r"工单编号 (R\d+)", page)
    assert number
    client.cookies.clear()
    client.get("/hotline/lookup")
    found = _post(client, "/hotline/lookup", {"number": number.group(1), "phone": "13712345678"})
    assert found.status_code == 200
    assert 'id="lookup-state"' in found.text
    assert "办理中" in found.text
    assert "张先生" not in found.text
    missing = _post(client, "/hotline/lookup", {"number": number.group(1), "phone": "13700000000"})
    assert missing.status_code == 404


def test_pages_need_the_right_roles(client: TestClient) -> None:
    assert client.get("/hotline", follow_redirects=False).status_code in (303, 401)
    _as(client, "410103198506123014")
    assert client.get("/hotline").status_code == 403
    _as(client, "scjg")
    assert client.get("/hotline/console").status_code == 403
    assert client.get("/hotline/analytics").status_code == 403
