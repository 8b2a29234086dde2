"""A citizen opens the portal, finds 开办餐饮店 and reads its guide."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import shot

pytestmark = pytest.mark.browser


def test_open_home_then_read_the_food_business_guide(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(live_server + "/")
    expect(page.get_by_role("heading", name="高效办成一件事")).to_be_visible()
    cards = page.locator("a.card")
    assert cards.count() >= 21
    expect(page.get_by_text("个人办事")).to_be_visible()
    shot(page, "home")

    page.get_by_role("link", name=re.compile("开办餐饮店一件事")).click()
    expect(page.get_by_role("heading", name=re.compile("开办餐饮店一件事"))).to_be_visible()
    banner = page.locator("#reduction")
    expect(banner).to_contain_text("减材料")
    assert re.search(r"减材料 [1-9]\d* 项、减时限 [1-9]\d* 个工作日", banner.inner_text())
    expect(page.get_by_role("heading", name="一套材料")).to_be_visible()
    expect(page.get_by_role("heading", name="情形选择")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("食品经营许可"))).to_be_visible()
    shot(page, "food_business_guide")

    page.get_by_role("link", name=re.compile("食品经营许可")).first.click()
    expect(page.get_by_role("heading", name="设定依据")).to_be_visible()
    expect(page.get_by_role("heading", name="申请材料")).to_be_visible()


def test_login_with_a_wrong_id_number_shows_why(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(live_server + "/login")
    page.get_by_label("公民身份号码 / 统一社会信用代码 / 工作人员账号").fill("410103198506123015")
    page.get_by_label("密码").fill("onething2026")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#login-error")).to_have_text("公民身份号码校验码不正确")
    shot(page, "login_error")
