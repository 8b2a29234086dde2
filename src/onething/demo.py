"""Demo data: the shipped catalog plus one account for every role, so every page can be tried."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from onething.accounts import service as accounts
from onething.accounts.models import ROLE_LABELS, Role, User
from onething.cases.demo import seed_demo_cases
from onething.catalog.models import Department
from onething.catalog.service import ImportReport, import_catalog
from onething.core.audit import SYSTEM
from onething.core.workdays import local_date
from onething.db import utcnow
from onething.hotline.demo import seed_demo_tickets
from onething.policies.matching import run_all
from onething.policies.service import ImportReport as PolicyImportReport
from onething.policies.service import import_policies
from onething.profiles.demo import seed_demo_profiles

CATALOG_DIR = Path(__file__).parent / "data" / "catalog"
POLICIES_DIR = Path(__file__).parent / "data" / "policies"
DEMO_PASSWORD = "onething2026"
ERQI = "410103000000"
ZHENGZHOU = "410100000000"


@dataclass(frozen=True)
class DemoAccount:
    login: str
    name: str
    kind: str
    roles: tuple[tuple[Role, str, str | None], ...] = ()
    """(role, region code, department code in that region)"""

    def description(self, department_names: dict[str, str]) -> str:
        """How `make run` introduces the account: its roles and the department they serve."""
        if not self.roles:
            return "个人" if self.kind == "person" else "企业"
        return "、".join(
            ROLE_LABELS[r] + (f"（{department_names.get(d, d)}）" if d else "")
            for r, _, d in self.roles
        )


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("410103198506123014", "张伟", "person"),
    DemoAccount("410103199008151623", "李娜", "person"),
    DemoAccount("410103194003150020", "王秀兰", "person"),
    DemoAccount("91410103MA9G5K3D2U", "郑州二七味道餐饮管理有限公司", "enterprise"),
    DemoAccount("admin", "系统管理员", "staff", ((Role.system_admin, "410000000000", None),)),
    DemoAccount("window", "王芳", "staff", ((Role.window_clerk, ERQI, None),)),
    DemoAccount("scjg", "刘洋", "staff", ((Role.dept_reviewer, ERQI, "scjgj"),)),
    DemoAccount("scjg_chief", "陈静", "staff", ((Role.chief_representative, ERQI, "scjgj"),)),
    DemoAccount("scjg_admin", "杨帆", "staff", ((Role.dept_admin, ERQI, "scjgj"),)),
    DemoAccount("gaj", "赵磊", "staff", ((Role.dept_reviewer, ERQI, "gaj"),)),
    DemoAccount("wjw", "孙丽", "staff", ((Role.dept_reviewer, ERQI, "wjw"),)),
    DemoAccount("cgj", "周强", "staff", ((Role.dept_reviewer, ERQI, "cgj"),)),
    DemoAccount("xfjy", "吴敏", "staff", ((Role.dept_reviewer, ERQI, "xfjy"),)),
    DemoAccount("ybj", "郑洁", "staff", ((Role.dept_reviewer, ERQI, "ybj"),)),
    DemoAccount("rsj", "冯军", "staff", ((Role.dept_reviewer, ERQI, "rsj"),)),
    DemoAccount("operator", "何梅", "staff", ((Role.hotline_operator, ZHENGZHOU, None),)),
    DemoAccount("dispatcher", "高峰", "staff", ((Role.hotline_dispatcher, ZHENGZHOU, None),)),
    DemoAccount("supervisor", "马红", "staff", ((Role.supervisor, ZHENGZHOU, None),)),
)


def erqi_department_names(session: Session) -> dict[str, str]:
    rows = session.scalars(select(Department).where(Department.region_code == ERQI))
    return {d.code: d.name for d in rows}


def seed_demo(session: Session) -> tuple[ImportReport, list[DemoAccount]]:
    """Import the shipped catalog and create the demo accounts; running it again changes nothing."""
    report = import_catalog(session, SYSTEM, CATALOG_DIR)
    created = []
    for acc in DEMO_ACCOUNTS:
        if (
            session.scalar(select(User).where(User.login == acc.login.lower())) is not None
            or session.scalar(select(User).where(User.login == acc.login)) is not None
        ):
            continue
        if acc.kind == "person":
            accounts.register_person(
                session,
                SYSTEM,
                id_number=acc.login,
                name=acc.name,
                phone="13800000000",
                password=DEMO_PASSWORD,
            )
        elif acc.kind == "enterprise":
            accounts.register_enterprise(
                session,
                SYSTEM,
                uscc=acc.login,
                name=acc.name,
                phone="13900000000",
                password=DEMO_PASSWORD,
            )
        else:
            user = accounts.create_staff(
                session, SYSTEM, login=acc.login, name=acc.name, password=DEMO_PASSWORD
            )
            for role, region, dept_code in acc.roles:
                dept_id = None
                if dept_code:
                    dept = session.scalar(
                        select(Department).where(
                            Department.region_code == region, Department.code == dept_code
                        )
                    )
                    dept_id = dept.id if dept else None
                accounts.grant_role(session, SYSTEM, user, role, region, dept_id)
        created.append(acc)
    seed_demo_cases(session)
    seed_demo_policies(session)
    seed_demo_tickets(session)
    return report, created


def seed_demo_policies(session: Session) -> PolicyImportReport:
    """The shipped policies, the demo profiles, then one engine run: grants and pushes made
    once (running the demo again finds them and makes none)."""
    report = import_policies(session, SYSTEM, POLICIES_DIR, rematch=False)
    seed_demo_profiles(session)
    run_all(session, SYSTEM, on=local_date(utcnow()))
    return report
