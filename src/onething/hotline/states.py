"""The 12345 ticket (工单) state machine as one explicit table; the service consults nothing else.

The closed loop of 国办发〔2020〕53号: 受理 → 派单 → 签收办理 → 答复 → 回访 → 办结, with 直办
(answered at once by the operator), 转110 (transferred at once), 并单 (merged into an earlier
ticket), 延期 (extension asked and decided), 退单 (returned as not ours, reviewed by the
dispatcher: sent to another unit or back to the same) and 差评重办 (reopened after an unsolved
callback, always under 督办). Closed as solved and closed as unsolved are distinct states.
"""

from __future__ import annotations

from enum import StrEnum

from onething.core.machine import Machine, Transition


class Party(StrEnum):
    operator = "operator"
    dispatcher = "dispatcher"
    department = "department"
    supervisor = "supervisor"


class TicketState(StrEnum):
    received = "received"
    dispatched = "dispatched"
    claimed = "claimed"
    extension_requested = "extension_requested"
    returned = "returned"
    replied = "replied"
    closed_solved = "closed_solved"
    closed_unsolved = "closed_unsolved"
    merged = "merged"
    transferred = "transferred"


class TicketAction(StrEnum):
    answer_directly = "answer_directly"
    dispatch = "dispatch"
    transfer = "transfer"
    merge = "merge"
    claim = "claim"
    return_ticket = "return_ticket"
    approve_return = "approve_return"
    reject_return = "reject_return"
    request_extension = "request_extension"
    approve_extension = "approve_extension"
    reject_extension = "reject_extension"
    reply = "reply"
    close_solved = "close_solved"
    close_unsolved = "close_unsolved"
    reopen = "reopen"


STATE_LABELS: dict[str, str] = {
    "received": "已受理，待派单",
    "dispatched": "已派单，待签收",
    "claimed": "办理中",
    "extension_requested": "延期申请待审核",
    "returned": "退单待审核",
    "replied": "已答复，待回访",
    "closed_solved": "已办结（已解决）",
    "closed_unsolved": "已办结（未解决）",
    "merged": "已并单",
    "transferred": "已转警务等专线",
}
ACTION_LABELS: dict[str, str] = {
    "answer_directly": "直接答复（直办）",
    "dispatch": "派单",
    "transfer": "转110/119/120/122",
    "merge": "并单",
    "claim": "签收",
    "return_ticket": "申请退单",
    "approve_return": "同意退单并改派",
    "reject_return": "驳回退单",
    "request_extension": "申请延期",
    "approve_extension": "同意延期",
    "reject_extension": "驳回延期",
    "reply": "答复办理结果",
    "close_solved": "回访办结（已解决）",
    "close_unsolved": "回访办结（未解决）",
    "reopen": "差评重办",
}

S, P = TicketState, Party
TICKET_MACHINE = Machine(
    "工单",
    [
        Transition(S.received, "answer_directly", S.replied, P.operator),
        Transition(S.received, "dispatch", S.dispatched, P.dispatcher),
        Transition(S.received, "transfer", S.transferred, P.operator),
        Transition(S.received, "merge", S.merged, P.dispatcher),
        Transition(S.dispatched, "claim", S.claimed, P.department),
        Transition(S.dispatched, "return_ticket", S.returned, P.department),
        Transition(S.dispatched, "merge", S.merged, P.dispatcher),
        Transition(S.claimed, "return_ticket", S.returned, P.department),
        Transition(S.claimed, "request_extension", S.extension_requested, P.department),
        Transition(S.claimed, "reply", S.replied, P.department),
        Transition(S.extension_requested, "approve_extension", S.claimed, P.dispatcher),
        Transition(S.extension_requested, "reject_extension", S.claimed, P.dispatcher),
        Transition(S.returned, "approve_return", S.dispatched, P.dispatcher),
        Transition(S.returned, "reject_return", S.dispatched, P.dispatcher),
        Transition(S.replied, "close_solved", S.closed_solved, P.operator),
        Transition(S.replied, "close_unsolved", S.closed_unsolved, P.operator),
        Transition(S.replied, "reopen", S.claimed, P.operator),
        Transition(S.closed_unsolved, "reopen", S.claimed, P.supervisor),
    ],
    STATE_LABELS,
    ACTION_LABELS,
)

OPEN_STATES = frozenset(
    {S.received, S.dispatched, S.claimed, S.extension_requested, S.returned, S.replied}
)
CLOSED_STATES = frozenset({S.closed_solved, S.closed_unsolved})
WITH_DEPARTMENT = frozenset({S.dispatched, S.claimed, S.extension_requested, S.returned})
"""States in which the clock of the unit the ticket was sent to runs."""


class TicketType(StrEnum):
    consultation = "咨询"
    help = "求助"
    complaint = "投诉"
    report = "举报"
    suggestion = "建议"
    praise = "表扬"


class Urgency(StrEnum):
    emergency = "emergency"
    utility = "utility"
    normal = "normal"


URGENCY_LABELS: dict[str, str] = {
    "emergency": "紧急",
    "utility": "水电气暖等民生急事",
    "normal": "一般",
}


class Channel(StrEnum):
    phone = "phone"
    web = "web"
    app = "app"
    wechat = "wechat"
    sms = "sms"
    mailbox = "mailbox"
    """留言板 / 市长信箱, imported in batches (`onething hotline import`)."""
    police = "police"
    """非警务警情 passed on by 110."""


CHANNEL_LABELS: dict[str, str] = {
    "phone": "电话",
    "web": "网站",
    "app": "APP",
    "wechat": "微信",
    "sms": "短信",
    "mailbox": "留言板",
    "police": "110转来",
}

TRANSFER_LINES: dict[str, str] = {
    "110": "110 报警",
    "119": "119 火警",
    "120": "120 急救",
    "122": "122 交通事故",
}

SATISFACTION_LABELS: dict[int, str] = {
    5: "非常满意",
    4: "满意",
    3: "基本满意",
    2: "不满意",
    1: "非常不满意",
}


class Alert(StrEnum):
    none = "none"
    yellow = "yellow"
    red = "red"


ALERT_LABELS: dict[str, str] = {"none": "正常", "yellow": "临近时限", "red": "已超时"}
