"""Cases submitted and fully processed per second through the service layer.

Each step is its own transaction, as a request would be: draft with form and materials,
submit, accept (fan-out), every department claims and approves, the window issues.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from onething.accounts.models import User
from onething.accounts.service import actor_of
from onething.cases import apply, review, window
from onething.cases import service as cs
from onething.cases.demo import DEMO_PDF, FOOD, sample_value
from onething.cases.models import Case
from onething.core.workdays import local_date

REVIEWERS = {"scjgj": "scjg", "cgj": "cgj", "wjw": "wjw", "xfjy": "xfjy"}


def _user(session: Session, login: str) -> User:
    user = session.scalar(select(User).where(func.lower(User.login) == login.lower()))
    assert user is not None, login
    return user


def one_case(engine: Engine) -> None:
    def step(work: Callable[[Session], None]) -> None:
        with Session(engine, expire_on_commit=False) as session:
            work(session)
            session.commit()

    holder: dict[str, int] = {}

    def draft(session: Session) -> None:
        user = _user(session, "91410103MA9G5K3D2U")
        actor = actor_of(user)
        case, _ = apply.create_draft(
            session, user, actor, bundle_code="food_business", draft=apply.Draft(answers=FOOD)
        )
        resolved = cs.resolution(case)
        today = local_date(case.created_at)
        form = {
            f.key: case.form.get(f.key) or sample_value(f, user, today) for f in resolved.fields
        }
        apply.update_draft(session, case, user, actor, apply.Draft(form=form))
        for p in apply.pre_review(case).problems:
            apply.upload_material(session, case, user, actor, p.key, io.BytesIO(DEMO_PDF), "a.pdf")
        apply.submit(session, case, user, actor)
        holder["id"] = case.id

    def accept(session: Session) -> None:
        clerk = _user(session, "window")
        case = cs.load_case(session, holder["id"], clerk)
        window.accept(session, case, clerk, actor_of(clerk))

    def decide(session: Session) -> None:
        case = session.get_one(Case, holder["id"])
        for task in case.tasks:
            if task.state == "pending":
                user = _user(session, REVIEWERS[task.department.code])
                review.claim(session, task, user, actor_of(user))
                review.approve(session, task, user, actor_of(user), "准予")

    def deliver(session: Session) -> None:
        clerk = _user(session, "window")
        window.deliver(session, cs.load_case(session, holder["id"], clerk), clerk, actor_of(clerk))

    step(draft)
    step(accept)
    step(decide)  # the licence first ...
    step(decide)  # ... then the items that waited for it
    step(deliver)


def cases_per_second(engine: Engine, seconds: float = 5.0) -> tuple[int, float]:
    n = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        one_case(engine)
        n += 1
    return n, time.perf_counter() - start
