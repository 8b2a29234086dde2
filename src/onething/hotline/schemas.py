"""Request and response shapes of the hotline API, and how a ticket is shown in them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from onething.core.ids import mask_phone
from onething.hotline.answers import Answer
from onething.hotline.merging import MergeSuggestion
from onething.hotline.models import HotspotAlert, Ticket
from onething.hotline.queries import TimelineEntry
from onething.hotline.states import (
    ALERT_LABELS,
    STATE_LABELS,
    TICKET_MACHINE,
    URGENCY_LABELS,
)


class TextIn(BaseModel):
    text: str = Field(max_length=2000)


class ChoiceOut(BaseModel):
    department: str
    code: str
    confidence: float


class ProposalOut(BaseModel):
    department: str = Field(description="承办单位名称（与部门目录一致）")
    code: str
    confidence: float
    top3: list[ChoiceOut]
    type: str
    type_confidence: float
    category: str
    urgency: str


class TicketIn(BaseModel):
    content: str = Field(max_length=2000, description="诉求内容")
    caller_name: str = Field(max_length=60)
    caller_phone: str = Field(max_length=20)
    channel: str = Field(default="phone", description="phone, web, app, wechat, sms")
    region_code: str | None = Field(default=None, description="诉求所在地的区划代码（12位）")
    address: str = Field(default="", max_length=200)
    contact: str | None = Field(default=None, max_length=60)
    type: str | None = Field(default=None, description="不填时采用智能分拨的建议")
    category: str | None = Field(default=None, max_length=40)
    urgency: str | None = Field(default=None, description="emergency, utility, normal")


class VersionIn(BaseModel):
    version: int | None = Field(default=None, description="调用方看到的版本；已变化时返回 409")


class AnswerIn(VersionIn):
    answer: str = Field(max_length=2000)
    sources: list[str] = Field(default_factory=list, description="所依据的一件事、事项或政策")


class DispatchIn(VersionIn):
    department: int | str | None = Field(
        default=None, description="主办单位 id 或代码；不填时按智能分拨建议"
    )
    assisting: list[int | str] = Field(default_factory=list, description="协办单位")
    note: str | None = Field(default=None, max_length=500)


class TransferIn(VersionIn):
    line: str = Field(description="110, 119, 120 或 122")
    note: str | None = Field(default=None, max_length=500)


class MergeIn(VersionIn):
    into: str = Field(description="并入的工单编号")


class ReasonIn(VersionIn):
    reason: str = Field(max_length=500)


class ReturnReviewIn(VersionIn):
    approve: bool
    department: int | str | None = Field(default=None, description="同意退单时的改派单位")
    assisting: list[int | str] = Field(default_factory=list)
    note: str | None = Field(default=None, max_length=500)


class ExtensionIn(VersionIn):
    days: int = Field(ge=1, le=30)
    reason: str = Field(max_length=500)


class DecisionIn(VersionIn):
    approve: bool
    note: str | None = Field(default=None, max_length=500)


class ReplyIn(VersionIn):
    text: str = Field(max_length=2000)


class CallbackIn(VersionIn):
    solved: bool
    satisfaction: int = Field(ge=1, le=5, description="5 非常满意 … 1 非常不满意")
    note: str | None = Field(default=None, max_length=500)


class NoteIn(BaseModel):
    note: str = Field(max_length=500)


class LookupIn(BaseModel):
    number: str = Field(max_length=24)
    phone: str = Field(max_length=20)


class TicketOut(BaseModel):
    id: int
    number: str
    state: str
    state_label: str
    type: str
    category: str
    urgency: str
    urgency_label: str
    content: str
    caller_name: str
    caller_phone: str = Field(description="列表中已脱敏")
    region_code: str
    region: str
    address: str
    department: str | None
    department_code: str | None
    received_at: dt.datetime
    dispatch_due_at: dt.datetime
    due_on: dt.date | None
    alert: str
    alert_label: str
    escalated: bool
    reopen_count: int
    handled_directly: bool
    version: int

    @classmethod
    def of(cls, t: Ticket, *, masked: bool = True) -> TicketOut:
        return cls(
            id=t.id,
            number=t.number,
            state=t.state,
            state_label=STATE_LABELS[t.state],
            type=t.type,
            category=t.category,
            urgency=t.urgency,
            urgency_label=URGENCY_LABELS[t.urgency],
            content=t.content,
            caller_name=t.caller_name[:1] + "**" if masked else t.caller_name,
            caller_phone=mask_phone(t.caller_phone) if masked else t.caller_phone,
            region_code=t.region_code,
            region=t.region.name,
            address=t.address,
            department=t.department.name if t.department else None,
            department_code=t.department.code if t.department else None,
            received_at=t.received_at,
            dispatch_due_at=t.dispatch_due_at,
            due_on=t.due_on,
            alert=t.alert,
            alert_label=ALERT_LABELS[t.alert],
            escalated=t.escalated,
            reopen_count=t.reopen_count,
            handled_directly=t.handled_directly,
            version=t.version,
        )


class TicketDetail(TicketOut):
    channel: str
    contact: str | None
    proposal: dict[str, Any] | None
    assisting: list[int]
    transfer_to: str | None
    merged_into_id: int | None
    dispatched_at: dt.datetime | None
    started_on: dt.date | None
    handling_days: int
    replied_at: dt.datetime | None
    closed_at: dt.datetime | None
    reply: str | None
    pending: dict[str, Any] | None
    return_count: int
    solved: bool | None
    satisfaction: int | None
    on_time: bool | None
    actions: list[str] = Field(description="当前状态下表中允许的操作")

    @classmethod
    def build(cls, t: Ticket) -> TicketDetail:
        base = TicketOut.of(t, masked=False).model_dump()
        return cls(
            **base,
            channel=t.channel,
            contact=t.contact,
            proposal=t.proposal,
            assisting=[int(a) for a in t.assisting],
            transfer_to=t.transfer_to,
            merged_into_id=t.merged_into_id,
            dispatched_at=t.dispatched_at,
            started_on=t.started_on,
            handling_days=t.handling_days,
            replied_at=t.replied_at,
            closed_at=t.closed_at,
            reply=t.reply,
            pending=t.pending,
            return_count=t.return_count,
            solved=t.solved,
            satisfaction=t.satisfaction,
            on_time=t.on_time,
            actions=TICKET_MACHINE.allowed(t.state),
        )


class MergeSuggestionOut(BaseModel):
    ticket: TicketOut
    score: float

    @classmethod
    def of(cls, m: MergeSuggestion) -> MergeSuggestionOut:
        return cls(ticket=TicketOut.of(m.ticket), score=m.score)


class AnswerOut(BaseModel):
    kind: str
    name: str
    summary: str
    link: str
    score: float

    @classmethod
    def of(cls, a: Answer) -> AnswerOut:
        return cls(kind=a.kind, name=a.name, summary=a.summary, link=a.link, score=a.score)


class TimelineOut(BaseModel):
    at: dt.datetime
    who: str
    what: str
    note: str | None

    @classmethod
    def of(cls, e: TimelineEntry) -> TimelineOut:
        return cls(at=e.at, who=e.who, what=e.what, note=e.note)


class HotspotOut(BaseModel):
    region_code: str
    category: str
    day: dt.date
    count: int
    baseline: float
    ticket_ids: list[int]

    @classmethod
    def of(cls, h: HotspotAlert) -> HotspotOut:
        return cls(
            region_code=h.region_code,
            category=h.category,
            day=h.day,
            count=h.count,
            baseline=h.baseline,
            ticket_ids=[int(i) for i in h.ticket_ids],
        )


class AnalyticsOut(BaseModel):
    total: int
    by_type: dict[str, int]
    by_category: dict[str, int]
    by_department: dict[str, int]
    by_region: dict[str, int]
    by_day: dict[str, int]
    response_rate: float | None
    solution_rate: float | None
    satisfaction_rate: float | None
    on_time_rate: float | None
    direct_share: float | None
    mean_satisfaction: float | None
    hotspots: list[HotspotOut]


class PublicStepOut(BaseModel):
    at: dt.datetime
    what: str


class PublicTicketOut(BaseModel):
    number: str
    type: str
    category: str
    state: str
    state_label: str
    caller_phone: str
    received_at: dt.datetime
    department: str | None
    due_on: dt.date | None
    reply: str | None
    steps: list[PublicStepOut]
