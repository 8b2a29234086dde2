"""An operator types a call and submits it with Ctrl+Enter without touching the mouse; the
dispatcher sends it to the proposed unit, which claims and answers it; the operator calls
back; the caller looks it up with the ticket number and phone. In chromium."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import shot

pytestmark = pytest.mark.browser

COMPLAINT = "二七区大学路一家饭店卖过期的牛奶，吃完孩子拉肚子，老板还不认账"


def _login(page: Any, base: str, login: str) -> None:
    from playwright.sync_api import expect

    page.context.clear_cookies()
    page.goto(base + "/login")
    page.get_by_label("公民身份号码 / 统一社会信用代码 / 工作人员账号").fill(login)
    page.get_by_label("密码").fill("onething2026")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def test_a_call_from_entry_to_lookup(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    base = live_server
    _login(page, base, "operator")
    page.get_by_role("link", name="12345受理").click()
    # the cursor starts in the content box; Tab moves through the fields; Ctrl+Enter submits
    page.keyboard.type(COMPLAINT)
    page.keyboard.press("Tab")
    page.keyboard.type("张先生")
    page.keyboard.press("Tab")
    page.keyboard.type("13712345678")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#ticket-state")).to_contain_text("已受理，待派单")
    expect(page.locator("#proposal")).to_contain_text("市场监督管理局")
    shot(page, "hotline-received")
    url = page.url
    number = re.search(r"工单编号 (R\d+)", page.locator(".lead").inner_text())
    assert number

    _login(page, base, "dispatcher")
    page.goto(url)
    expect(page.locator("#department")).to_have_value("scjgj")
    page.locator("#dispatch").get_by_role("button", name="派单").click()
    expect(page.locator("#ticket-department")).to_have_text("市场监督管理局")

    _login(page, base, "scjg")
    page.goto(base + "/hotline")
    page.get_by_role("link", name=number.group(1)).click()
    page.get_by_role("button", name="签收").click()
    page.get_by_label("办理结果").fill("已现场检查，责令下架过期牛奶并立案调查")
    page.locator("#reply").get_by_role("button", name="答复").click()
    expect(page.locator("#ticket-state")).to_contain_text("已答复，待回访")

    _login(page, base, "operator")
    page.goto(url)
    page.get_by_label("满意度").select_option("5")
    page.get_by_role("button", name="回访办结").click()
    expect(page.locator("#ticket-state")).to_contain_text("已办结（已解决）")
    expect(page.locator("#timeline")).to_contain_text("回访办结（已解决）")
    shot(page, "hotline-closed")

    page.context.clear_cookies()
    page.goto(base + "/hotline/lookup")
    page.get_by_label("工单编号").fill(number.group(1))
    page.get_by_label("来电号码").fill("13712345678")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#lookup-state")).to_have_text("已办结（已解决）")
    expect(page.locator("#result")).to_contain_text("责令下架")
