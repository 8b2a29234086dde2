"""Random walks over one 开办餐饮店 case: random actions by random actors, right or wrong.

Whatever happens, the case and its tasks stay in states of the tables and consistent with
each other, nobody acts outside their role, region or department (and trying changes
nothing), and the audit trail replays to the current states and its hash chain holds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select
from sqlalchemy.orm import Session, SessionTransaction

from onething.accounts.models import User
from onething.cases import apply, deadlines, review, window
from onething.cases.models import Case, ItemResult, ItemTask, TaskPause
from onething.cases.states import (
    CASE_MACHINE,
    TASK_MACHINE,
    Alert,
    CaseState,
    Party,
    TaskState,
)
from onething.core.audit import AuditEvent, seal_now, verify_chain
from onething.core.workdays import CHINA, local_date
from tests.cases import builders as b
from tests.cases.test_states import attempt

CASE_ACTIONS = (
    "submit",
    "resubmit",
    "withdraw",
    "accept",
    "refuse",
    "request_correction",
    "deliver",
)
TASK_ACTIONS = ("claim", "pause", "resume", "approve", "deny")
APPLICANT_ACTIONS = frozenset({"submit", "resubmit", "withdraw"})
WINDOW_ACTIONS = frozenset({"accept", "refuse", "request_correction", "deliver"})
REVIEWERS = {"scjgj": {"scjg", "scjg_chief"}, "wjw": {"wjw"}, "cgj": {"cgj"}, "xfjy": {"xfjy"}}
ACTORS = {
    "applicant": b.ENTERPRISE,
    "other_applicant": b.PERSON,
    "window": "window",
    "supervisor": "supervisor",
    "scjg_admin": "scjg_admin",
    **{login: login for login in ("scjg", "scjg_chief", "wjw", "cgj", "xfjy", "gaj", "ybj", "rsj")},
    "zy_window": "zy_window",  # a window clerk of 中原区
    "zz_scjg": "zz_scjg",  # a reviewer of the city's 市场监督管理局
}
IMPOSTORS = {
    "applicant": ["other_applicant", "window", "supervisor"],
    "window": ["zy_window", "supervisor", "scjg_admin", "applicant"],
    "reviewer": [
        "scjg",
        "scjg_chief",
        "wjw",
        "cgj",
        "xfjy",
        "gaj",
        "zz_scjg",
        "scjg_admin",
        "window",
        "supervisor",
    ],
}
# Failures a rightful actor may meet, besides a transition the table does not have.
RIGHTFUL_REFUSALS = {"invalid_transition", "already_decided"}
START = dt.datetime(2026, 3, 2, 10, tzinfo=CHINA)


class CaseWalk(RuleBasedStateMachine):
    db: ClassVar[Session]
    users: ClassVar[dict[str, User]]
    case_id: ClassVar[int]

    def __init__(self) -> None:
        super().__init__()
        self.example: SessionTransaction = self.db.begin_nested()
        self.now = START
        self.versions: dict[tuple[str, int], int] = {}
        self.turn = 0

    # ------------------------------------------------------------ helpers

    @property
    def case(self) -> Case:
        case = self.db.get(Case, self.case_id)
        assert case is not None
        return case

    def snapshot(self) -> tuple[Any, ...]:
        case = self.case
        return (
            case.state,
            case.version,
            tuple((t.id, t.state, t.version, t.assignee_id) for t in case.tasks),
        )

    def rightful(self, action: str, who: str, task: ItemTask | None) -> bool:
        if action in APPLICANT_ACTIONS:
            return who == "applicant"
        if action in WINDOW_ACTIONS:
            return who == "window"
        assert task is not None
        return who in REVIEWERS[task.department.code]

    def rightful_party(self, action: str, pick: int) -> str:
        if action in APPLICANT_ACTIONS:
            return "applicant"
        if action in WINDOW_ACTIONS:
            return "window"
        tasks = self.case.tasks
        if not tasks:
            return "scjg"
        reviewers = sorted(REVIEWERS[tasks[pick % len(tasks)].department.code])
        return reviewers[pick % len(reviewers)]

    def allowed_now(self) -> list[tuple[str, int]]:
        """(action, task index) for every action the tables allow in the current states."""
        case = self.case
        out = [
            ("submit" if a == "resubmit" else a, 0)
            for a in CASE_MACHINE.allowed(case.state)
            if a != "complete"
        ]
        for i, t in enumerate(case.tasks):
            out += [(a, i) for a in TASK_MACHINE.allowed(t.state, Party.reviewer)]
        return out

    def impostor_attempts(self) -> list[tuple[str, str, int]]:
        """(action, actor, task index): what the rightful party could do now, by someone
        close to it: another applicant, another district's window, a supervisor, another
        department's reviewer."""
        out = []
        for action, pick in self.allowed_now():
            if action in APPLICANT_ACTIONS:
                near = IMPOSTORS["applicant"]
            elif action in WINDOW_ACTIONS:
                near = IMPOSTORS["window"]
            else:
                code = self.case.tasks[pick].department.code
                near = [r for r in IMPOSTORS["reviewer"] if r not in REVIEWERS[code]]
            out += [(action, who, pick) for who in near]
        return out

    def call(self, action: str, u: User, task: ItemTask | None) -> None:
        db, case, now, a = self.db, self.case, self.now, b.actor(u)
        today = local_date(now)
        if action in ("submit", "resubmit"):
            apply.submit(db, case, u, a, now=now)
        elif action == "withdraw":
            apply.withdraw(db, case, u, a, "申请人不再办理", now=now)
        elif action == "accept":
            window.accept(db, case, u, a, now=now)
        elif action == "refuse":
            window.refuse(db, case, u, a, "经营场所不在本辖区", now=now)
        elif action == "request_correction":
            problem = {"kind": "field", "key": "operating_area", "message": "请核对面积"}
            window.request_correction(db, case, u, a, [problem], now=now)
        elif action == "deliver":
            window.deliver(db, case, u, a, now=now)
        else:
            assert task is not None
            if action == "claim":
                review.claim(db, task, u, a)
            elif action == "pause":
                until = today + dt.timedelta(days=10)
                review.pause(db, task, u, a, "expert_review", "专家评审", until, now=now)
            elif action == "resume":
                review.resume(db, task, u, a, now=now)
            elif action == "approve":
                review.approve(db, task, u, a, "符合条件，准予", now=now)
            else:
                review.deny(db, task, u, a, "不符合条件，不予", now=now)

    def act(self, action: str, who: str, pick: int) -> None:
        case = self.case
        task = None
        if action in TASK_ACTIONS:
            if not case.tasks:
                return
            task = case.tasks[pick % len(case.tasks)]
        rightful = self.rightful(action, who, task)
        before = self.snapshot()
        state = task.state if task is not None else case.state
        if action in CASE_ACTIONS:
            table_action = action
            if action in ("submit", "resubmit"):
                table_action = "resubmit" if state == CaseState.correction_requested else "submit"
            row = CASE_MACHINE.table.get((state, table_action))
        else:
            row = TASK_MACHINE.table.get((state, action))

        savepoint = self.db.begin_nested()
        error = attempt(self.call, action, self.users[who], task)
        retried_submit = action in ("submit", "resubmit") and state == CaseState.submitted
        if rightful and retried_submit:
            # A retried submission by the applicant returns the case unchanged, never an error.
            assert error is None, (action, error.code)
            assert self.snapshot() == before
            savepoint.commit()
            return
        if error is not None:
            assert not self.db.new, (action, who, error.code)
            assert not self.db.dirty, (action, who, error.code)
            assert self.snapshot() == before, (action, who, error.code)
            savepoint.rollback()
            if rightful:
                assert error.code in RIGHTFUL_REFUSALS, (action, who, error.code, error.message)
                if error.code == "invalid_transition":
                    assert row is None, (action, state)
            else:
                assert error.status in (403, 404, 409), (action, who, error.code)
            return
        assert rightful, f"{who} could {action} in state {state}"
        savepoint.commit()
        seal_now(self.db)
        moved = task.state if task is not None else self.case.state
        assert row is not None, (action, state)
        assert moved == row.target, (action, state, moved)

    def forward(self, pick: int) -> None:
        case = self.case
        step = {
            "draft": "submit",
            "submitted": "accept",
            "correction_requested": "resubmit",
            "completed": "deliver",
        }.get(case.state)
        if step is not None:
            self.act(step, "applicant" if step in APPLICANT_ACTIONS else "window", pick)
            return
        workable = [t for t in case.tasks if t.state in ("pending", "claimed", "paused")]
        if case.state != "accepted" or not workable:
            return
        task = workable[pick % len(workable)]
        action = {"pending": "claim", "claimed": "approve", "paused": "resume"}[task.state]
        index = case.tasks.index(task)
        self.act(action, self.rightful_party(action, index), index)

    # ------------------------------------------------------------ rules

    @rule(
        action=st.sampled_from(CASE_ACTIONS + TASK_ACTIONS),
        who=st.sampled_from(sorted(ACTORS)),
        pick=st.integers(0, 4),
    )
    def anyone_tries(self, action: str, who: str, pick: int) -> None:
        self.act(action, who, pick)

    @rule(action=st.sampled_from(CASE_ACTIONS + TASK_ACTIONS), pick=st.integers(0, 4))
    def the_rightful_party_tries_anything(self, action: str, pick: int) -> None:
        self.act(action, self.rightful_party(action, pick), pick)

    @rule(choice=st.integers(0, 99))
    def the_rightful_party_takes_an_allowed_action(self, choice: int) -> None:
        """Any action the tables allow now (refuse, correction, withdraw, pause, deny...)."""
        if candidates := self.allowed_now():
            action, pick = candidates[choice % len(candidates)]
            self.act(action, self.rightful_party(action, pick), pick)

    @rule(choice=st.integers(0, 999))
    def someone_else_takes_an_allowed_action(self, choice: int) -> None:
        if attempts := self.impostor_attempts():
            self.act(*attempts[choice % len(attempts)])

    @rule()
    def the_case_moves_on(self) -> None:
        """The rightful party takes the next step of the happy path."""
        self.forward(0)

    @rule(pick=st.integers(0, 4))
    def a_department_works(self, pick: int) -> None:
        self.forward(pick)

    @rule(days=st.integers(0, 5))
    def time_passes_and_the_deadline_job_runs(self, days: int) -> None:
        self.now += dt.timedelta(days=days)
        before = self.snapshot()
        deadlines.tick(self.db, now=self.now)
        seal_now(self.db)
        assert self.snapshot() == before, "tick changes no state and no version"

    # ------------------------------------------------------------ invariants

    @invariant()
    def states_are_states_of_the_tables(self) -> None:
        case = self.case
        assert case.state in set(CaseState)
        assert case.alert in set(Alert)
        for t in case.tasks:
            assert t.state in set(TaskState)
            assert t.alert in set(Alert)

    @invariant()
    def versions_never_go_back(self) -> None:
        case = self.case
        for key, version in [(("case", case.id), case.version)] + [
            (("task", t.id), t.version) for t in case.tasks
        ]:
            assert version >= self.versions.get(key, 0), key
            self.versions[key] = version

    @invariant()
    def tasks_agree_with_the_case(self) -> None:
        case = self.case
        states = [t.state for t in case.tasks]
        if case.state in ("draft", "submitted", "correction_requested", "refused"):
            assert states == []
            assert case.number is not None or case.state == "draft"
        elif case.state == "accepted":
            assert len(states) == 5
            assert any(not TASK_MACHINE.terminal(s) for s in states)
        elif case.state in ("completed", "delivered"):
            assert len(states) == 5
            assert all(TASK_MACHINE.terminal(s) for s in states), states
        elif case.state == "withdrawn":
            assert all(s == "cancelled" for s in states), states
        approved = {t.id for t in case.tasks if t.state == "approved"}
        denied = {t.id for t in case.tasks if t.state == "denied"}
        for t in case.tasks:
            if t.state == "waiting":
                assert t.started_on is None
                assert t.due_on is None
            elif t.state != "cancelled":
                assert set(t.after) <= approved, "started before its prerequisites"
                assert t.started_on is not None
                assert t.due_on is not None
            elif case.state != "withdrawn":
                assert set(t.after) & denied, "cancelled without a denied prerequisite"
        if case.state == "accepted":
            paused = any(s == "paused" for s in states)
            assert (case.paused_since is not None) == paused

    @invariant()
    def results_and_pauses_match_the_states(self) -> None:
        case = self.case
        ids = [t.id for t in case.tasks]
        if not ids:
            return
        with_result = set(
            self.db.scalars(select(ItemResult.task_id).where(ItemResult.task_id.in_(ids)))
        )
        assert with_result == {t.id for t in case.tasks if t.state == "approved"}
        open_pauses = set(
            self.db.scalars(
                select(TaskPause.task_id).where(
                    TaskPause.task_id.in_(ids), TaskPause.ended_on.is_(None)
                )
            )
        )
        paused = {t.id for t in case.tasks if t.state == "paused"}
        # A task cancelled while paused keeps its open pause record; nothing else does.
        assert paused <= open_pauses
        assert open_pauses - paused <= {t.id for t in case.tasks if t.state == "cancelled"}

    @invariant()
    def an_impostor_fails_at_every_step(self) -> None:
        """One more impostor attempt per step, in turn, so that short-lived states
        (submitted, completed) meet them too; `act` asserts that it fails and changes
        nothing."""
        if attempts := self.impostor_attempts():
            self.turn += 1
            self.act(*attempts[self.turn % len(attempts)])

    def teardown(self) -> None:
        try:
            seal_now(self.db)
            assert verify_chain(self.db).broken_at is None
            self.check_the_trail_replays()
        finally:
            self.example.rollback()
            self.db.expire_all()

    def check_the_trail_replays(self) -> None:
        case = self.case

        def replay(subject_type: str, subject_id: int, start: str) -> str:
            state = start
            events = self.db.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.subject_type == subject_type,
                    AuditEvent.subject_id == str(subject_id),
                )
                .order_by(AuditEvent.seq)
            )
            for ev in events:
                if ev.after is None or "state" not in ev.after:
                    continue
                assert ev.before == {"state": state}, (ev.tag, ev.before, state)
                state = ev.after["state"]
            return state

        assert replay("case", case.id, "draft") == case.state
        for t in case.tasks:
            assert replay("item_task", t.id, "waiting") == t.state


def test_random_walks_keep_the_invariants(db: Session) -> None:
    b.outsiders(db)
    users = {name: b.user(db, login) for name, login in ACTORS.items()}
    case = b.food_draft(db)
    seal_now(db)
    db.flush()

    CaseWalk.db, CaseWalk.users, CaseWalk.case_id = db, users, case.id
    run_state_machine_as_test(
        CaseWalk,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
