from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from onething.accounts import service
from onething.accounts.models import Role, User
from onething.catalog.models import Department
from onething.core.audit import SYSTEM, AuditEvent
from onething.core.errors import DomainError
from onething.demo import DEMO_PASSWORD


def _dept(db: Session, code: str, region: str = "410103000000") -> Department:
    dept = db.scalar(
        sa.select(Department).where(Department.code == code, Department.region_code == region)
    )
    assert dept is not None
    return dept


def test_person_registers_and_logs_in(db: Session) -> None:
    user = service.register_person(
        db,
        SYSTEM,
        id_number="410103199501010031",
        name="王小明",
        phone="13700001111",
        password="abc12345",
    )
    assert service.authenticate(db, "410103199501010031", "abc12345").id == user.id


def test_registration_rejects_bad_input(db: Session) -> None:
    with pytest.raises(DomainError, match="校验码"):
        service.register_person(
            db,
            SYSTEM,
            id_number="410103199501010032",
            name="王小明",
            phone=None,
            password="abc12345",
        )
    with pytest.raises(DomainError, match="字母和数字"):
        service.register_person(
            db,
            SYSTEM,
            id_number="410103199501010031",
            name="王小明",
            phone=None,
            password="12345678",
        )
    with pytest.raises(DomainError, match="已注册"):
        service.register_person(
            db, SYSTEM, id_number="410103198506123014", name="张伟", phone=None, password="abc12345"
        )
    assert db.scalar(sa.select(User).where(User.login == "410103199501010031")) is None


def test_wrong_id_number_at_login_is_named_before_any_lookup(db: Session) -> None:
    with pytest.raises(DomainError) as exc:
        service.authenticate(db, "410103198506123015", DEMO_PASSWORD)
    assert exc.value.code == "invalid_id_number"
    assert "校验码" in exc.value.message


def test_five_failures_lock_the_account(db: Session) -> None:
    for _ in range(5):
        with pytest.raises(DomainError) as exc:
            service.authenticate(db, "window", "wrong-password1")
        assert exc.value.code == "bad_credentials"
        assert exc.value.keep_changes
    with pytest.raises(DomainError) as exc:
        service.authenticate(db, "window", DEMO_PASSWORD)
    assert exc.value.code == "account_locked"
    failures = db.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.tag == "accounts:user:login_failed")
    )
    assert failures == 5


def test_unknown_account_gives_the_same_answer_as_a_wrong_password(db: Session) -> None:
    with pytest.raises(DomainError) as a:
        service.authenticate(db, "nobody", "whatever1")
    with pytest.raises(DomainError) as b:
        service.authenticate(db, "window", "whatever1")
    assert (a.value.code, a.value.message) == (b.value.code, b.value.message)


def test_tokens_and_sessions(db: Session) -> None:
    user = service.authenticate(db, "window", DEMO_PASSWORD)
    token, _row = service.issue_api_token(db, user)
    assert service.user_for_token(db, token) == user
    service.revoke_api_token(db, user, token)
    assert service.user_for_token(db, token) is None
    cookie = service.start_web_session(db, user)
    assert service.user_for_session(db, cookie) == user
    service.end_web_session(db, cookie)
    assert service.user_for_session(db, cookie) is None
    assert service.user_for_token(db, "ot_forged") is None


def test_roles_are_scoped_by_region_subtree_and_department(db: Session) -> None:
    user = service.create_staff(
        db, SYSTEM, login="rev_test", name="测试审批员", password="abc12345"
    )
    scjgj = _dept(db, "scjgj")
    service.grant_role(db, SYSTEM, user, Role.dept_reviewer, "410103000000", scjgj.id)
    assert service.can_act(user, Role.dept_reviewer, "410103007001", scjgj.id)
    assert not service.can_act(user, Role.dept_reviewer, "410103000000", _dept(db, "gaj").id)
    assert not service.can_act(user, Role.dept_reviewer, "410105000000", scjgj.id)
    assert not service.can_act(user, Role.window_clerk, "410103000000")


def test_department_roles_need_a_department_in_the_region(db: Session) -> None:
    user = service.create_staff(db, SYSTEM, login="rev_test2", name="测试", password="abc12345")
    with pytest.raises(DomainError, match="必须指定所属部门"):
        service.grant_role(db, SYSTEM, user, Role.dept_reviewer, "410103000000")
    city_dept = _dept(db, "scjgj", "410100000000")
    with pytest.raises(DomainError, match="不在该岗位的行政区划范围内"):
        service.grant_role(db, SYSTEM, user, Role.dept_reviewer, "410103000000", city_dept.id)
