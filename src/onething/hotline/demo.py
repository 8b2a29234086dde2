"""Demo 12345 tickets in several states, made through the real services with back-dated
clocks, and one hotspot (a burst of 停水 calls in one street), so every hotline page has
content. Running it again changes nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onething.accounts.models import User
from onething.accounts.service import actor_of
from onething.core.audit import Actor
from onething.db import utcnow
from onething.hotline import analytics
from onething.hotline import service as hs
from onething.hotline.models import Ticket


def _user(session: Session, login: str) -> tuple[Actor, User]:
    user = session.scalar(select(User).where(User.login == login))
    assert user is not None, login
    return actor_of(user), user


def seed_demo_tickets(session: Session) -> int:
    if session.scalar(select(func.count()).select_from(Ticket)):
        return 0
    if session.scalar(select(User.id).where(User.login == "operator")) is None:
        return 0
    now = utcnow()
    op_a, op = _user(session, "operator")
    di_a, di = _user(session, "dispatcher")
    sc_a, sc = _user(session, "scjg")
    cg_a, cg = _user(session, "cgj")
    su_a, su = _user(session, "supervisor")

    def new(text: str, hours_ago: float, region: str = "410103001000", **kw: str) -> Ticket:
        return hs.create_ticket(
            session,
            op_a,
            op,
            hs.NewTicket(
                content=text,
                caller_name=kw.pop("name", "刘女士"),
                caller_phone=kw.pop("phone", "13598765432"),
                region_code=region,
                address=kw.pop("address", ""),
                **kw,
            ),
            now=now - dt.timedelta(hours=hours_ago),
        )

    # waiting for dispatch
    new("解放路一家超市卖的鸡蛋是过期的，日期都改过了", 3, "410103002000", type="举报")
    new("楼道里有很浓的煤气味，邻居家敲门没人应", 0.5, "410103003000", urgency="emergency")
    # with 市场监督管理局: dispatched, claimed
    t = new("大学路一家奶茶店用过期的原料，喝完肚子疼", 30, type="投诉", address="大学路80号")
    hs.dispatch(session, di_a, di, t, department="scjgj", now=now - dt.timedelta(hours=29))
    t = new("网上买的电暖器用两天就坏了，商家不给退", 50, "410103002000", type="投诉")
    hs.dispatch(session, di_a, di, t, department="scjgj", now=now - dt.timedelta(hours=48))
    hs.claim(session, sc_a, sc, t)
    # returned, waiting for review
    t = new("京广路桥下流动摊贩卖烤红薯，占着人行道，行人只能走机动车道", 26, type="投诉")
    hs.dispatch(session, di_a, di, t, department="scjgj", now=now - dt.timedelta(hours=25))
    hs.return_ticket(session, sc_a, sc, t, "占道经营属城市管理局职责，建议改派城市管理局")
    # replied, waiting for the callback
    t = new("小区门口垃圾桶三天没人清运了，味道很大", 80, "410103003000", type="求助")
    hs.dispatch(session, di_a, di, t, department="cgj", now=now - dt.timedelta(hours=79))
    hs.claim(session, cg_a, cg, t)
    hs.reply(
        session,
        cg_a,
        cg,
        t,
        "已安排环卫车辆清运，并督促保洁公司每日清运",
        now=now - dt.timedelta(hours=60),
    )
    # closed as solved, rated 满意
    t = new("饭店后厨卫生太差，老鼠乱跑", 200, type="举报")
    hs.dispatch(session, di_a, di, t, department="scjgj", now=now - dt.timedelta(hours=199))
    hs.claim(session, sc_a, sc, t)
    hs.reply(
        session, sc_a, sc, t, "已现场检查，责令停业整改并立案", now=now - dt.timedelta(hours=150)
    )
    hs.callback(session, op_a, op, t, solved=True, satisfaction=4)
    # unsolved, reopened under 督办
    t = new("楼下烧烤店油烟直排，晚上开到两点", 240, "410103003000", type="投诉")
    hs.dispatch(session, di_a, di, t, department="cgj", now=now - dt.timedelta(hours=239))
    hs.claim(session, cg_a, cg, t)
    hs.reply(session, cg_a, cg, t, "已责令安装油烟净化设备", now=now - dt.timedelta(hours=200))
    hs.callback(session, op_a, op, t, solved=False, satisfaction=2, note="设备没装，还在直排")
    hs.reopen(session, su_a, su, t, "群众反映整改未落实", now=now - dt.timedelta(hours=190))
    # a consultation answered directly
    t = new("想开个小饭馆，开办餐饮店要办哪些证", 5, type="咨询")
    hs.answer_directly(
        session,
        op_a,
        op,
        t,
        "可在平台办理“开办餐饮店”一件事，一次提交材料",
        sources=["开办餐饮店"],
    )
    # a duplicate merged
    first = new("建设路小区整栋楼停水了，也没提前通知", 6, "410103005000", type="求助")
    dup = new("建设路小区又停水了，一点水都没有", 5.5, "410103005000", type="求助")
    hs.merge(session, di_a, di, dup, first)
    # a hotspot: a burst of 停水 in one street
    for i in range(5):
        new(
            f"五里堡街道{i + 1}号院停水一整天了，做饭都没水",
            2 + i,
            "410103006000",
            category="停水",
            urgency="utility",
        )
    made = session.scalar(select(func.count()).select_from(Ticket)) or 0
    analytics.detect(session, now=now)
    return made
