"""Property: the checker reports a dependency cycle exactly when the bundle's graph has one."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from onething.catalog import schemas
from onething.catalog.yamlio import CatalogSet, Known, check_catalog
from tests.catalog.builders import SCJGJ_USCC, bundle_doc, item_doc

SCJGJ = ("410103000000", "scjgj")


def _has_cycle(n: int, edges: set[tuple[int, int]]) -> bool:
    state = [0] * n  # 0 new, 1 on the stack, 2 done

    def visit(v: int) -> bool:
        state[v] = 1
        for a, b in edges:
            if a == v and (state[b] == 1 or (state[b] == 0 and visit(b))):
                return True
        state[v] = 2
        return False

    return any(state[v] == 0 and visit(v) for v in range(n))


@st.composite
def graphs(draw: st.DrawFn) -> tuple[int, set[tuple[int, int]]]:
    n = draw(st.integers(2, 7))
    pairs = [(a, b) for a in range(n) for b in range(n) if a != b]
    return n, set(draw(st.lists(st.sampled_from(pairs), max_size=12)))


@settings(max_examples=150, deadline=None)
@given(graphs())
def test_cycle_reported_iff_graph_has_one(graph: tuple[int, set[tuple[int, int]]]) -> None:
    n, edges = graph
    items = [
        schemas.Item.model_validate(item_doc(f"9000010{i:02d}000", f"事项{i}")) for i in range(n)
    ]
    doc = bundle_doc([i.code for i in items])
    for a, b in edges:  # item a waits for item b
        doc["items"][a].setdefault("after", []).append(items[b].code)
    cat = CatalogSet(
        items={i.code: i for i in items},
        bundles={"test_bundle": schemas.Bundle.model_validate(doc)},
    )
    known = Known(regions={"410103000000"}, departments={SCJGJ: SCJGJ_USCC})
    errors = check_catalog(cat, known)
    reported = any("成环" in e.message for e in errors)
    assert reported == _has_cycle(n, edges)
    assert [e for e in errors if "成环" not in e.message] == []
