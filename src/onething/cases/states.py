"""The Case and ItemTask state machines as explicit tables; services consult nothing else.

Each row says which party may take an action in a state and where it leads. A test walks
every (state, action) pair of both tables.
"""

from __future__ import annotations

from enum import StrEnum

from onething.core.machine import Machine, Transition


class Party(StrEnum):
    applicant = "applicant"
    window = "window"
    reviewer = "reviewer"
    system = "system"


class CaseState(StrEnum):
    draft = "draft"
    submitted = "submitted"
    correction_requested = "correction_requested"
    accepted = "accepted"
    refused = "refused"
    withdrawn = "withdrawn"
    completed = "completed"
    delivered = "delivered"


class CaseAction(StrEnum):
    submit = "submit"
    resubmit = "resubmit"
    withdraw = "withdraw"
    accept = "accept"
    refuse = "refuse"
    request_correction = "request_correction"
    complete = "complete"
    deliver = "deliver"


class TaskState(StrEnum):
    waiting = "waiting"
    pending = "pending"
    claimed = "claimed"
    paused = "paused"
    approved = "approved"
    denied = "denied"
    cancelled = "cancelled"


class TaskAction(StrEnum):
    start = "start"
    claim = "claim"
    pause = "pause"
    resume = "resume"
    approve = "approve"
    deny = "deny"
    cancel = "cancel"


CASE_STATE_LABELS: dict[str, str] = {
    "draft": "草稿",
    "submitted": "待受理",
    "correction_requested": "待补正",
    "accepted": "已受理，审批中",
    "refused": "不予受理",
    "withdrawn": "已撤回",
    "completed": "已办结，待出件",
    "delivered": "已出件",
}
TASK_STATE_LABELS: dict[str, str] = {
    "waiting": "等待前置事项",
    "pending": "待签收",
    "claimed": "审查中",
    "paused": "特别程序（暂停计时）",
    "approved": "准予",
    "denied": "不予",
    "cancelled": "已终止",
}
CASE_ACTION_LABELS: dict[str, str] = {
    "submit": "提交申请",
    "resubmit": "补正后重新提交",
    "withdraw": "撤回申请",
    "accept": "受理",
    "refuse": "不予受理",
    "request_correction": "一次性告知补正",
    "complete": "全部事项办结",
    "deliver": "出件",
}
TASK_ACTION_LABELS: dict[str, str] = {
    "start": "开始办理",
    "claim": "签收",
    "pause": "进入特别程序",
    "resume": "恢复计时",
    "approve": "准予",
    "deny": "不予",
    "cancel": "终止",
}


C, T = CaseState, TaskState
CASE_MACHINE = Machine(
    "办件",
    [
        Transition(C.draft, "submit", C.submitted, Party.applicant),
        Transition(C.draft, "withdraw", C.withdrawn, Party.applicant),
        Transition(C.submitted, "withdraw", C.withdrawn, Party.applicant),
        Transition(C.submitted, "accept", C.accepted, Party.window),
        Transition(C.submitted, "refuse", C.refused, Party.window),
        Transition(C.submitted, "request_correction", C.correction_requested, Party.window),
        Transition(C.correction_requested, "resubmit", C.submitted, Party.applicant),
        Transition(C.correction_requested, "withdraw", C.withdrawn, Party.applicant),
        # Withdrawal after acceptance is refused by the service once any item is decided.
        Transition(C.accepted, "withdraw", C.withdrawn, Party.applicant),
        Transition(C.accepted, "complete", C.completed, Party.system),
        Transition(C.completed, "deliver", C.delivered, Party.window),
    ],
    CASE_STATE_LABELS,
    CASE_ACTION_LABELS,
)

TASK_MACHINE = Machine(
    "部门子件",
    [
        Transition(T.waiting, "start", T.pending, Party.system),
        Transition(T.waiting, "cancel", T.cancelled, Party.system),
        Transition(T.pending, "claim", T.claimed, Party.reviewer),
        Transition(T.pending, "cancel", T.cancelled, Party.system),
        Transition(T.claimed, "pause", T.paused, Party.reviewer),
        Transition(T.claimed, "approve", T.approved, Party.reviewer),
        Transition(T.claimed, "deny", T.denied, Party.reviewer),
        Transition(T.claimed, "cancel", T.cancelled, Party.system),
        Transition(T.paused, "resume", T.claimed, Party.reviewer),
        Transition(T.paused, "cancel", T.cancelled, Party.system),
    ],
    TASK_STATE_LABELS,
    TASK_ACTION_LABELS,
)

DECIDED_TASK_STATES = frozenset({T.approved, T.denied, T.cancelled})


class PauseKind(StrEnum):
    """Steps that by law do not count toward the time limit (特别程序)."""

    site_inspection = "site_inspection"
    expert_review = "expert_review"
    hearing = "hearing"
    testing = "testing"


PAUSE_KIND_LABELS: dict[str, str] = {
    "site_inspection": "现场踏勘",
    "expert_review": "专家评审",
    "hearing": "听证",
    "testing": "检验检测",
}


class Delivery(StrEnum):
    online = "online"
    window = "window"
    post = "post"


DELIVERY_LABELS: dict[str, str] = {
    "online": "网上下载",
    "window": "窗口领取",
    "post": "邮寄送达",
}


class Alert(StrEnum):
    none = "none"
    yellow = "yellow"
    red = "red"


ALERT_LABELS: dict[str, str] = {"none": "正常", "yellow": "临近时限", "red": "已超时"}
