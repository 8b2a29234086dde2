"""智能导办 on ten descriptions, and 智能问答 with its citations: extractive without a model,
rephrased by a local OpenAI-compatible server when one is configured, and honest when the
catalog has no answer."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from onething.catalog import service as catalog
from onething.config import Settings
from onething.guidance import guide, qa
from onething.guidance.service import current_index

DESCRIPTIONS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "我想在二七区开一家奶茶店，门口要挂招牌",
        "food_business",
        {"outdoor_sign": "yes", "food_items": ["drinks"]},
    ),
    (
        "开个两百平的川菜馆，还没办营业执照，不挂招牌",
        "food_business",
        {
            "has_business_licence": "no",
            "outdoor_sign": "no",
            "public_gathering_place": "neither",
            "food_items": ["hot_food"],
        },
    ),
    (
        "我爸在医院病逝了，他是厂里退休的，有驾照，公积金里还有钱",
        "after_death",
        {
            "death_type": "normal",
            "pension_insurance": "enterprise",
            "driving_licence": "yes",
            "housing_fund": "yes",
        },
    ),
    (
        "刚生了孩子，我和老婆都在单位交五险，想一起办",
        "newborn",
        {"maternity_insurance": "yes", "parents_marriage": "married"},
    ),
    (
        "孩子六岁了，我们租房住，有居住证，想上小学",
        "school_enrolment",
        {"school_stage": "primary", "enrolment_category": "migrant_rent"},
    ),
    (
        "社保卡丢了要补办，顺便开通坐地铁",
        "social_security_card",
        {"card_business": "replacement", "card_uses": ["transport"]},
    ),
    (
        "想开个物流公司拉货，车还没买，公司还没注册",
        "transport_company",
        {"has_business_licence": "no", "transport_business": ["freight"], "vehicles_ready": "no"},
    ),
    (
        "租的厂房要接电接水，还得挖马路",
        "utility_connection",
        {"services": ["electricity", "water"], "road_works": "yes", "premises": "leased"},
    ),
    (
        "婚检和迁户口一起办",
        "marriage_childbirth",
        {"health_exams": ["premarital"], "hukou_move": "move"},
    ),
    (
        "退伍回来自主就业，还没有社保卡",
        "veteran_discharge",
        {"resettlement_mode": "self_employed", "social_security_card": "apply"},
    ),
]


@pytest.mark.parametrize(("text", "bundle", "answers"), DESCRIPTIONS)
def test_guidance_proposes_the_bundle_and_the_answers_it_can_infer(
    db: Session, text: str, bundle: str, answers: dict[str, Any]
) -> None:
    docs = {b.code: catalog.bundle_schema(b) for b in catalog.list_bundles(db)}
    proposal = guide.propose(current_index(db), docs, text)
    assert proposal is not None
    assert proposal.bundle == bundle
    assert proposal.answers == answers
    assert set(proposal.because) == set(answers)
    asked = {s.key for s in docs[bundle].situations}
    assert set(proposal.open_questions) == asked - set(answers)


def test_guidance_says_nothing_when_it_cannot_tell(db: Session) -> None:
    docs = {b.code: catalog.bundle_schema(b) for b in catalog.list_bundles(db)}
    assert guide.propose(current_index(db), docs, "今天天气不错") is None


def test_areas_are_read_in_digits_and_words() -> None:
    assert guide.area_of("门面120平米") == 120
    assert guide.area_of("大概两百平") == 200
    assert guide.area_of("350平方米的大堂") == 350
    assert guide.area_of("没说面积") is None


def test_guidance_api_links_to_the_application_with_the_answers(
    client: TestClient, login_token: Any
) -> None:
    r = client.post("/api/v1/guidance", json={"text": "我想在二七区开一家奶茶店，门口要挂招牌"})
    body = r.json()
    assert body["bundle"] == "food_business"
    assert (
        body["apply_url"] == "/apply/food_business?answer.outdoor_sign=yes&answer.food_items=drinks"
    )
    assert client.post("/api/v1/guidance", json={"text": "x"}).status_code == 422


def test_the_application_page_shows_the_inferred_answers_to_confirm(client: TestClient) -> None:
    from tests.conftest import page_login

    page_login(client, "91410103MA9G5K3D2U")
    page = client.get("/apply/food_business?answer.outdoor_sign=yes&answer.food_items=drinks").text
    assert "已根据您的描述预选了 2 个问题的答案" in page
    assert 'value="yes" checked' in page
    assert 'value="drinks" checked' in page


@pytest.mark.parametrize(
    ("question", "section", "quoted"),
    [
        ("出生医学证明多久能拿到", "time", "工作日"),
        ("办残疾人证要带什么材料", "materials", "身份证"),
        ("公积金提取在哪办", "place", "住房公积金"),
        ("结婚登记需要什么条件", "conditions", "双方"),
    ],
)
def test_questions_are_answered_from_the_guides_with_the_source(
    db: Session, question: str, section: str, quoted: str
) -> None:
    found = qa.answer(db, question, Settings(llm_url=""))
    assert found.answered
    assert found.section == section
    assert quoted in found.text
    assert found.citations
    assert found.citations[0].url.startswith(("/items/", "/bundles/"))
    assert found.source in ("faq", "guide")


def test_a_question_it_cannot_answer_says_so_and_offers_help(db: Session) -> None:
    found = qa.answer(db, "火星移民怎么申请", Settings(llm_url="", hotline="12345"))
    assert not found.answered
    assert "12345" in found.text
    assert "帮办代办" in found.text
    assert found.citations == []


class FakeModel(BaseHTTPRequestHandler):
    """A local OpenAI-compatible chat endpoint: it records the request and answers from it."""

    seen: list[dict[str, Any]] = []  # noqa: RUF012 - shared on purpose between requests
    fail = False

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeModel.seen.append(
            {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
        )
        if FakeModel.fail:
            self.send_response(500)
            self.end_headers()
            return
        passage = body["messages"][1]["content"].split("：", 1)[1].split("\n")[0]
        reply = {
            "choices": [{"message": {"role": "assistant", "content": f"简单说：{passage[:30]}[1]"}}]
        }
        data = json.dumps(reply, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def model_url() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), FakeModel)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeModel.seen.clear()
    FakeModel.fail = False
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_a_configured_model_rephrases_from_the_passages_with_citations(
    db: Session, model_url: str
) -> None:
    settings = Settings(llm_url=model_url, llm_api_key="k-test", llm_model="local-test")
    extractive = qa.answer(db, "出生医学证明多久能拿到", Settings(llm_url=""))
    found = qa.answer(db, "出生医学证明多久能拿到", settings)
    assert found.source == "llm"
    assert found.text.startswith("简单说：")
    assert found.text.endswith("[1]")
    assert found.citations == extractive.citations
    [call] = FakeModel.seen
    assert call["path"] == "/v1/chat/completions"
    assert call["auth"] == "Bearer k-test"
    assert call["body"]["model"] == "local-test"
    assert extractive.text in call["body"]["messages"][1]["content"], "the model gets the passage"


def test_a_failing_model_falls_back_to_the_guide(db: Session, model_url: str) -> None:
    FakeModel.fail = True
    found = qa.answer(
        db, "出生医学证明多久能拿到", Settings(llm_url=model_url, llm_timeout_seconds=5)
    )
    assert found.answered
    assert found.source in ("faq", "guide")


def test_qa_api(client: TestClient) -> None:
    r = client.get("/api/v1/qa", params={"q": "办残疾人证要带什么材料"})
    body = r.json()
    assert body["answered"] is True
    assert body["citations"][0]["section"] == "申请材料"
    page = client.get("/search", params={"q": "办残疾人证要带什么材料"}).text
    assert 'id="answer"' in page
    assert "出处" in page
