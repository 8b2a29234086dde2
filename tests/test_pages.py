from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from onething.catalog.models import ServiceItem
from tests.conftest import csrf_of, page_login


def test_login_page_shows_a_wrong_id_number_and_stays(client: TestClient) -> None:
    token = csrf_of(client)
    r = client.post(
        "/login",
        data={"login": "410103198506123015", "password": "x", "csrf_token": token, "next": "/"},
    )
    assert r.status_code == 422
    assert "公民身份号码校验码不正确" in r.text
    assert "ot_session" not in r.cookies


def test_form_posts_without_csrf_are_refused(client: TestClient) -> None:
    client.get("/login")
    r = client.post("/login", data={"login": "window", "password": "onething2026"})
    assert r.status_code == 403
    assert "页面已过期" in r.text


def test_login_redirects_back_only_to_local_paths(client: TestClient) -> None:
    token = csrf_of(client)
    r = client.post(
        "/login",
        data={
            "login": "window",
            "password": "onething2026",
            "csrf_token": token,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/"


def test_protected_page_sends_to_login(client: TestClient) -> None:
    r = client.get("/admin/catalog", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")
    page_login(client, "window")
    assert client.get("/admin/catalog").status_code == 403


def test_unknown_page_is_a_chinese_404(client: TestClient) -> None:
    r = client.get("/no/such/page")
    assert r.status_code == 404
    assert "您访问的页面不存在" in r.text


def test_admin_import_with_bad_yaml_lists_errors_and_changes_nothing(
    client: TestClient, db: Session
) -> None:
    page_login(client, "admin")
    before = db.scalar(sa.select(sa.func.count()).select_from(ServiceItem))
    bad = b"items:\n  - code: '123'\n    name: x\n"
    r = client.post(
        "/admin/catalog/import",
        data={"csrf_token": client.cookies.get("ot_csrf")},
        files=[("files", ("bad.yaml", bad, "application/yaml"))],
    )
    assert r.status_code == 422
    assert "未导入任何内容" in r.text
    assert "bad.yaml" in r.text
    assert db.scalar(sa.select(sa.func.count()).select_from(ServiceItem)) == before


def test_admin_edits_the_holiday_table(client: TestClient) -> None:
    page_login(client, "admin")
    token = client.cookies.get("ot_csrf")
    r = client.post(
        "/admin/calendar",
        data={"csrf_token": token, "day": "2027-10-01", "kind": "holiday", "name": "国庆节"},
    )
    assert r.status_code == 200
    assert "国庆节" in r.text
    assert "2027 年按下表和周末计算" in r.text
