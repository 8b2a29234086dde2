"""An enterprise opens a restaurant as one thing: apply, correct once, parallel review in the
required order, one delivery; every step through the pages in chromium."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import login, shot

pytestmark = pytest.mark.browser

ENTERPRISE = "91410103MA9G5K3D2U"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
ANSWERS = [
    "否，需要办理企业设立登记",
    "是，设置户外招牌",
    "建筑面积不足300平方米且无娱乐功能",
    "否，申请现场检查后许可",
    "热食类食品制售（炒菜、面食、火锅等）",
    "法定代表人（负责人）本人办理",
]
TYPED = {
    "legal_rep_name": "张伟",
    "legal_rep_id_number": "410103198506123014",
    "business_address": "河南省郑州市二七区大学路80号1层",
    "registered_capital": "50",
    "business_scope": "餐饮服务",
    "employee_count": "8",
    "contact_name": "张伟",
    "contact_phone": "13800000000",
    "health_check_count": "8",
    "health_check_date": "2026-12-01",
    "food_business_items": "热食类食品制售",
    "operating_area": "120",
    "seat_count": "40",
    "food_safety_manager_name": "李娜",
    "sign_text": "二七味道",
    "sign_size": "6×1.2",
    "sign_material": "不锈钢",
}
CHOSEN = {
    "enterprise_type": "有限责任公司",
    "food_business_form": "餐饮服务经营者",
    "sign_lighting": "发光字",
}
REQUIRED_MATERIALS = [
    "articles_of_association",
    "officer_appointment",
    "staff_list",
    "staff_id_card",
    "food_equipment_layout",
    "food_safety_rules",
    "sign_design_drawing",
    "sign_site_photo",
]


def _open_task(page: Any, base: str, number: str, item: str) -> None:
    page.goto(base + "/dept/tasks")
    row = page.locator("#inbox tbody tr").filter(has_text=number).filter(has_text=item)
    row.get_by_role("link").click()


def _approve(page: Any, base: str, account: str, number: str, item: str) -> None:
    from playwright.sync_api import expect

    login(page, base, account)
    _open_task(page, base, number, item)
    page.get_by_role("button", name="签收", exact=True).click()
    expect(page.locator("#task-state")).to_have_text("审查中")
    page.get_by_label("审批意见").fill("材料齐全，符合法定条件，准予。")
    page.get_by_role("button", name="准予", exact=True).click()
    expect(page.locator("#task-state")).to_have_text("准予")


def test_enterprise_opens_a_restaurant_as_one_thing(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    base = live_server
    login(page, base, ENTERPRISE)
    page.goto(base + "/bundles/food_business")
    page.get_by_role("link", name="在线申请").click()
    for label in ANSWERS:
        page.get_by_label(label).check()
    shot(page, "case_apply_situations")
    page.get_by_role("button", name="开始填写申请").click()

    expect(page.get_by_role("heading", name="第一步：填写申请表")).to_be_visible()
    expect(page.locator('[name="field.enterprise_name"]')).to_have_value(
        "郑州二七味道餐饮管理有限公司"
    )
    for key, value in TYPED.items():
        page.locator(f'[name="field.{key}"]').fill(value)
    for key, value in CHOSEN.items():
        page.locator(f'[name="field.{key}"]').select_option(value)
    for key in REQUIRED_MATERIALS:
        upload = {"name": f"{key}.pdf", "mimeType": "application/pdf", "buffer": PDF}
        page.locator(f"#file-{key}").set_input_files(upload)
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#pre-review")).to_contain_text("可以提交")
    expect(page.locator("#m-staff_list")).to_contain_text("staff_list.pdf")
    shot(page, "case_form_ready")
    page.get_by_role("button", name="提交申请").click()

    expect(page.locator("#case-state")).to_have_text("待受理")
    number = page.locator(".summary b").first.inner_text().strip()
    assert re.fullmatch(r"410103\d{14}", number), number
    case_url = page.url
    shot(page, "case_submitted")

    login(page, base, "window")
    page.goto(base + "/window")
    shot(page, "window_queue")
    page.locator("#queue tbody tr").filter(has_text=number).get_by_role("link").click()
    expect(page.get_by_text("预审通过")).to_be_visible()
    page.get_by_label("经营范围", exact=True).check()
    page.get_by_label("经营范围 的补正要求").fill("经营范围应按规范表述，补充“食品销售”")
    page.get_by_label("给申请人的说明").fill("请在5个工作日内补正。")
    shot(page, "window_review")
    page.get_by_role("button", name="发送一次性告知").click()
    expect(page.get_by_text("待补正").first).to_be_visible()

    login(page, base, ENTERPRISE)
    page.goto(base + "/my/cases")
    page.locator("table.list tbody tr").filter(has_text=number).get_by_role(
        "link", name="去补正"
    ).click()
    expect(page.locator("#correction-notice")).to_contain_text("补充“食品销售”")
    expect(page.locator(".has-fix")).to_contain_text("窗口要求")
    shot(page, "case_correction")
    page.locator('[name="field.business_scope"]').fill("餐饮服务；食品销售")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("#case-state")).to_have_text("待受理")

    login(page, base, "window")
    page.goto(base + "/window")
    page.locator("#queue tbody tr").filter(has_text=number).get_by_role("link").click()
    expect(page.locator("#changes")).to_contain_text("餐饮服务；食品销售")
    shot(page, "window_changes")
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.get_by_text("已受理，审批中").first).to_be_visible()

    login(page, base, "scjg")
    page.goto(base + "/dept/tasks")
    inbox = page.locator("#inbox tbody tr").filter(has_text=number)
    expect(inbox.filter(has_text="企业设立登记")).to_have_count(1)
    expect(inbox.filter(has_text="食品经营许可")).to_have_count(0)
    shot(page, "dept_inbox")
    _open_task(page, base, number, "企业设立登记")
    page.get_by_role("link", name="食品经营许可（新办）").click()
    expect(page.locator("#waiting")).to_contain_text("等待前置事项办结后才能开始办理")
    expect(page.get_by_role("button", name="签收")).to_have_count(0)
    shot(page, "dept_waiting")

    _approve(page, base, "scjg", number, "企业设立登记")
    shot(page, "dept_approved")
    _approve(page, base, "wjw", number, "食品从业人员健康证明")
    _approve(page, base, "scjg", number, "食品经营许可")
    _approve(page, base, "cgj", number, "户外招牌设施设置")

    login(page, base, "window")
    page.goto(base + "/window?state=completed")
    page.locator("#queue tbody tr").filter(has_text=number).get_by_role("link").click()
    expect(page.locator("#deliver")).to_contain_text("食品经营许可证")
    page.get_by_role("button", name="出件").click()
    expect(page.get_by_text("已出件").first).to_be_visible()

    login(page, base, ENTERPRISE)
    page.goto(case_url)
    expect(page.locator("#case-state")).to_have_text("已出件")
    expect(page.get_by_role("heading", name="办理结果")).to_be_visible()
    timeline = page.locator("#timeline")
    for step in ("提交申请", "一次性告知补正", "补正后重新提交", "受理", "准予", "出件"):
        expect(timeline).to_contain_text(step)
    expect(page.locator("#nav-messages .badge")).to_be_visible()
    shot(page, "case_delivered")

    login(page, base, "supervisor")
    page.get_by_role("link", name="超期督办").click()
    expect(page.get_by_role("heading", name="超期督办")).to_be_visible()
    shot(page, "supervision")
