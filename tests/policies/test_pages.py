"""The policy pages: the public list and policy pages, 我能享受哪些政策, the pre-filled
application of a push, and the departments' pages (approve, fulfil, revoke, answer, edit)."""

from __future__ import annotations

import html
import re

import httpx2
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from onething.policies import service as ps
from onething.policies.models import Grant, Policy, PolicyConsultation, PolicyPush
from onething.profiles.models import Profile
from tests.conftest import page_login

ZHANG_WEI = "410103198506123014"  # unemployed: a push for 失业保险金 (P06)
LI_NA = "410103199008151623"
WANG_XIULAN = "410103194003150020"  # 85: 高龄津贴 (P01) granted without applying
ENTERPRISE = "91410103MA9G5K3D2U"  # a push for E03, issued by 二七区人社局 (rsj)


def _as(client: TestClient, login: str) -> None:
    client.cookies.clear()
    page_login(client, login)


def _csrf(client: TestClient) -> str:
    token = client.cookies.get("ot_csrf")
    assert token
    return token


def _post(client: TestClient, url: str, **data: str) -> httpx2.Response:
    return client.post(url, data={**data, "csrf_token": _csrf(client)}, follow_redirects=False)


def _push(db: Session, code: str, subject: str) -> PolicyPush:
    db.expire_all()
    stmt = (
        select(PolicyPush)
        .join(Policy, Policy.id == PolicyPush.policy_id)
        .join(Profile, Profile.id == PolicyPush.profile_id)
        .where(Policy.code == code, Profile.subject_key == subject)
    )
    return db.scalars(stmt).one()


def _section(html: str, start_id: str, end_id: str) -> str:
    """The markup from the element with id `start_id` to the one with id `end_id`."""
    start = html.index(f'id="{start_id}"')
    return html[start : html.index(f'id="{end_id}"', start)]


def _box(html: str, box_id: str) -> str:
    """One <section> of a page, by its id."""
    start = html.index(f'id="{box_id}"')
    return html[start : html.index("</section>", start)]


def _apply(client: TestClient, push_id: int, note: str = "") -> None:
    r = client.post(
        f"/policies/pushes/{push_id}/apply",
        data={"note": note, "csrf_token": _csrf(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/policies/pushes/{push_id}"


# ---------------------------------------------------------------- everyone


def test_anyone_reads_the_list_and_a_policy_in_chinese(client: TestClient) -> None:
    r = client.get("/policies")
    assert r.status_code == 200
    assert "个人政策" in r.text
    assert "企业政策" in r.text
    assert "失业保险金" in r.text
    assert "1600元/月" in r.text
    assert "100～300元/月" in r.text  # 高龄津贴 by its tiers
    assert "二七区民政局" in r.text

    r = client.get("/policies", params={"target": "enterprise", "mode": "auto_grant"})
    assert "失业保险稳岗返还" in r.text
    assert "失业保险金" not in r.text
    assert "小微企业创业担保贷款" not in r.text

    page = client.get("/policies/P01").text
    assert "户籍所在地须在二七区" in page
    assert "年龄须不低于 80周岁" in page
    assert "年龄须不低于 90周岁：<b>200元/月</b>" in page  # the tiers in words
    assert "免申即享" in page
    assert "郑民文〔2016〕28号" in page
    assert "登录</a>后可以向发布部门咨询" in page  # no form for the anonymous

    r = client.get("/policies/mine", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=/policies/mine")
    assert client.get("/policies/NO_SUCH").status_code == 404


# ---------------------------------------------------------------- applicants


def test_an_unemployed_person_finds_his_push_and_applies_once(
    client: TestClient, db: Session
) -> None:
    push = _push(db, "P06", ZHANG_WEI)
    assert push.state == "pushed"
    _as(client, ZHANG_WEI)
    page = client.get("/policies/mine").text
    found = _box(page, "eligible-P06")
    assert "失业保险金" in found
    assert "1600元/月" in found
    assert f'href="/policies/pushes/{push.id}"' in found
    nearly = _section(page, "nearly", "grants")
    assert "城乡最低生活保障" in nearly
    assert "家庭月人均收入须小于 800元/月</b> — 您的为2600元/月" in nearly
    profile = page[page.index('id="profile-values"') :]
    assert "累计缴纳失业保险费" in profile
    assert "演示数据" in profile
    assert "二七区淮河路街道淮南街社区居委会" in profile

    form = client.get(f"/policies/pushes/{push.id}").text
    assert "确认无误，提交申请" in form
    assert "不需要了" in form
    assert re.search(r"累计缴纳失业保险费</th><td>62个月", form)
    assert "1600元/月" in form

    _apply(client, push.id, note="请发到我的社保卡")
    after = client.get(f"/policies/pushes/{push.id}").text
    assert "申请已提交" in after  # the message carried over the redirect
    assert 'id="push-state">已申请，待审核' in after
    assert "确认无误，提交申请" not in after
    assert "请发到我的社保卡" in after
    push = _push(db, "P06", ZHANG_WEI)
    assert push.state == "applied"
    first_applied = push.applied_at

    _apply(client, push.id)  # a second click on the same page
    push = _push(db, "P06", ZHANG_WEI)
    assert (push.state, push.applied_at) == ("applied", first_applied)
    assert push.application["note"] == "请发到我的社保卡"
    assert 'id="flash"' in client.get(f"/policies/pushes/{push.id}").text
    assert 'id="flash"' not in client.get(f"/policies/pushes/{push.id}").text  # shown once


def test_nobody_else_opens_or_submits_a_persons_push(client: TestClient, db: Session) -> None:
    push = _push(db, "P06", ZHANG_WEI)
    _as(client, LI_NA)
    assert client.get(f"/policies/pushes/{push.id}").status_code == 403
    r = _post(client, f"/policies/pushes/{push.id}/apply")
    assert r.status_code == 403
    assert _push(db, "P06", ZHANG_WEI).state == "pushed"
    _as(client, "admin")
    assert client.get(f"/policies/pushes/{push.id}").status_code == 403


def test_dismissing_a_push_is_recorded_and_cannot_be_applied_afterwards(
    client: TestClient, db: Session
) -> None:
    push = _push(db, "P09", LI_NA)
    _as(client, LI_NA)
    r = _post(client, f"/policies/pushes/{push.id}/dismiss")
    assert r.status_code == 303
    assert _push(db, "P09", LI_NA).state == "dismissed"
    r = client.post(f"/policies/pushes/{push.id}/apply", data={"csrf_token": _csrf(client)})
    assert r.status_code == 409
    assert 'id="page-error"' in r.text
    assert _push(db, "P09", LI_NA).state == "dismissed"


def test_an_old_woman_sees_her_allowance_granted_without_applying(client: TestClient) -> None:
    _as(client, WANG_XIULAN)
    page = client.get("/policies/mine").text
    found = _box(page, "eligible-P01")
    assert "已为您认定，无需申请" in found
    assert "已认定，待兑现" in found
    grants = _section(page, "grant-list", "pushes")
    assert "高龄津贴" in grants
    assert "100元/月" in grants
    assert "2026年" in grants


def test_me_page_links_applicants_to_their_policies(client: TestClient) -> None:
    _as(client, ZHANG_WEI)
    assert 'href="/policies/mine"' in client.get("/me").text
    _as(client, "window")
    assert 'href="/policies/mine"' not in client.get("/me").text
    assert client.get("/policies/mine").status_code == 403


# ---------------------------------------------------------------- departments


def test_the_issuing_department_approves_then_fulfils_or_revokes(
    client: TestClient, db: Session
) -> None:
    push = _push(db, "E03", ENTERPRISE)
    _as(client, ENTERPRISE)
    _apply(client, push.id)

    _as(client, "rsj")
    overview = client.get("/admin/policies").text
    assert "/admin/policies/E03" in overview
    assert "/admin/policies/P22" not in overview  # a 郑州市 policy: not 二七区 rsj's
    assert client.get("/admin/policies/P22").status_code == 403
    page = client.get("/admin/policies/E03").text
    pending = _section(page, "pending-list", "grants")
    assert "郑州二七味道餐饮管理有限公司" in pending
    assert "审核通过" in pending

    r = _post(client, f"/admin/policies/E03/pushes/{push.id}/approve")
    assert r.status_code == 303
    assert _push(db, "E03", ENTERPRISE).state == "approved"
    grant = db.scalars(select(Grant).where(Grant.push_id == push.id)).one()
    assert grant.state == "granted"
    assert "已审核通过" in client.get("/admin/policies/E03").text

    url = f"/admin/policies/E03/grants/{grant.id}"
    r = client.post(f"{url}/fulfil", data={"payment_reference": "  ", "csrf_token": _csrf(client)})
    assert r.status_code == 422
    row = _section(r.text, f"grant-{grant.id}", f"revoke-{grant.id}")
    assert "请填写支付凭证号或发放批次号" in row  # next to its form
    db.expire_all()
    assert db.get(Grant, grant.id).state == "granted"  # type: ignore[union-attr]

    r = _post(client, f"{url}/fulfil", payment_reference="ZF20261201-0007")
    assert r.status_code == 303
    db.expire_all()
    paid = db.get(Grant, grant.id)
    assert paid is not None
    assert (paid.state, paid.payment_reference) == ("fulfilled", "ZF20261201-0007")

    r = client.post(
        f"{url}/revoke", data={"reason": "", "grants": "fulfilled", "csrf_token": _csrf(client)}
    )
    assert r.status_code == 422
    assert "请写明撤销原因" in _section(r.text, f"revoke-{grant.id}", "consultations")
    db.expire_all()
    assert db.get(Grant, grant.id).state == "fulfilled"  # type: ignore[union-attr]
    r = _post(client, f"{url}/revoke", reason="重复享受", grants="fulfilled")
    assert r.status_code == 303
    db.expire_all()
    revoked = db.get(Grant, grant.id)
    assert revoked is not None
    assert (revoked.state, revoked.reason) == ("revoked", "重复享受")

    _as(client, ENTERPRISE)
    mine = client.get("/policies/mine").text
    assert "已撤销" in _section(mine, "grant-list", "pushes")
    assert "重复享受" in mine


def test_a_department_rejects_with_a_reason(client: TestClient, db: Session) -> None:
    push = _push(db, "E03", ENTERPRISE)
    _as(client, ENTERPRISE)
    _apply(client, push.id)
    _as(client, "rsj")
    r = client.post(
        f"/admin/policies/E03/pushes/{push.id}/reject",
        data={"reason": " ", "csrf_token": _csrf(client)},
    )
    assert r.status_code == 422
    assert "请写明不通过的原因" in r.text
    assert _push(db, "E03", ENTERPRISE).state == "applied"
    r = _post(client, f"/admin/policies/E03/pushes/{push.id}/reject", reason="未缴满当季社保")
    assert r.status_code == 303
    assert _push(db, "E03", ENTERPRISE).state == "rejected"
    _as(client, ENTERPRISE)
    assert "未缴满当季社保" in client.get(f"/policies/pushes/{push.id}").text


def test_a_question_is_answered_on_the_policy_page(client: TestClient, db: Session) -> None:
    _as(client, ZHANG_WEI)
    r = client.post("/policies/P06/consult", data={"question": "几号", "csrf_token": _csrf(client)})
    assert r.status_code == 422
    assert "请把问题写完整" in r.text
    assert ">几号</textarea>" in r.text
    question = "失业保险金每月几号发到社保卡？"
    r = _post(client, "/policies/P06/consult", question=question)
    assert r.status_code == 303
    page = client.get("/policies/P06").text
    assert question in page
    assert "尚未答复" in page
    assert "您的咨询已提交" in page
    db.expire_all()
    row = db.scalars(
        select(PolicyConsultation).where(PolicyConsultation.question == question)
    ).one()

    _as(client, LI_NA)
    assert question not in client.get("/policies/P06").text  # only the asker sees it

    _as(client, "admin")
    admin_page = client.get("/admin/policies/P06").text
    assert question in admin_page
    url = f"/admin/policies/P06/consultations/{row.id}/answer"
    r = client.post(url, data={"answer": "", "csrf_token": _csrf(client)})
    assert r.status_code == 422
    assert "请填写答复内容" in r.text
    r = _post(client, url, answer="每月15日前发放到社保卡。")
    assert r.status_code == 303

    _as(client, ZHANG_WEI)
    page = client.get("/policies/P06").text
    assert "每月15日前发放到社保卡。" in page
    assert "尚未答复" not in page


def test_admin_edits_a_policy_as_yaml(client: TestClient, db: Session) -> None:
    policy = ps.load_policy(db, "P29")
    version = policy.version
    doc = ps.dump_doc(ps.policy_doc(policy))
    _as(client, "admin")
    page = client.get("/admin/policies/P29").text
    assert 'name="policy_yaml"' in page
    assert "how_to_apply:" in page

    bad = {**doc, "conditions": {"and": [doc["conditions"], {"==": [{"var": "pet_count"}, 2]}]}}
    text = yaml.safe_dump(bad, allow_unicode=True, sort_keys=False)
    r = client.post(
        "/admin/policies/P29/edit", data={"policy_yaml": text, "csrf_token": _csrf(client)}
    )
    assert r.status_code == 422
    errors = _section(r.text, "editor-errors", "policy_yaml")
    assert "没有保存" in errors
    assert "条件 {&#34;var&#34;: &#34;pet_count&#34;}：未知属性“pet_count”" in errors
    assert "pet_count" in r.text[r.text.index('<textarea id="policy_yaml"') :]  # text kept
    db.expire_all()
    assert ps.load_policy(db, "P29").version == version

    r = client.post(
        "/admin/policies/P29/edit",
        data={"policy_yaml": "code: P29\nname: [", "csrf_token": _csrf(client)},
    )
    assert r.status_code == 422
    assert "YAML 格式有误" in r.text
    r = client.post(
        "/admin/policies/P29/edit",
        data={"policy_yaml": "code: P29\nname: 缺了很多字段\n", "csrf_token": _csrf(client)},
    )
    assert r.status_code == 422
    assert "legal_basis：必须填写" in r.text

    good = {**doc, "summary": doc["summary"] + "（2027年起标准另行公布。）"}
    text = yaml.safe_dump(good, allow_unicode=True, sort_keys=False)
    r = _post(client, "/admin/policies/P29/edit", policy_yaml=text)
    assert r.status_code == 303
    db.expire_all()
    assert ps.load_policy(db, "P29").version == version + 1
    page = client.get("/admin/policies/P29").text
    assert f"已保存为第 {version + 1} 版" in page
    history = _section(page, "versions", "editor")
    assert f"第 {version + 1} 版（现行）" in history
    assert f"第 {version} 版</td>" in history
    assert "2027年起标准另行公布" in client.get("/policies/P29").text

    _as(client, "rsj")
    r = _post(client, "/admin/policies/P29/edit", policy_yaml=text)
    assert r.status_code == 403


def test_admin_retires_a_policy_and_saving_it_again_restores_it(
    client: TestClient, db: Session
) -> None:
    _as(client, "admin")
    assert _post(client, "/admin/policies/P29/retire").status_code == 303
    db.expire_all()
    assert ps.load_policy(db, "P29").retired
    assert "/policies/P29" not in client.get("/policies").text
    assert "仅供查阅" in client.get("/policies/P29").text
    assert "已停止执行" in client.get("/admin/policies").text  # still listed for staff
    page = client.get("/admin/policies/P29").text
    assert "停止执行本政策" not in page
    text = page[page.index('<textarea id="policy_yaml"') :]
    text = html.unescape(text[text.index(">") + 1 : text.index("</textarea>")])
    assert _post(client, "/admin/policies/P29/edit", policy_yaml=text).status_code == 303
    db.expire_all()
    assert not ps.load_policy(db, "P29").retired


def test_a_supervisor_sees_the_figures_but_decides_nothing(client: TestClient, db: Session) -> None:
    push = _push(db, "P06", ZHANG_WEI)
    _as(client, ZHANG_WEI)
    _apply(client, push.id)

    _as(client, "supervisor")
    overview = client.get("/admin/policies")
    assert overview.status_code == 200
    for heading in ("符合", "推送", "申请", "认定", "兑现", "咨询/答复", "线上推送率"):
        assert f"<th>{heading}</th>" in overview.text
    assert "网上可办率" in overview.text
    assert "兑现落实率" in overview.text
    assert 'id="totals"><th>合计</th>' in overview.text
    assert re.search(r"\d+\.\d%", overview.text)
    assert "立即比对全部政策" not in overview.text

    page = client.get("/admin/policies/P06").text
    assert "张伟" in page
    assert ">审核通过</button>" not in page
    r = _post(client, f"/admin/policies/P06/pushes/{push.id}/approve")
    assert r.status_code == 403
    assert _push(db, "P06", ZHANG_WEI).state == "applied"
    assert _post(client, "/admin/policies/run").status_code == 403


def test_admin_runs_the_matching_and_sees_what_it_did(client: TestClient) -> None:
    _as(client, "admin")
    r = _post(client, "/admin/policies/run")
    assert r.status_code == 303
    page = client.get("/admin/policies").text
    found = re.search(r"比对完成：(\d+) 个画像 × (\d+) 项政策.*?新认定 (\d+) 笔", page)
    assert found, page
    assert int(found.group(1)) > 1000
    assert int(found.group(2)) > 40
    assert found.group(3) == "0"  # the demo run made them already: nothing twice
