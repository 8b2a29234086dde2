"""The Grant and PolicyPush state machines as explicit tables."""

from __future__ import annotations

from enum import StrEnum

from onething.core.machine import Machine, Transition


class Party(StrEnum):
    applicant = "applicant"
    department = "department"
    system = "system"


class GrantState(StrEnum):
    granted = "granted"
    fulfilled = "fulfilled"
    revoked = "revoked"


class PushState(StrEnum):
    pushed = "pushed"
    applied = "applied"
    approved = "approved"
    rejected = "rejected"
    dismissed = "dismissed"
    withdrawn = "withdrawn"


GRANT_STATE_LABELS = {"granted": "已认定，待兑现", "fulfilled": "已兑现", "revoked": "已撤销"}
GRANT_ACTION_LABELS = {"fulfil": "登记兑现", "revoke": "撤销"}
PUSH_STATE_LABELS = {
    "pushed": "已推送，待申请",
    "applied": "已申请，待审核",
    "approved": "已通过",
    "rejected": "未通过",
    "dismissed": "已放弃",
    "withdrawn": "已撤回推送",
}
PUSH_ACTION_LABELS = {
    "apply": "确认申请",
    "dismiss": "放弃申请",
    "approve": "审核通过",
    "reject": "审核不通过",
    "withdraw": "撤回推送",
}

G, P = GrantState, PushState
GRANT_MACHINE = Machine(
    "兑现记录",
    [
        Transition(G.granted, "fulfil", G.fulfilled, Party.department),
        Transition(G.granted, "revoke", G.revoked, Party.department),
        # Eligibility found wrong after payment: revoked, and the payment recovered offline.
        Transition(G.fulfilled, "revoke", G.revoked, Party.department),
    ],
    GRANT_STATE_LABELS,
    GRANT_ACTION_LABELS,
)
PUSH_MACHINE = Machine(
    "政策推送",
    [
        Transition(P.pushed, "apply", P.applied, Party.applicant),
        Transition(P.pushed, "dismiss", P.dismissed, Party.applicant),
        # The engine withdraws a push whose profile no longer meets the policy.
        Transition(P.pushed, "withdraw", P.withdrawn, Party.system),
        Transition(P.applied, "approve", P.approved, Party.department),
        Transition(P.applied, "reject", P.rejected, Party.department),
    ],
    PUSH_STATE_LABELS,
    PUSH_ACTION_LABELS,
)
