"""The policies API as an app and a department use it: 我能享受哪些政策 with reasons, a
push applied in one step and approved, a grant fulfilled, a profile fed by a department and
matched again at once, a policy saved with a bad condition refused with the condition named."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

Headers = dict[str, str]
PERSON = "410103198506123014"
ELDER = "410103194003150020"


def test_my_policies_and_the_push_journey(
    client: TestClient, login_token: Callable[[str], Headers]
) -> None:
    me = login_token(PERSON)
    mine = client.get("/api/v1/me/policies", headers=me)
    assert mine.status_code == 200
    body = mine.json()
    eligible = {a["policy"]["code"]: a for a in body["eligible"]}
    assert "P06" in eligible
    assert eligible["P06"]["policy"]["mode"] == "push"
    assert body["nearly"], "policies nearly met come with reasons"
    assert all(u["requirement"] and u["actual"] for a in body["nearly"] for u in a["unmet"])

    pushes = client.get("/api/v1/me/pushes", headers=me).json()
    [push] = [p for p in pushes if p["policy"] == "P06"]
    assert push["state"] == "pushed"
    assert any(f["attr"] == "ui_paid_months" for f in push["application"]["facts"])
    other = login_token("410103199008151623")
    assert (
        client.post(f"/api/v1/me/pushes/{push['id']}/apply", json={}, headers=other).status_code
        == 403
    )
    applied = client.post(
        f"/api/v1/me/pushes/{push['id']}/apply", json={"note": "请发到社保卡"}, headers=me
    )
    assert applied.status_code == 200
    assert applied.json()["state"] == "applied"

    admin = login_token("admin")
    supervisor = login_token("supervisor")
    assert (
        client.post(f"/api/v1/pushes/{push['id']}/approve", headers=supervisor).status_code == 403
    )
    grant = client.post(f"/api/v1/pushes/{push['id']}/approve", headers=admin)
    assert grant.status_code == 200, grant.text
    assert grant.json()["state"] == "granted"
    missing = client.post(
        f"/api/v1/grants/{grant.json()['id']}/fulfil", json={"payment_reference": ""}, headers=admin
    )
    assert missing.status_code == 422
    paid = client.post(
        f"/api/v1/grants/{grant.json()['id']}/fulfil",
        json={"payment_reference": "ZF-001"},
        headers=admin,
    )
    assert paid.json()["state"] == "fulfilled"
    grants = client.get("/api/v1/me/grants", headers=me).json()
    assert [g["state"] for g in grants if g["policy"] == "P06"] == ["fulfilled"]
    metrics = {
        m["code"]: m for m in client.get("/api/v1/policy-metrics", headers=supervisor).json()
    }
    assert metrics["P06"]["fulfilled"] == 1
    assert metrics["P06"]["applied"] == 1


def test_a_department_feeds_a_profile_and_the_grant_follows(
    client: TestClient, login_token: Callable[[str], Headers]
) -> None:
    me = login_token(PERSON)
    profile = client.get("/api/v1/me/profile", headers=me).json()
    assert profile["values"]["birth_date"] == "1985-06-12"
    assert profile["sources"]["birth_date"]["source"] == "公民身份号码"
    staff = login_token("rsj")
    bad = client.patch(
        f"/api/v1/profiles/{profile['id']}",
        json={"values": {"employment_status": "失业了", "agee": 3}, "source": "人社局"},
        headers=staff,
    )
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json()["error"]["details"]} == {"employment_status", "agee"}
    ok = client.patch(
        f"/api/v1/profiles/{profile['id']}",
        json={
            "values": {"employment_status": "在职参保"},
            "source": "人力资源和社会保障局（参保登记）",
        },
        headers=staff,
    )
    assert ok.status_code == 200
    assert ok.json()["sources"]["employment_status"]["source"] == "人力资源和社会保障局（参保登记）"
    mine = client.get("/api/v1/me/policies", headers=me).json()
    assert "P06" not in {a["policy"]["code"] for a in mine["eligible"]}
    pushes = client.get("/api/v1/me/pushes", headers=me).json()
    assert [p["state"] for p in pushes if p["policy"] == "P06"] == ["withdrawn"]
    assert (
        client.patch(
            f"/api/v1/profiles/{profile['id']}",
            json={"values": {}, "source": "x"},
            headers=login_token("supervisor"),
        ).status_code
        == 403
    )


def test_saving_a_policy_checks_its_conditions(
    client: TestClient, login_token: Callable[[str], Headers]
) -> None:
    admin = login_token("admin")
    doc: dict[str, Any] = client.get("/api/v1/policies/P01").json()
    assert doc["conditions_text"][0].startswith("户籍所在地须在")
    body = {
        k: doc[k]
        for k in (
            "code",
            "name",
            "legal_basis",
            "target",
            "mode",
            "summary",
            "benefit",
            "valid_from",
            "conditions",
        )
    }
    body.update(region="410103", department="mzj")
    body["conditions"] = {"and": [doc["conditions"], {">=": [{"var": "agee"}, "x"]}]}
    bad = client.put("/api/v1/policies/P01", json=body, headers=admin)
    assert bad.status_code == 422
    [detail] = bad.json()["error"]["details"]
    assert "agee" in detail["message"]
    assert detail["message"].startswith("条件 {")
    body["conditions"] = {"and": [doc["conditions"], {">=": [{"var": "age"}, 85]}]}
    assert (
        client.put("/api/v1/policies/P01", json=body, headers=login_token(PERSON)).status_code
        == 403
    )
    saved = client.put("/api/v1/policies/P01", json=body, headers=admin)
    assert saved.status_code == 200, saved.text
    assert saved.json()["outcome"] == "updated"
    assert saved.json()["policy"]["version"] == 2
    assert "年龄须不低于 85周岁" in saved.json()["policy"]["conditions_text"]


def test_consultation_is_answered_and_the_asker_told(
    client: TestClient, login_token: Callable[[str], Headers]
) -> None:
    elder = login_token(ELDER)
    asked = client.post(
        "/api/v1/policies/P01/consultations",
        json={"question": "高龄津贴每月几号发？"},
        headers=elder,
    )
    assert asked.status_code == 201
    short = client.post(
        "/api/v1/policies/P01/consultations", json={"question": "啊"}, headers=elder
    )
    assert short.status_code == 422
    admin = login_token("admin")
    answered = client.post(
        f"/api/v1/consultations/{asked.json()['id']}/answer",
        json={"answer": "每季度首月15日前发放。"},
        headers=admin,
    )
    assert answered.json()["answer"] == "每季度首月15日前发放。"
    inbox = client.get("/api/v1/notifications", headers=elder).json()
    assert any("政策咨询已答复" in n["title"] for n in inbox)
