"""Demo profiles: the demo accounts' own, and a synthetic population of 二七区 (seeded, so the
same every time) whose mix of ages, incomes, jobs and firms gives every policy real matches."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from onething.core.audit import SYSTEM
from onething.core.ids import make_id_number
from onething.profiles.attributes import ProfileKind
from onething.profiles.models import Profile
from onething.profiles.service import (
    create_profile,
    ensure_profile_for_user,
    set_reuse_consent,
    set_values,
)

PERSONS = 1500
ENTERPRISES = 300
TODAY = dt.date(2026, 12, 1)
ERQI_PLACES = [
    "410103001001",
    "410103001002",
    "410103002000",
    "410103003000",
    "410103004000",
    "410103005000",
    "410103007001",
    "410103007002",
    "410103008001",
    "410103009000",
    "410103010000",
    "410103100200",
]
ELSEWHERE = ["410102001000", "410105001000", "410302", "411502", "420102", "320102"]
INDUSTRIES = [
    ("C1391", "小型"),
    ("C3311", "中型"),
    ("C3989", "小型"),
    ("C2710", "中型"),
    ("F5123", "微型"),
    ("F5261", "微型"),
    ("H6210", "小型"),
    ("H6231", "微型"),
    ("H6110", "小型"),
    ("I6513", "小型"),
    ("I6531", "中型"),
    ("L7211", "中型"),
    ("L7271", "小型"),
    ("M7320", "小型"),
    ("E4813", "大型"),
    ("O8010", "微型"),
    ("R8610", "微型"),
]


@dataclass(frozen=True)
class DemoProfile:
    """A demo account's profile: what makes its policy page worth opening."""

    login: str
    values: dict[str, Any]


ACCOUNT_PROFILES = (
    DemoProfile(
        "410103198506123014",
        {
            "hukou_region": "410103001001",
            "residence_region": "410103001001",
            "hukou_type": "城镇",
            "household_size": 3,
            "dibao_member": False,
            "disability_cert": False,
            "family_income_per_capita": 2600.0,
            "employment_status": "登记失业",
            "registered_unemployed_months": 7,
            "ui_paid_months": 62,
            "unemployment_involuntary": True,
            "employment_difficulty": False,
            "education_level": "专科",
            "military_status": "自主就业退役士兵",
            "medical_insurance_type": "职工医保",
            "has_social_security_card": True,
            "skill_cert_level": "四级",
            "skill_cert_date": "2026-06-18",
        },
    ),
    DemoProfile(
        "410103199008151623",
        {
            "hukou_region": "410103002000",
            "residence_region": "410103002000",
            "hukou_type": "城镇",
            "household_size": 4,
            "dibao_member": False,
            "disability_cert": False,
            "family_income_per_capita": 3800.0,
            "employment_status": "在职参保",
            "ui_paid_months": 96,
            "maternity_insured": True,
            "childbirth_date": "2026-09-12",
            "children_under3_count": 1,
            "child_birth_legal": True,
            "education_level": "本科",
            "medical_insurance_type": "职工医保",
            "has_social_security_card": True,
        },
    ),
    DemoProfile(
        "410103194003150020",
        {
            "hukou_region": "410103007001",
            "residence_region": "410103007001",
            "hukou_type": "城镇",
            "household_size": 1,
            "family_income_per_capita": 1350.0,
            "lives_alone": True,
            "self_care_ability": "部分丧失",
            "employment_status": "未就业",
            "resident_pension_insured": True,
            "pension_contribution_years": 15,
            "receiving_basic_pension": "城乡居民养老金",
            "medical_insurance_type": "城乡居民医保",
            "has_social_security_card": True,
            "dibao_member": False,
            "disability_cert": False,
        },
    ),
    DemoProfile(
        "91410103MA9G5K3D2U",
        {
            "entity_type": "企业法人",
            "registered_region": "410103",
            "tax_region": "410103",
            "founded_date": "2023-03-15",
            "industry_code": "H6210",
            "enterprise_size": "小型",
            "registered_capital": 200.0,
            "employees": 26,
            "ui_insured_employees_avg": 24,
            "total_assets": 680.0,
            "revenue_last_year": 1150.0,
            "taxable_income": 86.0,
            "vat_taxpayer_type": "小规模纳税人",
            "monthly_sales": 9.2,
            "is_small_low_profit": True,
            "tax_credit_level": "B",
            "serious_dishonesty": False,
            "abnormal_operation": False,
            "ui_paid_full_months": 30,
            "layoff_rate_last_year": 2.5,
            "new_graduate_hires": 2,
            "has_corporate_account": True,
            "high_tech_certified": False,
            "tech_sme_registered": False,
            "srdi_level": "无",
            "rd_expense_last_year": 0.0,
            "exporter": False,
        },
    ),
)


def _uscc(rng: random.Random, n: int) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    tail = "".join(rng.choice(alphabet) for _ in range(8))
    body = f"91410103{tail}{n % 10}"
    return body + uscc.calc_check_digit(body)


def _person(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    age = min(int(rng.triangular(0, 100, 38)), 104)
    birth = TODAY - dt.timedelta(days=age * 365 + rng.randrange(0, 365))
    male = rng.random() < 0.5
    local = rng.random() < 0.85
    hukou = rng.choice(ERQI_PLACES) if local else rng.choice(ELSEWHERE)
    v: dict[str, Any] = {
        "hukou_region": hukou,
        "residence_region": hukou if local or rng.random() < 0.3 else rng.choice(ERQI_PLACES),
        "hukou_type": "城镇" if rng.random() < 0.72 else "农业",
        "household_size": rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5, 6]),
        "has_social_security_card": rng.random() < 0.9,
        "medical_insurance_type": rng.choice(
            ["职工医保", "城乡居民医保", "城乡居民医保", "未参保"]
        ),
    }
    poor = rng.random() < 0.06
    v["dibao_member"] = poor
    v["low_income_family"] = not poor and rng.random() < 0.05
    v["tekun_person"] = poor and rng.random() < 0.15
    income = rng.lognormvariate(7.8, 0.5)
    v["family_income_per_capita"] = round(rng.uniform(150, 700) if poor else income, 0)
    v["poverty_alleviated"] = v["hukou_type"] == "农业" and rng.random() < 0.08
    if rng.random() < 0.07:
        level = rng.choice(["一级", "二级", "三级", "四级"])
        v.update(
            disability_cert=True,
            disability_level=level,
            disability_type=rng.choice(["视力", "听力", "言语", "肢体", "智力", "精神", "多重"]),
            needs_long_term_care=level in ("一级", "二级") and rng.random() < 0.6,
            work_injury_nursing_fee=rng.random() < 0.05,
        )
    else:
        v["disability_cert"] = False
    if age < 16:
        v["employment_status"] = "在校"
        v["orphan_or_unsupported_child"] = rng.random() < 0.01
    elif age < 23 and rng.random() < 0.7:
        v.update(
            employment_status="在校",
            full_time_student=True,
            education_level=rng.choice(["中职", "技工", "专科", "本科"]),
            in_graduation_year=rng.random() < 0.3,
            student_loan=rng.random() < 0.15,
        )
    elif age < 60:
        status = rng.choices(
            ["在职参保", "灵活就业", "登记失业", "未就业"], weights=[66, 14, 8, 12]
        )[0]
        v.update(
            employment_status=status,
            education_level=rng.choice(
                ["初中及以下", "高中", "中职", "专科", "本科", "本科", "硕士"]
            ),
            ui_paid_months=rng.randrange(0, 240) if status != "未就业" else rng.randrange(0, 24),
            employment_difficulty=status in ("登记失业", "灵活就业") and rng.random() < 0.3,
            years_to_retirement=round(max(0.0, 60 - age - rng.random()), 1),
        )
        if status == "登记失业":
            v["registered_unemployed_months"] = rng.randrange(1, 30)
            v["unemployment_involuntary"] = rng.random() < 0.75
        if age < 30 and rng.random() < 0.4:
            v["months_since_graduation"] = rng.randrange(0, 60)
        if rng.random() < 0.1:
            v["skill_cert_level"] = rng.choice(["五级", "四级", "三级", "二级"])
            v["skill_cert_date"] = (TODAY - dt.timedelta(days=rng.randrange(0, 900))).isoformat()
        if rng.random() < 0.06:
            v["individual_business_registered"] = True
            v["individual_business_reg_date"] = (
                TODAY - dt.timedelta(days=rng.randrange(0, 1500))
            ).isoformat()
        if not male and 22 <= age <= 42 and rng.random() < 0.18:
            v.update(
                childbirth_date=(TODAY - dt.timedelta(days=rng.randrange(0, 900))).isoformat(),
                children_under3_count=rng.choice([1, 1, 1, 2]),
                child_birth_legal=rng.random() < 0.97,
                maternity_insured=status == "在职参保",
            )
    else:
        insured = rng.random() < 0.6
        v.update(
            employment_status="退休" if not insured else "未就业",
            resident_pension_insured=insured,
            pension_contribution_years=rng.randrange(5, 32) if insured else 0,
            receiving_basic_pension=rng.choice(["城乡居民养老金", "无"])
            if insured
            else rng.choice(["职工养老金", "离退休费", "无"]),
            lives_alone=rng.random() < 0.16,
            self_care_ability=rng.choices(["全自理", "部分丧失", "完全丧失"], [80, 14, 6])[0],
        )
        if rng.random() < 0.25:
            v["children_composition"] = rng.choice(["一个子女", "两个女孩", "其他"])
        if rng.random() < 0.08:
            v["only_child_certificate"] = True
            v["only_child_status"] = rng.choices(["存活", "伤残", "死亡"], [90, 6, 4])[0]
    if 18 <= age < 60:
        v["military_status"] = rng.choices(
            ["无", "自主就业退役士兵", "其他退役军人"], weights=[94, 4, 2]
        )[0]
    v["family_member_conscript"] = rng.random() < 0.012
    name = rng.choice("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林郑") + rng.choice(
        [
            "秀英",
            "建国",
            "桂兰",
            "志强",
            "丽娟",
            "海涛",
            "淑珍",
            "国庆",
            "春梅",
            "子涵",
            "浩然",
            "雨桐",
        ]
    )
    serial = rng.randrange(0, 500) * 2 + (1 if male else 0)
    return make_id_number(hukou, birth, serial), name, v


def _enterprise(rng: random.Random, n: int) -> tuple[str, str, dict[str, Any]]:
    code, size = rng.choice(INDUSTRIES)
    employees = {"微型": (1, 9), "小型": (10, 99), "中型": (100, 299), "大型": (300, 2000)}[size]
    staff = rng.randrange(*employees)
    revenue = round(staff * rng.uniform(15, 90), 1)
    founded = TODAY - dt.timedelta(days=rng.randrange(60, 365 * 25))
    manufacturing = code.startswith("C")
    v: dict[str, Any] = {
        "entity_type": "个体工商户" if size == "微型" and rng.random() < 0.3 else "企业法人",
        "registered_region": "410103",
        "tax_region": "410103",
        "founded_date": founded.isoformat(),
        "industry_code": code,
        "enterprise_size": size,
        "registered_capital": round(rng.uniform(10, 5000), 0),
        "employees": staff,
        "ui_insured_employees_avg": max(0, staff - rng.randrange(0, 5)),
        "total_assets": round(revenue * rng.uniform(0.5, 2.0), 1),
        "revenue_last_year": revenue,
        "revenue_yoy_growth": round(rng.gauss(6, 12), 1),
        "taxable_income": round(revenue * rng.uniform(-0.05, 0.12), 1),
        "vat_taxpayer_type": "小规模纳税人" if revenue < 500 else "一般纳税人",
        "monthly_sales": round(revenue / 12, 1),
        "tax_credit_level": rng.choices(["A", "B", "M", "C", "D"], [25, 45, 20, 7, 3])[0],
        "serious_dishonesty": rng.random() < 0.02,
        "abnormal_operation": rng.random() < 0.04,
        "high_tech_certified": rng.random() < (0.3 if manufacturing else 0.05),
        "tech_sme_registered": rng.random() < (0.35 if manufacturing else 0.08),
        "srdi_level": rng.choices(
            ["无", "创新型中小企业", "省级专精特新", "国家级专精特新小巨人"], [80, 12, 6, 2]
        )[0],
        "above_scale_industrial": manufacturing and revenue >= 2000,
        "rd_expense_last_year": round(revenue * rng.uniform(0, 0.08), 1),
        "rd_ratio": round(rng.uniform(0, 9), 2),
        "equipment_software_investment": round(rng.uniform(0, 800), 0),
        "ui_paid_full_months": rng.randrange(0, 72),
        "layoff_rate_last_year": round(rng.uniform(0, 12), 1),
        "new_graduate_hires": rng.choice([0, 0, 0, 1, 2, 3, 5]),
        "disabled_employee_ratio": round(rng.uniform(0, 2.5), 2),
        "exporter": rng.random() < 0.08,
        "has_corporate_account": rng.random() < 0.95,
    }
    v["is_small_low_profit"] = (
        size in ("小型", "微型") and 0 <= v["taxable_income"] <= 300 and staff <= 300
    )
    v["high_tech_first_cert"] = v["high_tech_certified"] and rng.random() < 0.3
    v["first_time_above_scale"] = v["above_scale_industrial"] and rng.random() < 0.2
    if v["exporter"]:
        v["export_amount_last_year"] = round(rng.uniform(5, 900), 1)
    if manufacturing:
        v["electricity_q_vs_last_year"] = round(rng.uniform(70, 140), 1)
    name = (
        rng.choice(["郑州", "河南", "二七"])
        + rng.choice(
            ["华信", "中原", "德盛", "瑞丰", "金水", "鼎立", "嵩山", "凯旋", "恒通", "锦程"]
        )
        + {"C": "制造", "F": "商贸", "H": "餐饮", "I": "信息技术", "L": "商务服务"}.get(
            code[0], "服务"
        )
        + ("有限公司" if v["entity_type"] == "企业法人" else "店")
    )
    return _uscc(rng, n), name, v


def seed_demo_profiles(session: Session) -> int:
    """The demo accounts' profiles and the synthetic population; only what is missing is made,
    without matching (the demo runs the engine once at the end)."""
    from onething.accounts.models import User

    made = 0
    for demo in ACCOUNT_PROFILES:
        user = session.scalar(select(User).where(User.login == demo.login))
        if user is None:
            continue
        profile = ensure_profile_for_user(session, SYSTEM, user)
        if not profile.sources or set(profile.sources) <= {"birth_date", "gender"}:
            set_values(session, SYSTEM, profile, demo.values, "演示数据（部门共享）", rematch=False)
            set_reuse_consent(session, SYSTEM, user, True)
    if session.scalar(select(func.count()).where(Profile.user_id.is_(None))):
        return made  # the population is there already
    existing = set(session.scalars(select(Profile.subject_key)))
    rng = random.Random(20261201)
    for _ in range(PERSONS):
        key, name, values = _person(rng)
        if key in existing:
            continue
        existing.add(key)
        create_demo(session, ProfileKind.person, key, name, values)
        made += 1
    for n in range(ENTERPRISES):
        key, name, values = _enterprise(rng, n)
        if key in existing:
            continue
        existing.add(key)
        create_demo(session, ProfileKind.enterprise, key, name, values)
        made += 1
    return made


def create_demo(
    session: Session, kind: ProfileKind, key: str, name: str, values: dict[str, Any]
) -> None:
    create_profile(
        session,
        SYSTEM,
        kind,
        key,
        name,
        values,
        "演示数据（部门共享）",
        at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        rematch=False,
    )
