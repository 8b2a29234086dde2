"""The case pages: apply, the one form and material list, the window, departments, files."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from onething.cases.models import Case, ItemTask
from tests.conftest import csrf_of, page_login

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
PERSON, OTHER_PERSON = "410103198506123014", "410103199008151623"
NEWBORN_ANSWERS = {
    "maternity_insurance": "no",
    "parents_marriage": "married",
    "applicant_role": "parent",
}
NEWBORN_FORM = {
    "child_name": "张小明",
    "child_sex": "男",
    "child_birth_date": "2026-01-05",
    "birth_place": "河南省郑州市二七区",
    "delivery_institution": "郑州市第二人民医院",
    "birth_weight": "3200",
    "gestational_weeks": "39",
    "mother_name": "李娜",
    "mother_id_number": OTHER_PERSON,
    "father_name": "张伟",
    "father_id_number": PERSON,
    "applicant_phone": "13800000000",
    "applicant_address": "郑州市二七区大学路80号",
    "child_ethnicity": "汉族",
    "settle_with": "随父落户",
    "household_head_name": "张伟",
    "relation_to_household_head": "子",
    "applicant_name": "张伟",
    "applicant_id_number": PERSON,
    "cardholder_name": "张小明",
    "cardholder_id_number": OTHER_PERSON,
    "card_bank": "中国银行",
    "card_receive_method": "网点预约领取",
}


def _csrf(client: TestClient) -> str:
    token = client.cookies.get("ot_csrf")
    assert token
    return token


def _start(client: TestClient, bundle: str, answers: dict[str, str]) -> int:
    data = {f"answer.{k}": v for k, v in answers.items()}
    r = client.post(
        f"/apply/{bundle}", data={**data, "csrf_token": _csrf(client)}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    found = re.fullmatch(r"/my/cases/(\d+)/edit", r.headers["location"])
    assert found
    return int(found.group(1))


def _edit(
    client: TestClient,
    case_id: int,
    values: dict[str, str],
    action: str = "save",
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
    extra: dict[str, str] | None = None,
) -> Any:
    data = {f"field.{k}": v for k, v in values.items()}
    data.update(action=action, csrf_token=_csrf(client), **(extra or {}))
    return client.post(
        f"/my/cases/{case_id}/edit", data=data, files=files or [], follow_redirects=False
    )


def _field_block(html: str, key: str) -> str:
    """The markup of one field of the merged form, from its label to the next field."""
    start = html.index(f'for="f-{key}"')
    end = re.compile(r'<div class="field[ "]').search(html, start)
    return html[start : end.start() if end else None]


def _ready_newborn(client: TestClient) -> int:
    """A newborn case with every field filled and the photo given, still a draft."""
    page_login(client, PERSON)
    case_id = _start(client, "newborn", NEWBORN_ANSWERS)
    photo = [("file.photo", ("照片.pdf", PDF, "application/pdf"))]
    assert _edit(client, case_id, NEWBORN_FORM, files=photo).status_code == 303
    return case_id


def _submitted_newborn(client: TestClient) -> int:
    case_id = _ready_newborn(client)
    r = _edit(client, case_id, NEWBORN_FORM, action="submit")
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/my/cases/{case_id}"
    return case_id


def _as(client: TestClient, login: str) -> None:
    client.cookies.clear()
    page_login(client, login)


def _version(html: str, action: str) -> str:
    found = re.search(rf'action="[^"]*/{action}".*?name="version" value="(\d+)"', html, re.S)
    assert found, action
    return found.group(1)


def test_bundle_guide_links_to_the_online_application(client: TestClient) -> None:
    r = client.get("/bundles/newborn")
    assert 'href="/apply/newborn"' in r.text
    assert "在线申请" in r.text
    r = client.get("/apply/newborn", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=/apply/newborn")


def test_apply_needs_every_situation_answered(client: TestClient, db: Session) -> None:
    page_login(client, PERSON)
    page = client.get("/apply/newborn")
    assert "新生儿母亲是否在本市参加职工基本医疗保险" in page.text
    assert 'type="radio" name="answer.parents_marriage"' in page.text
    r = client.post(
        "/apply/newborn",
        data={"answer.parents_marriage": "married", "csrf_token": _csrf(client)},
    )
    assert r.status_code == 422
    assert "还有 2 个问题没有回答" in r.text
    assert 'value="married" checked' in r.text


def test_a_double_click_on_start_makes_one_draft(client: TestClient) -> None:
    page_login(client, PERSON)
    data = {f"answer.{k}": v for k, v in NEWBORN_ANSWERS.items()}
    data.update(csrf_token=_csrf(client), token="same-page-view")
    first = client.post("/apply/newborn", data=data, follow_redirects=False)
    second = client.post("/apply/newborn", data=data, follow_redirects=False)
    assert first.headers["location"] == second.headers["location"]


def test_a_person_cannot_start_an_enterprise_bundle(client: TestClient) -> None:
    page_login(client, PERSON)
    r = client.get("/apply/food_business")
    assert "请使用企业账号" in r.text
    assert 'action="/apply/food_business"' not in r.text


def test_a_wrong_id_number_is_shown_beside_its_field_and_nothing_typed_is_lost(
    client: TestClient, db: Session
) -> None:
    page_login(client, PERSON)
    case_id = _start(client, "newborn", NEWBORN_ANSWERS)
    page = client.get(f"/my/cases/{case_id}/edit").text
    assert 'name="field.applicant_name"' in page
    assert 'value="张伟"' in _field_block(page, "applicant_name"), "pre-filled from the account"
    assert 'type="date"' in _field_block(page, "child_birth_date")
    assert "<select" in _field_block(page, "child_sex")
    assert "必填项未填写" not in page, "no nagging before the first attempt to submit"

    typed = {"child_name": "张小明", "mother_id_number": "410103198506123015"}
    r = _edit(client, case_id, typed)
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "公民身份号码校验码不正确" in _field_block(page, "mother_id_number")
    assert 'value="410103198506123015"' in _field_block(page, "mother_id_number")
    assert 'value="张小明"' in _field_block(page, "child_name")

    r = _edit(client, case_id, typed, action="submit")
    assert r.status_code == 422
    assert "申请还有" in r.text
    assert "公民身份号码校验码不正确" in _field_block(r.text, "mother_id_number")
    assert "必填项未填写" in _field_block(r.text, "father_name")
    assert 'value="张小明"' in _field_block(r.text, "child_name")
    case = db.get(Case, case_id)
    assert case is not None
    assert case.state == "draft"
    assert case.form["child_name"] == "张小明", "the failed submit kept the saved draft"


def test_an_incomplete_postal_address_keeps_what_was_typed(client: TestClient) -> None:
    page_login(client, PERSON)
    case_id = _start(client, "newborn", NEWBORN_ANSWERS)
    r = _edit(
        client,
        case_id,
        {"child_name": "张小明"},
        extra={"delivery.method": "post", "delivery.recipient": "张伟"},
    )
    assert r.status_code == 422
    assert "邮寄送达请填写收件电话" in r.text
    assert 'value="张小明"' in _field_block(r.text, "child_name")
    assert 'value="张伟"' in r.text[r.text.index('id="d-recipient"') :][:200]


def test_uploads_accept_a_pdf_and_refuse_a_renamed_executable(client: TestClient) -> None:
    page_login(client, PERSON)
    case_id = _start(client, "newborn", NEWBORN_ANSWERS)
    token = _csrf(client)
    r = client.post(
        f"/my/cases/{case_id}/materials/photo",
        data={"csrf_token": token},
        files={"file": ("证件照.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(f"/my/cases/{case_id}/edit").text
    assert "证件照.pdf" in page
    assert re.search(rf'href="/files/{case_id}/[0-9a-f]{{32}}"', page)

    r = client.post(
        f"/my/cases/{case_id}/materials/photo",
        data={"csrf_token": token},
        files={"file": ("setup.pdf", EXE, "application/pdf")},
    )
    assert r.status_code == 415
    assert "setup.pdf：文件内容不是 PDF、JPG、PNG 格式" in r.text

    r = _edit(
        client,
        case_id,
        {"child_name": "张小明"},
        files=[("file.photo", ("setup.pdf", EXE, "application/pdf"))],
    )
    assert r.status_code == 422, "the one form reports the file beside its material"
    assert "文件内容不是 PDF、JPG、PNG 格式" in r.text
    assert 'value="张小明"' in _field_block(r.text, "child_name")

    row = re.search(r'name="remove" value="(\d+)"', page)
    assert row
    r = _edit(client, case_id, {"child_name": "张小明"}, extra={"remove": row.group(1)})
    assert r.status_code == 303
    assert "证件照.pdf" not in client.get(f"/my/cases/{case_id}/edit").text


def test_submit_then_my_cases_detail_and_messages(client: TestClient) -> None:
    case_id = _submitted_newborn(client)
    again = _edit(client, case_id, NEWBORN_FORM, action="submit", extra={"round": "0"})
    assert again.status_code == 303, "a second click on 提交申请 lands on the case"
    assert again.headers["location"] == f"/my/cases/{case_id}"

    listing = client.get("/my/cases").text
    assert "新生儿出生一件事" in listing
    assert "待受理" in listing
    detail = client.get(f"/my/cases/{case_id}").text
    assert re.search(r"410103\d{8}\d{6}", detail), "the case number"
    assert "提交申请" in detail, "the timeline"
    assert "撤回申请" in detail

    messages = client.get("/messages").text
    assert "申请已提交" in messages
    assert 'class="badge"' in messages
    r = client.post("/messages/read", data={"csrf_token": _csrf(client)}, follow_redirects=False)
    assert r.status_code == 303
    assert 'class="badge"' not in client.get("/messages").text


def test_window_queue_correction_and_accept(client: TestClient, db: Session) -> None:
    case_id = _submitted_newborn(client)
    _as(client, "window")
    queue = client.get("/window").text
    assert f'href="/window/cases/{case_id}"' in queue
    page = client.get(f"/window/cases/{case_id}").text
    assert "预审通过" in page
    assert "张小明" in page
    assert 'name="pick" value="field:child_name"' in page

    r = client.post(
        f"/window/cases/{case_id}/correction",
        data={
            "csrf_token": _csrf(client),
            "version": _version(page, "correction"),
            "pick": ["field:child_name", "material:photo"],
            "msg.field:child_name": "姓名应与出生医学证明一致",
            "msg.material:photo": "",
            "note": "请三日内补正",
        },
    )
    assert r.status_code == 422, "a ticked row needs its requirement"
    assert "请写明问题和补正要求" in r.text
    assert 'value="姓名应与出生医学证明一致"' in r.text, "what the clerk typed is kept"

    r = client.post(
        f"/window/cases/{case_id}/correction",
        data={
            "csrf_token": _csrf(client),
            "version": _version(page, "correction"),
            "pick": ["field:child_name"],
            "msg.field:child_name": "姓名应与出生医学证明一致",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert (
        f'href="/window/cases/{case_id}"' in client.get("/window?state=correction_requested").text
    )

    _as(client, PERSON)
    page = client.get(f"/my/cases/{case_id}/edit").text
    assert "请按以下要求补正" in page
    assert "窗口要求：姓名应与出生医学证明一致" in _field_block(page, "child_name")
    fixed = {**NEWBORN_FORM, "child_name": "张晓明"}
    assert _edit(client, case_id, fixed, action="submit").status_code == 303

    _as(client, "window")
    page = client.get(f"/window/cases/{case_id}").text
    assert "本次补正修改了什么" in page
    assert "张晓明" in page
    r = client.post(
        f"/window/cases/{case_id}/accept",
        data={"csrf_token": _csrf(client), "version": _version(page, "accept")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    stale = client.post(
        f"/window/cases/{case_id}/refuse",
        data={
            "csrf_token": _csrf(client),
            "version": _version(page, "refuse"),
            "reason": "材料虚假不予受理",
        },
    )
    assert stale.status_code == 409
    assert "刚刚已被他人处理" in stale.text
    db.expire_all()
    case = db.get(Case, case_id)
    assert case is not None
    assert case.state == "accepted"
    assert len(case.tasks) == 5


def _accepted_newborn(client: TestClient) -> int:
    case_id = _submitted_newborn(client)
    _as(client, "window")
    page = client.get(f"/window/cases/{case_id}").text
    r = client.post(
        f"/window/cases/{case_id}/accept",
        data={"csrf_token": _csrf(client), "version": _version(page, "accept")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    return case_id


def _task(db: Session, case_id: int, department_code: str) -> ItemTask:
    db.expire_all()
    case = db.get(Case, case_id)
    assert case is not None
    return next(t for t in case.tasks if t.department.code == department_code and not t.after)


def test_department_inbox_claim_and_approve(client: TestClient, db: Session) -> None:
    case_id = _accepted_newborn(client)
    task = _task(db, case_id, "wjw")
    _as(client, "wjw")
    inbox = client.get("/dept/tasks").text
    assert f'href="/dept/tasks/{task.id}"' in inbox
    assert "正常" in inbox
    page = client.get(f"/dept/tasks/{task.id}").text
    assert "张小明" in page, "the case's form, read-only"
    assert "等待前置事项" in page, "other tasks wait for this one"
    r = client.post(
        f"/dept/tasks/{task.id}/claim",
        data={"csrf_token": _csrf(client), "version": _version(page, "claim")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(f"/dept/tasks/{task.id}").text
    r = client.post(
        f"/dept/tasks/{task.id}/approve",
        data={"csrf_token": _csrf(client), "version": _version(page, "approve"), "opinion": ""},
    )
    assert r.status_code == 422
    assert "请填写审批意见" in r.text
    r = client.post(
        f"/dept/tasks/{task.id}/approve",
        data={
            "csrf_token": _csrf(client),
            "version": _version(page, "approve"),
            "opinion": "符合条件，准予",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    db.expire_all()
    decided = db.get(ItemTask, task.id)
    assert decided is not None
    assert decided.state == "approved"
    assert decided.opinion == "符合条件，准予"
    assert (
        f'action="/dept/tasks/{task.id}/approve"' not in client.get(f"/dept/tasks/{task.id}").text
    )


def test_another_departments_reviewer_cannot_act_on_a_task(client: TestClient, db: Session) -> None:
    case_id = _accepted_newborn(client)
    task = _task(db, case_id, "wjw")
    data = {"csrf_token": "", "version": str(task.version)}
    _as(client, "gaj")  # reviews another item of the same case: may read, may not act
    data["csrf_token"] = _csrf(client)
    assert client.post(f"/dept/tasks/{task.id}/claim", data=data).status_code == 403
    _as(client, "scjg")  # has nothing to do with this case
    data["csrf_token"] = _csrf(client)
    assert client.post(f"/dept/tasks/{task.id}/claim", data=data).status_code == 404
    assert client.get(f"/dept/tasks/{task.id}").status_code == 404
    db.expire_all()
    assert db.get(ItemTask, task.id).state == "pending"  # type: ignore[union-attr]


def test_material_files_are_served_only_to_those_who_may_see_the_case(
    client: TestClient,
) -> None:
    case_id = _submitted_newborn(client)
    page = client.get(f"/my/cases/{case_id}").text
    link = re.search(rf'href="(/files/{case_id}/[0-9a-f]{{32}})"', page)
    assert link
    r = client.get(link.group(1))
    assert r.status_code == 200
    assert r.content == PDF
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E7%85%A7%E7%89%87.pdf" in r.headers["content-disposition"]

    _as(client, "window")
    assert client.get(link.group(1)).status_code == 200
    _as(client, OTHER_PERSON)
    assert client.get(link.group(1)).status_code == 404
    assert client.get(f"/my/cases/{case_id}").status_code == 404
    client.cookies.clear()
    assert client.get(link.group(1), follow_redirects=False).status_code == 303


def test_withdraw_from_the_case_page(client: TestClient) -> None:
    case_id = _submitted_newborn(client)
    r = client.post(
        f"/my/cases/{case_id}/withdraw",
        data={"csrf_token": _csrf(client), "reason": "信息填错，重新申请"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(f"/my/cases/{case_id}").text
    assert "已撤回" in page
    assert "信息填错，重新申请" in page
    assert f'action="/my/cases/{case_id}/withdraw"' not in page


@pytest.mark.parametrize(
    ("login", "path", "status"),
    [
        (PERSON, "/window", 403),
        (PERSON, "/dept/tasks", 403),
        (PERSON, "/supervision", 403),
        ("window", "/my/cases", 403),
        ("window", "/dept/tasks", 403),
        ("supervisor", "/supervision", 200),
        ("scjg", "/dept/tasks?state=done", 200),
        ("window", "/window?state=completed", 200),
    ],
)
def test_pages_by_role(client: TestClient, login: str, path: str, status: int) -> None:
    page_login(client, login)
    assert client.get(path).status_code == status


def test_navigation_follows_the_roles(client: TestClient) -> None:
    page_login(client, PERSON)
    home = client.get("/").text
    assert 'href="/my/cases"' in home
    assert 'href="/window"' not in home
    _as(client, "window")
    home = client.get("/").text
    assert 'href="/window"' in home
    assert 'href="/my/cases"' not in home
    _as(client, "scjg")
    assert 'href="/dept/tasks"' in client.get("/").text
    _as(client, "supervisor")
    assert 'href="/supervision"' in client.get("/").text


def test_case_posts_need_the_csrf_token(client: TestClient) -> None:
    page_login(client, PERSON)
    csrf_of(client)
    r = client.post("/apply/newborn", data={f"answer.{k}": v for k, v in NEWBORN_ANSWERS.items()})
    assert r.status_code == 403
