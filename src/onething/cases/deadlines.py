"""The deadline job (`onething cases tick`) and the supervisors' overdue lists.

Alerts are written with plain UPDATE statements, not through the ORM, so the job never bumps
a task's version and never turns a reviewer's concurrent decision into a conflict.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from onething.accounts import service as accounts
from onething.accounts.models import Role, User
from onething.cases import service as cs
from onething.cases.models import Case, ItemTask
from onething.cases.review import alert_level, time_used
from onething.cases.states import ALERT_LABELS, Alert, CaseState, TaskState
from onething.core.audit import SYSTEM, record_event
from onething.core.errors import DomainError
from onething.core.workdays import WorkCalendar, load_calendar, local_date
from onething.db import utcnow

OPEN_TASK_STATES = (TaskState.pending, TaskState.claimed, TaskState.paused)
_RANK = {Alert.none: 0, Alert.yellow: 1, Alert.red: 2}


@dataclass
class TickReport:
    checked: int = 0
    yellow: int = 0
    red: int = 0
    cases_red: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "checked": self.checked,
            "yellow": self.yellow,
            "red": self.red,
            "cases_red": self.cases_red,
        }


def case_time_used(case: Case, today: dt.date, cal: WorkCalendar) -> int:
    if case.accepted_on is None:
        return 0
    used = cal.working_days_between(case.accepted_on, today) - case.paused_days
    if case.paused_since is not None:
        used -= cal.working_days_between(case.paused_since, today)
    return max(used, 0)


def _raise_alert(session: Session, row: Case | ItemTask, level: Alert) -> bool:
    """Raise the row's alert to `level` with an audit event; False when it is already there.
    A plain UPDATE, so the row's version (optimistic lock) is not bumped."""
    before = row.alert
    if _RANK[level] <= _RANK[Alert(before)]:
        return False
    model = type(row)
    subject = "case" if isinstance(row, Case) else "item_task"
    case_id = row.id if isinstance(row, Case) else row.case_id
    session.execute(update(model).where(model.id == row.id).values(alert=level))
    record_event(
        session,
        f"cases:{subject}:alert",
        subject,
        row.id,
        SYSTEM,
        before={"alert": before},
        after={"alert": level},
        data={"case_id": case_id, "note": ALERT_LABELS[level]},
        region_code=row.region_code,
    )
    return True


def tick(session: Session, *, now: dt.datetime | None = None) -> TickReport:
    """Mark yellow at the warning share of the time used and red when overdue; tell the
    department and the supervisors once per level."""
    today = local_date(now or utcnow())
    cal = load_calendar(session)
    report = TickReport()
    tasks = session.scalars(select(ItemTask).where(ItemTask.state.in_(OPEN_TASK_STATES))).all()
    for task in tasks:
        report.checked += 1
        level = alert_level(time_used(task, today, cal), task.promised_days)
        if not _raise_alert(session, task, level):
            continue
        report.yellow += level == Alert.yellow
        report.red += level == Alert.red
        what = "已超过承诺时限" if level == Alert.red else "即将到期"
        body = (
            f"{cs.case_label(task.case)}的“{task.item.name}”{what}"
            f"（{task.department.name}，到期日 {task.due_on:%Y-%m-%d}）"
        )
        title = f"【{ALERT_LABELS[level]}】{task.item.name}"
        cs.tell_department(session, task, f"cases.alert_{level}", title, body)
        supervisors = accounts.staff_for(session, [Role.supervisor], task.region_code)
        cs.tell_staff(session, supervisors, f"cases.alert_{level}", title, body, "/supervision")
    cases = session.scalars(select(Case).where(Case.state == CaseState.accepted)).all()
    for case in cases:
        level = alert_level(case_time_used(case, today, cal), case.promised_days or 0)
        if _raise_alert(session, case, level):
            report.cases_red += level == Alert.red
    session.expire_all()
    return report


@dataclass(frozen=True)
class OverdueTask:
    task: ItemTask
    used: int
    over_by: int


@dataclass
class OverdueReport:
    tasks: list[OverdueTask] = field(default_factory=list)
    by_department: list[tuple[str, int]] = field(default_factory=list)
    by_region: list[tuple[str, int]] = field(default_factory=list)


def overdue(session: Session, user: User, *, now: dt.datetime | None = None) -> OverdueReport:
    """Open tasks past their time limit in the supervisor's regions, counted two ways."""
    regions = [s.region_code for s in accounts.scopes(user, Role.supervisor, Role.system_admin)]
    if not regions:
        raise DomainError("forbidden", "只有监管人员可以查看超期督办清单", 403)
    today = local_date(now or utcnow())
    cal = load_calendar(session)
    stmt = select(ItemTask).where(
        ItemTask.state.in_(OPEN_TASK_STATES),
        ItemTask.due_on < today,
        cs.in_regions(ItemTask.region_code, regions),
    )
    report = OverdueReport()
    for task in session.scalars(stmt.order_by(ItemTask.due_on)):
        used = time_used(task, today, cal)
        if used > task.promised_days:
            report.tasks.append(OverdueTask(task, used, used - task.promised_days))
    depts = Counter(t.task.department.name for t in report.tasks)
    regs = Counter(t.task.department.region.name for t in report.tasks)
    report.by_department = depts.most_common()
    report.by_region = regs.most_common()
    return report
