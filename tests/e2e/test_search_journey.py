"""A shop owner describes what she wants in her own words on the home page, is shown the
bundle with the answers her words already give, and starts the application with them
pre-selected for her to confirm, in chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import login, shot

pytestmark = pytest.mark.browser

ENTERPRISE = "91410103MA9G5K3D2U"


def test_a_description_leads_to_the_application(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    base = live_server
    login(page, base, ENTERPRISE)
    page.goto(base + "/")
    page.get_by_role("searchbox", name="搜索").fill("我想在二七区开一家奶茶店，门口要挂招牌")
    page.get_by_role("button", name="搜索").click()
    guidance = page.locator("#guidance")
    expect(guidance).to_contain_text("开办餐饮店一件事")
    expect(guidance).to_contain_text("是，设置户外招牌")
    expect(guidance).to_contain_text("自制饮品制售")
    shot(page, "search_guidance")

    guidance.get_by_role("link", name="确认后开始办理").click()
    expect(page.get_by_role("heading", name="在线申请：开办餐饮店一件事")).to_be_visible()
    expect(page.locator("#q-outdoor_sign input[value=yes]")).to_be_checked()
    expect(page.locator("#q-food_items input[value=drinks]")).to_be_checked()
    expect(page.locator("#q-outdoor_sign")).to_contain_text("已预选")
    shot(page, "apply_preselected")


def test_pinyin_on_the_search_page(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(live_server + "/search?q=xsecs")
    expect(page.locator("ul.results").first).to_contain_text("新生儿出生一件事")
    expect(page.locator("mark").first).to_be_visible()
