"""An unemployed man finds out which policies he can have, opens the application the platform
filled in for his 失业保险金 and submits it in one step, in chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import login, shot

pytestmark = pytest.mark.browser

ZHANG_WEI = "410103198506123014"


def test_a_person_submits_his_prefilled_application(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    base = live_server
    login(page, base, ZHANG_WEI)
    page.get_by_role("link", name="张伟").click()
    page.get_by_role("link", name="我能享受哪些政策").click()
    expect(page.get_by_role("heading", name="我能享受哪些政策", exact=True)).to_be_visible()
    found = page.locator("#eligible-P06")
    expect(found).to_contain_text("失业保险金")
    expect(found).to_contain_text("1600元/月")
    expect(page.locator("#nearly-list")).to_contain_text("您的为2600元/月")
    expect(page.locator("#profile-values")).to_contain_text("累计缴纳失业保险费")
    shot(page, "policies_mine")

    found.get_by_role("link", name="查看填好的申请表").click()
    expect(page.get_by_role("heading", name="失业保险金", exact=True)).to_be_visible()
    expect(page.locator("#push-state")).to_have_text("已推送，待申请")
    expect(page.locator("#facts")).to_contain_text("62个月")
    shot(page, "policy_push_form")
    page.get_by_role("button", name="确认无误，提交申请").click()

    expect(page.locator("#push-state")).to_have_text("已申请，待审核")
    expect(page.locator("#flash")).to_contain_text("申请已提交")
    expect(page.get_by_role("button", name="确认无误，提交申请")).to_have_count(0)
    shot(page, "policy_push_applied")

    page.goto(base + "/policies/mine")
    row = page.locator("#push-list tbody tr").filter(has_text="失业保险金")
    expect(row).to_contain_text("已申请，待审核")
    expect(page.locator("#eligible-P06")).to_contain_text("已申请，待审核")
