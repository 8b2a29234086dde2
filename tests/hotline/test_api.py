"""The issue's journey over the JSON API: a complaint is entered, routed to 市场监督管理局,
returned once as not theirs and redispatched, answered, called back as unsolved, reopened
with escalation, answered again, rated 满意; plus the API's other doors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

Headers = dict[str, str]
COMPLAINT = "二七区大学路一家饭店卖过期的牛奶，吃完孩子拉肚子，老板还不认账"


def _ok(r: Any, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    return body


def test_complaint_journey(client: TestClient, login_token: Callable[[str], Headers]) -> None:
    op, disp, sup = login_token("operator"), login_token("dispatcher"), login_token("supervisor")
    scjg, cgj = login_token("scjg"), login_token("cgj")

    proposal = _ok(client.post("/api/v1/hotline/classify", json={"text": COMPLAINT}, headers=op))
    assert proposal["department"] == "市场监督管理局"

    t = _ok(
        client.post(
            "/api/v1/hotline/tickets",
            json={
                "content": COMPLAINT,
                "caller_name": "张先生",
                "caller_phone": "13712345678",
                "region_code": "410103000000",
                "address": "大学路80号",
                "type": "投诉",
            },
            headers=op,
        ),
        201,
    )
    tid, number = t["id"], t["number"]
    assert t["state"] == "received"
    assert t["proposal"]["code"] == "scjgj"
    assert "dispatch" in t["actions"]
    url = f"/api/v1/hotline/tickets/{tid}"

    # the operator may not dispatch, the dispatcher may; no unit named: the proposal is used
    assert client.post(f"{url}/dispatch", json={}, headers=op).status_code == 403
    t = _ok(client.post(f"{url}/dispatch", json={"version": t["version"]}, headers=disp))
    assert (t["state"], t["department"]) == ("dispatched", "市场监督管理局")
    assert t["due_on"] is not None

    # 城市管理局 cannot see it yet; 市场监督管理局 sees it masked in its list
    assert client.get(url, headers=cgj).status_code == 404
    listed = _ok_list(client.get("/api/v1/hotline/tickets", headers=scjg))
    mine = next(x for x in listed if x["id"] == tid)
    assert mine["caller_phone"] == "137****5678"

    # returned once as not theirs; the dispatcher reviews and redispatches
    t = _ok(
        client.post(
            f"{url}/return",
            json={"reason": "经核实该店已关停，现为门前无证流动摊点，属城市管理局职责"},
            headers=scjg,
        )
    )
    assert t["state"] == "returned"
    assert t["return_count"] == 1
    t = _ok(
        client.post(
            f"{url}/return-review",
            json={"approve": True, "department": "cgj", "assisting": ["scjgj"]},
            headers=disp,
        )
    )
    assert (t["state"], t["department"]) == ("dispatched", "城市管理局")
    assert len(t["assisting"]) == 1
    assert client.post(f"{url}/claim", json={}, headers=scjg).status_code == 403

    # answered
    _ok(client.post(f"{url}/claim", json={}, headers=cgj))
    t = _ok(client.post(f"{url}/reply", json={"text": "已取缔流动摊点，责令停止经营"}, headers=cgj))
    assert t["state"] == "replied"
    assert t["on_time"] is True

    # called back as unsolved
    t = _ok(
        client.post(
            f"{url}/callback",
            json={"solved": False, "satisfaction": 2, "note": "摊点晚上又出来了"},
            headers=op,
        )
    )
    assert (t["state"], t["solved"], t["satisfaction"]) == ("closed_unsolved", False, 2)

    # reopened with escalation (差评重办 by the supervisor)
    assert client.post(f"{url}/reopen", json={"reason": "x"}, headers=op).status_code == 403
    t = _ok(client.post(f"{url}/reopen", json={"reason": "群众反映夜间仍在经营"}, headers=sup))
    assert (t["state"], t["escalated"], t["reopen_count"]) == ("claimed", True, 1)

    # answered again, rated 满意
    _ok(client.post(f"{url}/reply", json={"text": "已安排夜间巡查，摊点已清除"}, headers=cgj))
    t = _ok(client.post(f"{url}/callback", json={"solved": True, "satisfaction": 4}, headers=op))
    assert (t["state"], t["solved"], t["satisfaction"]) == ("closed_solved", True, 4)
    assert t["actions"] == []

    steps = [e["what"] for e in _ok_list(client.get(f"{url}/timeline", headers=sup))]
    assert steps == [
        "受理登记",
        "派单",
        "申请退单",
        "同意退单并改派",
        "签收",
        "答复办理结果",
        "回访办结（未解决）",
        "差评重办",
        "答复办理结果",
        "回访办结（已解决）",
    ]

    # the caller looks it up with the number and the phone only
    pub = _ok(
        client.post("/api/v1/hotline/lookup", json={"number": number, "phone": "13712345678"})
    )
    assert pub["state_label"] == "已办结（已解决）"
    assert pub["caller_phone"] == "137****5678"
    assert pub["department"] == "城市管理局"
    wrong = client.post("/api/v1/hotline/lookup", json={"number": number, "phone": "13700000000"})
    assert wrong.status_code == 404

    figures = _ok(client.get("/api/v1/hotline/analytics", headers=sup))
    assert figures["total"] >= 1
    assert "城市管理局" in figures["by_department"]
    assert client.get("/api/v1/hotline/analytics", headers=cgj).status_code == 403


def _ok_list(r: Any) -> list[dict[str, Any]]:
    assert r.status_code == 200, r.text
    body: list[dict[str, Any]] = r.json()
    return body


def test_consultation_answered_directly_and_merge(
    client: TestClient, login_token: Callable[[str], Headers]
) -> None:
    op, disp = login_token("operator"), login_token("dispatcher")
    q = "想开个小饭馆，开办餐饮店要办哪些手续"
    found = _ok_list(client.get("/api/v1/hotline/answers", params={"q": q}, headers=op))
    assert found
    assert any("餐饮" in a["name"] for a in found)
    base = {"caller_name": "李女士", "caller_phone": "13600001111", "type": "咨询"}
    t = _ok(client.post("/api/v1/hotline/tickets", json={"content": q, **base}, headers=op), 201)
    t = _ok(
        client.post(
            f"/api/v1/hotline/tickets/{t['id']}/answer",
            json={"answer": "可办理“开办餐饮店”一件事", "sources": [found[0]["name"]]},
            headers=op,
        )
    )
    assert t["state"] == "replied"
    assert t["handled_directly"] is True

    lamp = "大学路和航海路交叉口的路灯坏了一个多星期，晚上黑乎乎的"
    area = {"caller_name": "王先生", "caller_phone": "13600002222", "region_code": "410103001000"}
    first = _ok(
        client.post("/api/v1/hotline/tickets", json={"content": lamp, **area}, headers=op), 201
    )
    dup = _ok(
        client.post(
            "/api/v1/hotline/tickets",
            json={"content": "航海路大学路路口路灯坏了一个星期了", **area},
            headers=op,
        ),
        201,
    )
    sugg = _ok_list(
        client.get(f"/api/v1/hotline/tickets/{dup['id']}/merge-suggestions", headers=disp)
    )
    assert sugg[0]["ticket"]["id"] == first["id"]
    merged = _ok(
        client.post(
            f"/api/v1/hotline/tickets/{dup['id']}/merge",
            json={"into": first["number"]},
            headers=disp,
        )
    )
    assert merged["state"] == "merged"
    assert merged["merged_into_id"] == first["id"]


def test_api_errors(client: TestClient, login_token: Callable[[str], Headers]) -> None:
    op = login_token("operator")
    assert client.get("/api/v1/hotline/tickets").status_code == 401
    person = login_token("410103198506123014")
    assert client.get("/api/v1/hotline/tickets", headers=person).status_code == 403
    r = client.post(
        "/api/v1/hotline/tickets",
        json={"content": "", "caller_name": "李", "caller_phone": "137"},
        headers=op,
    )
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "content"
    assert client.get("/api/v1/hotline/tickets/999999", headers=op).status_code == 404
    t = _ok(
        client.post(
            "/api/v1/hotline/tickets",
            json={
                "content": "楼下有人持刀打架",
                "caller_name": "李",
                "caller_phone": "13712340000",
            },
            headers=op,
        ),
        201,
    )
    r = client.post(f"/api/v1/hotline/tickets/{t['id']}/claim", json={}, headers=op)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "invalid_transition"
    t = _ok(
        client.post(f"/api/v1/hotline/tickets/{t['id']}/transfer", json={"line": "110"}, headers=op)
    )
    assert t["state"] == "transferred"
    stale = client.post(
        f"/api/v1/hotline/tickets/{t['id']}/dispatch",
        json={"version": 0},
        headers=login_token("dispatcher"),
    )
    assert stale.status_code == 409
