from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient


def test_openapi_documents_the_catalog(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/catalog/bundles" in spec["paths"]
    assert "/api/v1/auth/token" in spec["paths"]


def test_token_login_and_me(
    client: TestClient, login_token: Callable[[str], dict[str, str]]
) -> None:
    headers = login_token("scjg")
    me = client.get("/api/v1/me", headers=headers).json()
    assert me["name"] == "刘洋"
    assert me["roles"][0]["role"] == "dept_reviewer"
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_api_errors_are_structured(client: TestClient) -> None:
    r = client.post("/api/v1/auth/token", json={"login": "410103198506123015", "password": "x"})
    assert r.status_code == 422
    assert r.json()["error"] == {
        "code": "invalid_id_number",
        "message": "公民身份号码校验码不正确",
        "field": "login",
    }
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "login_required"
    r = client.post("/api/v1/auth/token", json={"login": "window"})
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "password"
    assert client.get("/api/v1/catalog/bundles/nosuch").json()["error"]["code"] == "not_found"


def test_cookie_sessions_do_not_authenticate_the_api(client: TestClient) -> None:
    from tests.conftest import page_login

    page_login(client, "window")
    assert client.get("/me").status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_calendar_admin_only(
    client: TestClient, login_token: Callable[[str], dict[str, str]]
) -> None:
    body = {"is_workday": False, "name": "元旦"}
    assert (
        client.put(
            "/api/v1/calendar/days/2027-01-01", json=body, headers=login_token("window")
        ).status_code
        == 403
    )
    r = client.put("/api/v1/calendar/days/2027-01-01", json=body, headers=login_token("admin"))
    assert r.status_code == 200
    due = client.get("/api/v1/calendar/add", params={"start": "2026-12-31", "days": 1}).json()
    assert due["due"] == "2027-01-04"


def test_catalog_items_search_and_pagination(client: TestClient) -> None:
    page = client.get("/api/v1/catalog/items", params={"limit": 5}).json()
    assert page["total"] >= len(page["items"])
    assert len(page["items"]) <= 5
    r = client.get("/api/v1/catalog/items", params={"limit": 0})
    assert r.status_code == 422
    r = client.get("/api/v1/catalog/departments", params={"region": "410103"}).json()
    assert len(r) == 30
    assert {d["name"] for d in r} >= {"市场监督管理局", "消防救援大队", "街道办事处"}
