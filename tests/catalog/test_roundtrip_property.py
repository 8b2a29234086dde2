"""Property: any valid catalog document survives YAML serialisation unchanged."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from onething.catalog import schemas
from tests.catalog.builders import SCJGJ_USCC, item_code

chinese = st.text(
    alphabet="一件事办理营业执照食品经营许可申请材料证明登记（）、，。0123456789",
    min_size=1,
    max_size=30,
)
keys = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)


@st.composite
def materials(draw: st.DrawFn) -> schemas.Material:
    return schemas.Material(
        key=draw(keys),
        name=draw(chinese),
        type=draw(st.sampled_from(schemas.MaterialType)),
        source=draw(st.sampled_from(schemas.MaterialSource)),
        necessity=draw(st.sampled_from(schemas.Necessity)),
        form=draw(st.sampled_from(schemas.MaterialForm)),
        copies=draw(st.integers(0, 20)),
        shared=draw(st.booleans()),
        acceptance_standard=draw(chinese),
        note=draw(st.none() | chinese),
    )


@st.composite
def form_fields(draw: st.DrawFn) -> schemas.FormField:
    kind = draw(st.sampled_from(schemas.FieldType))
    choices = (
        draw(st.lists(chinese, min_size=1, max_size=4))
        if kind == schemas.FieldType.choice
        else None
    )
    low = draw(st.none() | st.floats(-1e6, 1e6, allow_nan=False))
    high = None if low is None else low + draw(st.floats(0, 1e6, allow_nan=False))
    return schemas.FormField(
        key=draw(keys),
        label=draw(chinese),
        type=kind,
        required=draw(st.booleans()),
        choices=choices,
        min=low,
        max=high,
        help=draw(st.none() | chinese),
    )


@st.composite
def items(draw: st.DrawFn) -> schemas.Item:
    base = draw(st.from_regex(r"[0-9]{12}", fullmatch=True))
    statutory = draw(st.integers(1, 3650))
    mats = draw(st.lists(materials(), max_size=5, unique_by=lambda m: m.key))
    flds = draw(st.lists(form_fields(), max_size=5, unique_by=lambda f: f.key))
    return schemas.Item(
        code=item_code(SCJGJ_USCC, base, draw(st.integers(1, 99999))),
        base_code=base,
        name=draw(chinese),
        type=draw(st.sampled_from(schemas.ItemType)),
        department="scjgj",
        region="410103",
        level=4,
        legal_basis=draw(chinese),
        conditions=draw(chinese),
        statutory_days=statutory,
        promised_days=draw(st.integers(1, statutory)),
        processing=draw(st.sampled_from(schemas.ProcessingKind)),
        result_type="证照",
        result_name=draw(chinese),
        visits=draw(st.integers(0, 10)),
        online_depth=draw(st.lists(st.integers(1, 7), min_size=1, max_size=7, unique=True)),
        service_object=draw(
            st.lists(st.sampled_from(schemas.ServiceObject), min_size=1, max_size=2, unique=True)
        ),
        cross_region=draw(st.sampled_from(schemas.CrossRegionScope)),
        commitment_allowed=draw(st.booleans()),
        materials=mats,
        fields=flds,
        steps=[schemas.Step(name=draw(chinese), days=draw(st.integers(0, 30)))],
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(items(), min_size=1, max_size=3, unique_by=lambda i: i.code))
def test_catalog_file_yaml_round_trip(generated: list[schemas.Item]) -> None:
    doc = schemas.CatalogFile(items=generated)
    text = yaml.safe_dump(
        {"items": [schemas.dump_model(i) for i in doc.items]}, allow_unicode=True, sort_keys=False
    )
    back = schemas.CatalogFile.model_validate(yaml.safe_load(text))
    assert back == doc
