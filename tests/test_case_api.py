"""The issue's scripted journey over the JSON API: a person applies for 新生儿出生 and an
enterprise for 开办餐饮店 (outdoor sign on); the window asks for a correction once, the
applicant corrects, the window accepts, departments decide in parallel with the licence before
the food permit, the window issues the results, and the timeline shows every step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from onething.cases.demo import DEMO_PDF
from onething.catalog.schemas import FieldType
from onething.config import get_settings
from onething.core.ids import make_id_number

Headers = dict[str, str]
PERSON, ENTERPRISE = "410103198506123014", "91410103MA9G5K3D2U"

FOOD_ANSWERS = {
    "has_business_licence": "no",
    "outdoor_sign": "yes",
    "public_gathering_place": "neither",
    "fire_commitment": "no",
    "food_items": ["hot_food"],
    "applicant": "legal_rep",
}
NEWBORN_ANSWERS = {
    "maternity_insurance": "no",
    "parents_marriage": "married",
    "applicant_role": "parent",
}
KNOWN = {
    "legal_rep_name": "王建国",
    "legal_rep_id_number": "410103198506123014",
    "business_address": "郑州市二七区大学路80号",
    "operating_area": "120",
    "child_name": "张小宝",
    "child_birth_date": "2026-11-01",
}


def fill(field: dict[str, Any]) -> str:
    """A valid value for a form field, as an applicant would type it."""
    if field["key"] in KNOWN:
        return KNOWN[field["key"]]
    if field["value"]:
        return str(field["value"])
    kind = field["type"]
    if kind == FieldType.choice:
        return str(field["choices"][0])
    if kind == FieldType.date:
        return "2026-11-10"
    if kind == FieldType.number:
        return "3"
    if kind == FieldType.phone:
        return "13800000000"
    if kind == FieldType.id_number and field["key"].startswith("child"):
        # the newborn's number carries the birth date the form gives
        return make_id_number("410103", dt.date.fromisoformat(KNOWN["child_birth_date"]), 1)
    if kind == FieldType.id_number:
        return PERSON
    if kind == FieldType.uscc:
        return ENTERPRISE
    if kind == FieldType.region:
        return "410103"
    return "张伟" if "name" in field["key"] else "详见附件"


def upload(client: TestClient, headers: Headers, name: str) -> str:
    r = client.post(
        "/api/v1/files",
        headers=headers,
        files={"file": (name, DEMO_PDF + name.encode(), "application/pdf")},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def apply_for(
    client: TestClient, headers: Headers, bundle: str, answers: dict[str, Any], key: str
) -> dict[str, Any]:
    """Draft, fill every field and upload every asked material, then submit with a key."""
    r = client.post("/api/v1/cases", headers=headers, json={"bundle": bundle, "answers": answers})
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["number"] is None
    assert draft["state"] == "draft"
    form = {f["key"]: fill(f) for f in draft["fields"]}
    materials = {
        m["key"]: [upload(client, headers, f"{m['key']}.pdf")]
        for m in draft["materials"]
        if m["status"] == "ask" and m["necessity"] == "1"
    }
    r = client.patch(
        f"/api/v1/cases/{draft['id']}",
        headers=headers,
        json={"form": form, "materials": materials, "version": draft["version"]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["pre_review"]["ok"], r.json()["pre_review"]
    submitted = client.post(
        f"/api/v1/cases/{draft['id']}/submit", headers={**headers, "Idempotency-Key": key}
    )
    assert submitted.status_code == 200, submitted.text
    return dict(submitted.json())


def test_two_applicants_one_window_parallel_review(
    client: TestClient, login_token: Callable[[str], Headers]
) -> None:
    person, enterprise = login_token(PERSON), login_token(ENTERPRISE)
    clerk = login_token("window")

    baby = apply_for(client, person, "newborn", NEWBORN_ANSWERS, "baby-1")
    shop = apply_for(client, enterprise, "food_business", FOOD_ANSWERS, "shop-1")
    today = dt.date.today().strftime("%Y%m%d")
    for case in (baby, shop):
        assert case["state"] == "submitted"
        assert case["number"].startswith("410103" + today)
        assert len(case["number"]) == 20
    assert baby["number"] != shop["number"]

    queue = client.get("/api/v1/window/queue", headers=clerk).json()
    numbers = [q["case"]["number"] for q in queue]
    assert baby["number"] in numbers
    assert shop["number"] in numbers

    # 一次性告知: two problems in one notice.
    r = client.post(
        f"/api/v1/window/cases/{shop['id']}/correction",
        headers=clerk,
        json={
            "problems": [
                {"kind": "field", "key": "operating_area", "message": "面积与平面图不一致"},
                {"kind": "material", "key": "food_safety_rules", "message": "缺少制度目录第二页"},
            ],
            "note": "请一次补齐",
        },
    )
    assert r.status_code == 200, r.text
    shop = r.json()
    assert shop["state"] == "correction_requested"
    assert [p["key"] for p in shop["notice"]["problems"]] == ["operating_area", "food_safety_rules"]
    told = client.get("/api/v1/notifications", headers=enterprise).json()
    assert any("一次性告知" in n["title"] and "面积与平面图不一致" in n["body"] for n in told)

    # The applicant fixes both and resubmits the same case.
    r = client.patch(
        f"/api/v1/cases/{shop['id']}",
        headers=enterprise,
        json={
            "form": {**{f["key"]: f["value"] for f in shop["fields"]}, "operating_area": "118"},
            "materials": {"food_safety_rules": [upload(client, enterprise, "制度目录.pdf")]},
        },
    )
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/cases/{shop['id']}/submit", headers=enterprise)
    assert r.status_code == 200, r.text
    assert r.json()["number"] == shop["number"]
    assert r.json()["state"] == "submitted"
    changes = client.get(f"/api/v1/window/cases/{shop['id']}/changes", headers=clerk).json()
    assert [c["key"] for c in changes["fields"]] == ["operating_area"]
    assert changes["fields"][0]["before"] == "120"
    assert changes["fields"][0]["after"] == "118"
    assert changes["files_added"] == {"food_safety_rules": ["制度目录.pdf"]}

    for case in (baby, shop):
        r = client.post(f"/api/v1/window/cases/{case['id']}/accept", headers=clerk)
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "accepted"
        assert r.json()["due_on"]

    shop = client.get(f"/api/v1/cases/{shop['id']}", headers=enterprise).json()
    tasks = {t["item_name"]: t for t in shop["tasks"]}
    licence, permit = tasks["企业设立登记"], tasks["食品经营许可（新办）"]
    sign = tasks["户外招牌设施设置"]
    assert licence["state"] == "pending"
    assert permit["state"] == "waiting"
    assert licence["id"] in permit["after"]
    assert sign["state"] == "waiting"

    scjg, wjw, cgj = login_token("scjg"), login_token("wjw"), login_token("cgj")
    # The food permit cannot be claimed before the licence is approved.
    r = client.post(f"/api/v1/tasks/{permit['id']}/claim", headers=scjg)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "invalid_transition"
    # Another department cannot touch the licence.
    r = client.post(f"/api/v1/tasks/{licence['id']}/claim", headers=cgj)
    assert r.status_code == 403

    def decide(headers: Headers, task_id: int) -> dict[str, Any]:
        assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=headers).status_code == 200
        r = client.post(
            f"/api/v1/tasks/{task_id}/approve", headers=headers, json={"opinion": "符合条件，准予"}
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    assert decide(scjg, licence["id"])["result"]["number"].startswith(shop["number"])
    shop = client.get(f"/api/v1/cases/{shop['id']}", headers=enterprise).json()
    started = {t["item_name"]: t["state"] for t in shop["tasks"]}
    assert started["食品经营许可（新办）"] == "pending"
    assert started["户外招牌设施设置"] == "pending"

    inbox = client.get("/api/v1/tasks", headers=cgj).json()
    assert sign["id"] in [e["task"]["id"] for e in inbox]
    assert {e["task"]["department"] for e in inbox} == {sign["department"]}
    # 户外招牌 pauses for a site inspection, then resumes; the others decide meanwhile.
    assert client.post(f"/api/v1/tasks/{sign['id']}/claim", headers=cgj).status_code == 200
    r = client.post(
        f"/api/v1/tasks/{sign['id']}/pause",
        headers=cgj,
        json={
            "kind": "site_inspection",
            "reason": "现场踏勘招牌位置",
            "expected_end": (dt.date.today() + dt.timedelta(days=3)).isoformat(),
        },
    )
    assert r.status_code == 200
    assert r.json()["state"] == "paused"
    decide(scjg, permit["id"])
    decide(wjw, tasks["食品从业人员健康证明"]["id"])
    assert client.post(f"/api/v1/tasks/{sign['id']}/resume", headers=cgj).status_code == 200
    r = client.post(
        f"/api/v1/tasks/{sign['id']}/approve", headers=cgj, json={"opinion": "准予设置"}
    )
    assert r.status_code == 200, r.text

    shop = client.get(f"/api/v1/cases/{shop['id']}", headers=enterprise).json()
    assert shop["state"] == "completed"
    assert all(t["result"] for t in shop["tasks"])

    # The newborn's departments: the 出生医学证明 before the 户口登记, the rest after it.
    baby = client.get(f"/api/v1/cases/{baby['id']}", headers=person).json()
    reviewers = {"卫生健康委员会": wjw, "公安分局": login_token("gaj")}
    reviewers |= {"医疗保障局": login_token("ybj"), "人力资源和社会保障局": login_token("rsj")}
    for _ in range(len(baby["tasks"])):
        pending = [t for t in baby["tasks"] if t["state"] == "pending"]
        if not pending:
            break
        for t in pending:
            headers = next(h for name, h in reviewers.items() if name in t["department"])
            decide(headers, t["id"])
        baby = client.get(f"/api/v1/cases/{baby['id']}", headers=person).json()
    assert baby["state"] == "completed", [(t["item_name"], t["state"]) for t in baby["tasks"]]

    for case in (baby, shop):
        r = client.post(f"/api/v1/window/cases/{case['id']}/deliver", headers=clerk, json={})
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "delivered"

    timeline = client.get(f"/api/v1/cases/{shop['id']}/timeline", headers=enterprise).json()
    steps = [(e["what"], e["who"]) for e in timeline]
    whats = [w for w, _ in steps]
    for expected in (
        "提交申请",
        "一次性告知补正",
        "补正后重新提交",
        "受理",
        "进入特别程序",
        "出件",
    ):
        assert expected in whats, whats
    assert whats.index("一次性告知补正") < whats.index("补正后重新提交") < whats.index("受理")
    assert sum(1 for w in whats if w == "准予") == 4
    assert all(e["at"] and e["who"] for e in timeline)
    assert ("受理", "王芳（window）") in steps


def test_retried_submission_makes_one_case(
    client: TestClient, login_token: Callable[[str], Headers]
) -> None:
    person = login_token(PERSON)
    before = len(client.get("/api/v1/cases", headers=person).json())
    body = {"bundle": "newborn", "answers": NEWBORN_ANSWERS}
    first = client.post("/api/v1/cases", headers={**person, "Idempotency-Key": "k-1"}, json=body)
    again = client.post("/api/v1/cases", headers={**person, "Idempotency-Key": "k-1"}, json=body)
    assert first.status_code == 201
    assert again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert len(client.get("/api/v1/cases", headers=person).json()) == before + 1

    # The submission itself, retried, keeps its one case number.
    submitted = apply_for(client, person, "newborn", NEWBORN_ANSWERS, "k-2")
    retry = client.post(
        f"/api/v1/cases/{submitted['id']}/submit", headers={**person, "Idempotency-Key": "k-2"}
    )
    assert retry.status_code == 200
    assert retry.json()["number"] == submitted["number"]
    assert retry.json()["version"] == submitted["version"]
    assert len(client.get("/api/v1/cases", headers=person).json()) == before + 2


def test_bad_input_is_a_clear_error_and_saves_nothing(
    client: TestClient, login_token: Callable[[str], Headers]
) -> None:
    person = login_token(PERSON)
    r = client.post("/api/v1/cases", headers=person, json={"bundle": "newborn"})
    assert r.status_code == 201, r.text
    case = r.json()
    wrong = {f["key"]: "410103198506123015" for f in case["fields"] if f["type"] == "id_number"}
    assert wrong, "the newborn form asks for an ID number"
    r = client.patch(f"/api/v1/cases/{case['id']}", headers=person, json={"form": wrong})
    assert r.status_code == 200, r.text
    problems = r.json()["pre_review"]["problems"]
    assert any(p["key"] in wrong and "校验码" in p["message"] for p in problems)
    # Nothing answered yet: every situation question is listed, with the wrong ID number.
    keys = {p["key"] for p in problems}
    assert set(NEWBORN_ANSWERS) <= keys
    assert set(wrong) <= keys

    r = client.post(f"/api/v1/cases/{case['id']}/submit", headers=person)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "incomplete_application"
    assert {d["field"] for d in error["details"]} == keys
    assert client.get(f"/api/v1/cases/{case['id']}", headers=person).json()["state"] == "draft"

    files_dir = get_settings().files_dir
    on_disk = sorted(files_dir.rglob("*")) if files_dir.exists() else []

    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200)
    r = client.post(
        "/api/v1/files", headers=person, files={"file": ("报告.pdf", exe, "application/pdf")}
    )
    assert r.status_code == 415
    assert r.json()["error"]["code"] == "file_type_not_allowed"
    big = DEMO_PDF + bytes(30 * 1024 * 1024)
    r = client.post(
        "/api/v1/files", headers=person, files={"file": ("大.pdf", big, "application/pdf")}
    )
    assert r.status_code == 413
    assert "20 MB" in r.json()["error"]["message"]
    assert (sorted(files_dir.rglob("*")) if files_dir.exists() else []) == on_disk

    other = login_token("410103199008151623")
    assert client.get(f"/api/v1/cases/{case['id']}", headers=other).status_code == 404
    assert client.post(f"/api/v1/cases/{case['id']}/submit", headers=other).status_code == 404
