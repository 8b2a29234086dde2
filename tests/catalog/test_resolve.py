"""Situations decide the items, and the merged form and material list follow."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def _resolve(client: TestClient, code: str, answers: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/catalog/bundles/{code}/resolve", json={"answers": answers})


def test_situations_switch_items_on_and_off(client: TestClient) -> None:
    bundle = client.get("/api/v1/catalog/bundles/food_business").json()
    names = bundle["item_names"]
    sign_code = next(c for c, n in names.items() if "户外招牌" in n)
    sign_q = next(
        s
        for s in bundle["situations"]
        if any(sign_code in o["include_items"] for o in s["options"])
    )
    yes = next(o["value"] for o in sign_q["options"] if sign_code in o["include_items"])
    no = next(o["value"] for o in sign_q["options"] if sign_code not in o["include_items"])
    with_sign = _resolve(client, "food_business", {sign_q["key"]: yes}).json()
    without = _resolve(client, "food_business", {sign_q["key"]: no}).json()
    assert sign_code in {i["code"] for i in with_sign["items"]}
    assert sign_code not in {i["code"] for i in without["items"]}
    assert len(with_sign["materials"]) > len(without["materials"])


def test_each_field_and_material_is_asked_once(client: TestClient) -> None:
    bundle = client.get("/api/v1/catalog/bundles/newborn").json()
    resolved = _resolve(client, "newborn", bundle["metrics"]["scenario"]).json()
    keys = [f["key"] for f in resolved["fields"]]
    assert len(keys) == len(set(keys))
    mkeys = [m["material"]["key"] for m in resolved["materials"]]
    assert len(mkeys) == len(set(mkeys))
    by_key = {m["material"]["key"]: m for m in resolved["materials"]}
    # 户口登记 needs the 出生医学证明, which the bundle itself issues: never asked.
    assert by_key["birth_medical_certificate"]["status"] == "issued"
    assert by_key["id_card"]["status"] == "shared"
    assert len(by_key["id_card"]["asked_by"]) >= 2


def test_dependencies_order_the_items(client: TestClient) -> None:
    bundle = client.get("/api/v1/catalog/bundles/newborn").json()
    resolved = _resolve(client, "newborn", bundle["metrics"]["scenario"]).json()
    order = [i["code"] for i in resolved["items"]]
    for code, before in resolved["after"].items():
        for dep in before:
            assert order.index(dep) < order.index(code)


def test_bad_answers_are_listed(client: TestClient) -> None:
    r = _resolve(client, "food_business", {"no_such_question": "x"})
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "no_such_question"


def test_guide_page_shows_the_reduction(client: TestClient) -> None:
    page = client.get("/bundles/newborn").text
    metrics = client.get("/api/v1/catalog/bundles/newborn").json()["metrics"]
    reduction = metrics["reduction"]
    assert (
        f"减材料 {reduction['materials']} 项、减时限 {reduction['days']} 个工作日、"
        f"减跑动 {reduction['visits']} 次"
    ) in page
    assert reduction["materials"] > 0
    assert reduction["visits"] > 0
