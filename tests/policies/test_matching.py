"""Matching on the database: grants and pushes exactly once however often the engine runs,
outcomes that follow profile and policy changes, whole-or-nothing import, versions, the
departments' handling and the per-policy metrics. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onething.accounts.models import User
from onething.accounts.service import actor_of
from onething.core.audit import SYSTEM, AuditEvent
from onething.core.errors import DomainError
from onething.core.notify import Notification
from onething.policies import matching, outcomes
from onething.policies import service as ps
from onething.policies.models import Grant, PolicyMatch, PolicyPush, PolicyVersion
from onething.policies.states import GrantState, PushState
from onething.profiles import service as profiles
from onething.profiles.attributes import ProfileKind
from onething.profiles.models import Profile

TODAY = dt.date(2026, 12, 1)
ELDER = "410103194003150020"
UNEMPLOYED = "410103198506123014"
FIRM = "91410103MA9G5K3D2U"


def user(db: Session, login: str) -> User:
    found = db.scalar(select(User).where(func.lower(User.login) == login.lower()))
    assert found is not None
    return found


def profile_of(db: Session, key: str) -> Profile:
    found = db.scalar(select(Profile).where(Profile.subject_key == key))
    assert found is not None
    return found


def count(db: Session, model: type[object], *where: object) -> int:
    return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def new_elder(db: Session, key: str = "410103194501010012", **values: object) -> Profile:
    return profiles.create_profile(
        db,
        SYSTEM,
        ProfileKind.person,
        key,
        "测试老人",
        {
            "hukou_region": "410103001001",
            "residence_region": "410103001001",
            "resident_pension_insured": True,
            **values,
        },
        "民政局",
    )


def test_running_the_engine_again_creates_no_duplicate(db: Session) -> None:
    grants, pushes = count(db, Grant), count(db, PolicyPush)
    assert grants > 0, "the demo run made grants"
    assert pushes > 0, "the demo run made pushes"
    for _ in range(2):
        report = matching.run_all(db, SYSTEM, TODAY)
        assert report.grants == 0
        assert report.pushes == 0
        assert report.newly_eligible == 0
        assert report.no_longer_eligible == 0
    assert count(db, Grant) == grants
    assert count(db, PolicyPush) == pushes
    dupes = db.execute(
        select(Grant.policy_id, Grant.profile_id, Grant.period, func.count())
        .group_by(Grant.policy_id, Grant.profile_id, Grant.period)
        .having(func.count() > 1)
    ).all()
    assert dupes == []


def test_a_new_period_brings_one_new_grant_each(db: Session) -> None:
    p01 = ps.load_policy(db, "P01")
    december = count(db, Grant, Grant.policy_id == p01.id, Grant.period == "2026-12")
    matching.run_all(db, SYSTEM, dt.date(2027, 1, 4))
    matching.run_all(db, SYSTEM, dt.date(2027, 1, 5))
    eligible = count(
        db, PolicyMatch, PolicyMatch.policy_id == p01.id, PolicyMatch.eligible.is_(True)
    )
    assert count(db, Grant, Grant.policy_id == p01.id, Grant.period == "2027-01") == eligible
    assert count(db, Grant, Grant.policy_id == p01.id, Grant.period == "2026-12") == december
    assert eligible >= december > 0


def test_a_profile_that_qualifies_is_granted_at_once_with_its_tier(db: Session) -> None:
    elder = new_elder(db)  # born 1945: 81 today
    grant = db.scalar(select(Grant).where(Grant.profile_id == elder.id))
    assert grant is not None
    assert grant.policy.code == "P01"
    assert grant.state == GrantState.granted
    assert grant.amount == Decimal("100")
    older = new_elder(db, "410103192601010010")  # 100 years old: the highest tier
    top = db.scalar(select(Grant).where(Grant.profile_id == older.id))
    assert top is not None
    assert top.amount == Decimal("300")
    tags = db.scalars(
        select(AuditEvent.tag).where(
            AuditEvent.subject_type == "grant", AuditEvent.subject_id == str(grant.id)
        )
    ).all()
    assert "policies:grant:granted" in tags


def test_moving_away_ends_eligibility_and_withdraws_an_open_push(db: Session) -> None:
    person = profile_of(db, UNEMPLOYED)
    push = db.scalar(
        select(PolicyPush).where(
            PolicyPush.profile_id == person.id, PolicyPush.state == PushState.pushed
        )
    )
    assert push is not None, "张伟 was pushed 失业保险金"
    profiles.set_values(db, SYSTEM, person, {"residence_region": "310101"}, "公安分局（居住登记）")
    db.refresh(push)
    assert push.state == PushState.withdrawn
    row = db.scalar(
        select(PolicyMatch).where(
            PolicyMatch.policy_id == push.policy_id, PolicyMatch.profile_id == person.id
        )
    )
    assert row is not None
    assert row.eligible is False
    assert person.sources["residence_region"]["source"] == "公安分局（居住登记）"


def test_a_changed_policy_is_versioned_and_matched_again(db: Session) -> None:
    policy = ps.load_policy(db, "P01")
    original = policy.conditions
    eligible_before = count(
        db, PolicyMatch, PolicyMatch.policy_id == policy.id, PolicyMatch.eligible.is_(True)
    )
    doc = ps.policy_doc(policy).model_copy(
        update={"conditions": {"and": [policy.conditions, {">=": [{"var": "age"}, 90]}]}}
    )
    saved, outcome = ps.save_policy(db, SYSTEM, doc)
    assert outcome == "updated"
    assert saved.version == 2
    old = db.scalar(select(PolicyVersion).where(PolicyVersion.policy_id == policy.id))
    assert old is not None
    assert old.version == 1
    assert old.doc["conditions"] == original
    assert saved.conditions["and"][0] == original
    eligible_after = count(
        db, PolicyMatch, PolicyMatch.policy_id == policy.id, PolicyMatch.eligible.is_(True)
    )
    assert eligible_after < eligible_before
    assert ps.save_policy(db, SYSTEM, doc)[1] == "unchanged"


def test_retiring_a_policy_ends_every_match(db: Session) -> None:
    policy = ps.load_policy(db, "P06")
    ps.retire_policy(db, SYSTEM, policy)
    assert (
        count(db, PolicyMatch, PolicyMatch.policy_id == policy.id, PolicyMatch.eligible.is_(True))
        == 0
    )
    assert (
        count(
            db, PolicyPush, PolicyPush.policy_id == policy.id, PolicyPush.state == PushState.pushed
        )
        == 0
    )


def test_import_is_all_or_nothing_and_names_the_bad_condition(db: Session, tmp_path: Path) -> None:
    good = ps.dump_doc(ps.policy_doc(ps.load_policy(db, "P01")))
    good = {**good, "code": "X01", "name": "新政策"}
    bad = {**good, "code": "X02", "conditions": {">=": [{"var": "agee"}, 80]}}
    (tmp_path / "p.yaml").write_text(
        yaml.safe_dump({"policies": [good, bad]}, allow_unicode=True), encoding="utf-8"
    )
    with pytest.raises(DomainError) as exc:
        ps.import_policies(db, SYSTEM, tmp_path)
    assert any(
        "agee" in d.message and "policies[1]" in (d.location or "") for d in exc.value.details
    )
    assert ps.get_policy(db, "X01") is None


def test_export_import_export_is_identical(db: Session, tmp_path: Path) -> None:
    first = ps.export_policies(db, tmp_path / "a")
    report = ps.import_policies(db, SYSTEM, tmp_path / "a")
    assert report.created == []
    assert report.updated == []
    second = ps.export_policies(db, tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    assert len(report.unchanged) >= 40


def test_grant_fulfil_and_revoke_by_the_department(db: Session) -> None:
    firm = profile_of(db, FIRM)
    grant = db.scalar(
        select(Grant).where(Grant.profile_id == firm.id, Grant.state == GrantState.granted)
    )
    assert grant is not None
    assert grant.policy.department.code == "rsj", "稳岗返还 by 二七区人社局"
    clerk = user(db, "rsj")
    actor = actor_of(clerk)
    with pytest.raises(DomainError) as exc:
        outcomes.fulfil_grant(db, actor, clerk, grant, "  ")
    assert exc.value.field == "payment_reference"
    outcomes.fulfil_grant(db, actor, clerk, grant, "ZF-2026-12-0001")
    assert grant.state == GrantState.fulfilled
    assert grant.payment_reference == "ZF-2026-12-0001"
    with pytest.raises(DomainError) as again:
        outcomes.fulfil_grant(db, actor, clerk, grant, "ZF-2")
    assert again.value.status == 409
    outcomes.revoke_grant(db, actor, clerk, grant, "经核查上年裁员率超标")
    assert grant.state == GrantState.revoked
    firm_user = user(db, FIRM)
    titles = db.scalars(
        select(Notification.title).where(Notification.user_id == firm_user.id)
    ).all()
    assert any(t.startswith("待遇已发放") for t in titles)
    assert any(t.startswith("认定已撤销") for t in titles)


def test_only_the_issuing_department_handles_its_grants(db: Session) -> None:
    elder = profile_of(db, ELDER)
    grant = db.scalar(select(Grant).where(Grant.profile_id == elder.id))
    assert grant is not None
    assert grant.policy.department.code == "mzj"
    clerk = user(db, "rsj")
    with pytest.raises(DomainError) as exc:
        outcomes.fulfil_grant(db, actor_of(clerk), clerk, grant, "ZF-1")
    assert exc.value.status == 403
    assert grant.state == GrantState.granted


def test_push_applied_in_one_step_then_approved_becomes_a_grant(db: Session) -> None:
    person = profile_of(db, UNEMPLOYED)
    push = db.scalar(select(PolicyPush).where(PolicyPush.profile_id == person.id))
    assert push is not None
    facts = {f["attr"]: f["value"] for f in push.application["facts"]}
    assert facts["employment_status"] == "登记失业"
    owner = user(db, UNEMPLOYED)
    other = user(db, "410103199008151623")
    with pytest.raises(DomainError):
        outcomes.apply_push(db, actor_of(other), other, push)
    outcomes.apply_push(db, actor_of(owner), owner, push, "银行卡尾号 1234")
    outcomes.apply_push(db, actor_of(owner), owner, push)  # a retried click changes nothing
    assert push.state == PushState.applied
    admin = user(db, "admin")
    grant = outcomes.approve_push(db, actor_of(admin), admin, push, TODAY)
    assert push.state == PushState.approved
    assert grant.push_id == push.id
    assert grant.state == GrantState.granted
    [m] = outcomes.metrics(db, [push.policy])
    assert m.applied >= 1
    assert m.granted >= 1


def test_metrics_and_rates(db: Session) -> None:
    firm = profile_of(db, FIRM)
    grant = db.scalar(
        select(Grant).where(Grant.profile_id == firm.id, Grant.state == GrantState.granted)
    )
    assert grant is not None
    policy = grant.policy
    [before] = outcomes.metrics(db, [policy])
    clerk = user(db, "rsj")
    outcomes.fulfil_grant(db, actor_of(clerk), clerk, grant, "ZF-9")
    person = user(db, UNEMPLOYED)
    asked = outcomes.ask(db, actor_of(person), person, policy, "个体户能不能享受稳岗返还？")
    outcomes.ask(db, actor_of(person), person, policy, "返还的钱发到哪个账户？")
    outcomes.answer(db, actor_of(clerk), clerk, asked, "个体工商户参照企业执行。")
    [m] = outcomes.metrics(db, [policy])
    assert m.eligible == before.eligible > 0
    assert m.fulfilled == before.fulfilled + 1
    assert m.fulfilment_rate == round(m.fulfilled / m.granted, 4)
    assert (m.consultations, m.answered, m.answer_rate) == (2, 1, 0.5)
    assert m.push_rate == round(min(m.pushed, m.eligible) / m.eligible, 4)
    assert m.online_rate == 1.0
    with pytest.raises(DomainError) as exc:
        outcomes.answer(db, actor_of(clerk), clerk, asked, "再答一次")
    assert exc.value.status == 409


def test_my_policies_lists_what_is_met_and_why_others_are_not(db: Session) -> None:
    person = profile_of(db, UNEMPLOYED)
    found = ps.policies_for_values(db, ProfileKind.person, person.values, TODAY)
    eligible = {p.code for p, _ in found.eligible}
    assert "P06" in eligible
    nearly = {p.code: a for p, a in found.nearly}
    assert nearly, "some policies are nearly met"
    assert all(1 <= len(a.unmet) <= ps.NEARLY for a in nearly.values())
    assert all(u.requirement and u.actual for a in nearly.values() for u in a.unmet)


def test_values_are_checked_against_the_dictionary(db: Session) -> None:
    person = profile_of(db, UNEMPLOYED)
    with pytest.raises(DomainError) as exc:
        profiles.set_values(
            db,
            SYSTEM,
            person,
            {"age": 30, "gender": "未知", "employees": 3, "household_size": "x"},
            "测试",
        )
    fields = {d.field for d in exc.value.details}
    assert fields == {"age", "gender", "employees", "household_size"}
    assert person.values.get("household_size") == 3
