"""Helpers for hotline tests: the demo staff, tickets in any state, actions by name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from onething.accounts import service as accounts
from onething.accounts.models import User
from onething.core.audit import Actor
from onething.hotline import service as hs
from onething.hotline.models import Ticket

COMPLAINT = "二七区大学路一家饭店卖过期的牛奶，吃完孩子拉肚子，老板还不认账"


def staff(db: Session, login: str) -> User:
    user = db.scalar(select(User).where(User.login == login))
    assert user is not None, login
    return user


def act(db: Session, login: str) -> tuple[User, Actor]:
    user = staff(db, login)
    return user, accounts.actor_of(user)


def new_ticket(
    db: Session,
    content: str = COMPLAINT,
    *,
    now: dt.datetime | None = None,
    region_code: str = "410103000000",
    address: str = "大学路 1 号",
    **kw: str,
) -> Ticket:
    user, actor = act(db, "operator")
    return hs.create_ticket(
        db,
        actor,
        user,
        hs.NewTicket(
            content=content,
            caller_name="张先生",
            caller_phone="13712345678",
            region_code=region_code,
            address=address,
            **kw,
        ),
        now=now,
    )


def _unit_login(t: Ticket) -> str:
    if t.department is None:
        return "scjg"
    return {"scjgj": "scjg", "gaj": "gaj", "cgj": "cgj", "wjw": "wjw"}[t.department.code]


def do(db: Session, t: Ticket, action: str) -> None:
    """Take one action of the table on `t` through the service, as the party allowed."""

    def as_(login: str) -> tuple[Actor, User]:
        user, actor = act(db, login)
        return actor, user

    steps: dict[str, Callable[[], object]] = {
        "answer_directly": lambda: hs.answer_directly(
            db, *as_("operator"), t, "可在网上办理", sources=["开办餐饮店"]
        ),
        "dispatch": lambda: hs.dispatch(db, *as_("dispatcher"), t, department="scjgj"),
        "transfer": lambda: hs.transfer(db, *as_("operator"), t, "110"),
        "merge": lambda: hs.merge(db, *as_("dispatcher"), t, new_ticket(db)),
        "claim": lambda: hs.claim(db, *as_(_unit_login(t)), t),
        "return_ticket": lambda: hs.return_ticket(db, *as_(_unit_login(t)), t, "不属于本单位职责"),
        "approve_return": lambda: hs.review_return(
            db, *as_("dispatcher"), t, approve=True, department="cgj"
        ),
        "reject_return": lambda: hs.review_return(
            db, *as_("dispatcher"), t, approve=False, note="属于本单位职责"
        ),
        "request_extension": lambda: hs.request_extension(
            db, *as_(_unit_login(t)), t, 5, "需要现场检测"
        ),
        "approve_extension": lambda: hs.decide_extension(db, *as_("dispatcher"), t, approve=True),
        "reject_extension": lambda: hs.decide_extension(
            db, *as_("dispatcher"), t, approve=False, note="时限足够"
        ),
        "reply": lambda: hs.reply(db, *as_(_unit_login(t)), t, "已责令下架并处罚"),
        "close_solved": lambda: hs.callback(db, *as_("operator"), t, solved=True, satisfaction=4),
        "close_unsolved": lambda: hs.callback(
            db, *as_("operator"), t, solved=False, satisfaction=2
        ),
        "reopen": lambda: hs.reopen(
            db,
            *as_("operator" if t.state == "replied" else "supervisor"),
            t,
            "群众反映问题仍未解决",
        ),
    }
    steps[action]()


PATHS: dict[str, list[str]] = {
    "received": [],
    "dispatched": ["dispatch"],
    "claimed": ["dispatch", "claim"],
    "extension_requested": ["dispatch", "claim", "request_extension"],
    "returned": ["dispatch", "return_ticket"],
    "replied": ["dispatch", "claim", "reply"],
    "closed_solved": ["dispatch", "claim", "reply", "close_solved"],
    "closed_unsolved": ["dispatch", "claim", "reply", "close_unsolved"],
    "merged": ["merge"],
    "transferred": ["transfer"],
}


def ticket_in(db: Session, state: str, *, now: dt.datetime | None = None) -> Ticket:
    t = new_ticket(db, now=now)
    for action in PATHS[state]:
        do(db, t, action)
    assert t.state == state
    return t
