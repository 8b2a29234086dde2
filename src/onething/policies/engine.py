"""The population engine: every policy against every profile, as columns.

Profiles become compact columns: yes/no, option, region and code attributes (and integers of a
small range, such as age) as dictionary codes of 1-4 bytes, other numbers and dates as float64
with NaN for "not recorded". An atom on a coded column is decided once per distinct value with
`rules.atom_holds` and then looked up for every row; an atom on a number is one vectorised
comparison. Each distinct atom and sub-condition is evaluated once per chunk of rows however
many policies share it, and results are kept as packed bits, so and / or / not over 10 million
profiles cost a few microseconds. Chunks run on a thread pool (NumPy releases the GIL).
Measured against Polars and DuckDB in docs/PERFORMANCE.md (bench/alternatives.py).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from onething.core.errors import DomainError
from onething.policies.rules import All, AnyOf, Atom, Const, Node, Not, atom_holds
from onething.profiles.attributes import AttrType, load_dictionary

Bits = npt.NDArray[np.uint8]
CHUNK = 1 << 20
SMALL_RANGE = 65_000
EPOCH = dt.date(1970, 1, 1)
ID_COLUMNS = ("profile_id", "id")


@dataclass
class Coded:
    """A dictionary-encoded column: codes index `values`, whose entry 0 is None."""

    codes: npt.NDArray[np.unsignedinteger[Any]]
    values: list[Any]


@dataclass
class Numbers:
    data: npt.NDArray[np.float64]
    is_date: bool = False


Column = Coded | Numbers


@dataclass
class ProfileTable:
    ids: pa.Array
    columns: dict[str, Column]
    kinds: pa.Array | None = None

    @property
    def size(self) -> int:
        return len(self.ids)


def _bad(message: str) -> DomainError:
    return DomainError("profiles_invalid", message, 422)


def _codes_dtype(n: int) -> type[np.unsignedinteger[Any]]:
    if n < 2**8:
        return np.uint8
    if n < 2**16:
        return np.uint16
    return np.uint32


def _coded_from_arrow(name: str, arr: pa.Array) -> Coded:
    attr = load_dictionary().attributes[name]
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.string())
    encoded = pc.dictionary_encode(arr)
    values: list[Any] = [None]
    for raw in encoded.dictionary.to_pylist():
        try:
            values.append(attr.coerce(raw))
        except ValueError as exc:
            raise _bad(f"画像文件的 {name} 列有无法识别的值“{raw}”：{exc}") from None
    indices = encoded.indices
    codes = pc.fill_null(pc.add(indices, 1), 0).to_numpy(zero_copy_only=False)
    return Coded(codes.astype(_codes_dtype(len(values))), values)


def _floats(name: str, arr: pa.Array) -> npt.NDArray[np.float64]:
    try:
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            arr = pc.if_else(pc.equal(pc.utf8_trim_whitespace(arr), ""), None, arr)
        data = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise _bad(f"画像文件的 {name} 列应全部为数值") from None
    return np.asarray(data, dtype=np.float64)


def _small_ints(data: npt.NDArray[np.float64]) -> Coded | None:
    """Integers of a small range as codes (value - min + 1); None when the range is wide."""
    valid = ~np.isnan(data)
    if not valid.any():
        return Coded(np.zeros(len(data), dtype=np.uint8), [None])
    low, high = int(data[valid].min()), int(data[valid].max())
    if high - low > SMALL_RANGE:
        return None
    width = high - low + 2
    codes = np.zeros(len(data), dtype=_codes_dtype(width))
    codes[valid] = (data[valid] - (low - 1)).astype(codes.dtype)
    return Coded(codes, [None, *range(low, high + 1)])


def _days(name: str, arr: pa.Array) -> npt.NDArray[np.float64]:
    try:
        if not pa.types.is_date32(arr.type):
            if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
                arr = pc.if_else(pc.equal(pc.utf8_trim_whitespace(arr), ""), None, arr)
            arr = pc.cast(arr, pa.date32())
        days = pc.cast(pc.cast(arr, pa.int32()), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise _bad(f"画像文件的 {name} 列应全部为日期（YYYY-MM-DD）") from None
    return np.asarray(days.to_numpy(zero_copy_only=False), dtype=np.float64)


def full_years_vector(days: npt.NDArray[np.float64], on: dt.date) -> npt.NDArray[np.float64]:
    """Completed years from each date (days since 1970-01-01) to `on`; NaN stays NaN."""
    valid = ~np.isnan(days)
    out = np.full(len(days), np.nan)
    d = days[valid].astype("int64").astype("datetime64[D]")
    years = d.astype("datetime64[Y]").astype(np.int64) + 1970
    months = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    mdays = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    before = (months * 100 + mdays) > (on.month * 100 + on.day)
    out[valid] = on.year - years - before
    return out


def table_from_arrow(table: pa.Table, on: dt.date) -> ProfileTable:
    """Columns named as the attribute dictionary; an id column `profile_id` (or `id`); an
    optional `kind` column (person / enterprise). Other columns are ignored."""
    id_name = next((c for c in ID_COLUMNS if c in table.column_names), None)
    if id_name is None:
        raise _bad("画像文件缺少 profile_id 列")
    dictionary = load_dictionary()
    columns: dict[str, Column] = {}
    raw: dict[str, pa.Array] = {
        n: table.column(n).combine_chunks() for n in table.column_names if dictionary.get(n)
    }
    for attr in dictionary.attributes.values():
        arr = raw.get(attr.name)
        source = raw.get(attr.derived_from) if attr.derived_from else None
        if arr is None and source is None:
            continue
        if attr.type == AttrType.int:
            data = np.full(table.num_rows, np.nan)
            if arr is not None:
                data = _floats(attr.name, arr)
                if not np.all(np.isnan(data) | (data == np.floor(data))):
                    raise _bad(f"画像文件的 {attr.name} 列应全部为整数")
            if source is not None:
                # A given value wins; rows without one get it from the source (age from birth).
                derived = full_years_vector(_days(attr.derived_from or "", source), on)
                data = np.where(np.isnan(data), derived, data)
            columns[attr.name] = _small_ints(data) or Numbers(data)
        elif attr.type == AttrType.decimal and arr is not None:
            columns[attr.name] = Numbers(_floats(attr.name, arr))
        elif attr.type == AttrType.date and arr is not None:
            columns[attr.name] = Numbers(_days(attr.name, arr), is_date=True)
        elif arr is not None:
            columns[attr.name] = _coded_from_arrow(attr.name, arr)
    kinds = table.column("kind").combine_chunks() if "kind" in table.column_names else None
    return ProfileTable(table.column(id_name).combine_chunks(), columns, kinds)


def table_from_records(
    ids: Sequence[Any], records: Sequence[Mapping[str, Any]], on: dt.date
) -> ProfileTable:
    """Profiles held in the database (JSON values) through the same loader as files."""
    dictionary = load_dictionary()
    names = sorted({k for r in records for k in r if dictionary.get(k)})
    arrays = {"profile_id": pa.array(ids)}
    for name in names:
        values = [r.get(name) for r in records]
        arrays[name] = pa.array(values, type=_arrow_type(dictionary.attributes[name].type))
    return table_from_arrow(pa.table(arrays), on)


def _arrow_type(t: AttrType) -> pa.DataType:
    if t == AttrType.bool:
        return pa.bool_()
    if t in (AttrType.int, AttrType.decimal):
        return pa.float64()
    return pa.string()


# ---------------------------------------------------------------- evaluation


@dataclass
class Plan:
    """Policies' condition trees; shared atoms and sub-conditions are found by their keys."""

    trees: dict[Any, Node]
    luts: dict[str, npt.NDArray[np.bool_]] = field(default_factory=dict)

    def distinct_atoms(self) -> int:
        seen: set[str] = set()

        def walk(n: Node) -> None:
            if isinstance(n, Atom):
                seen.add(n.key)
            elif isinstance(n, Not):
                walk(n.child)
            elif isinstance(n, All | AnyOf):
                for c in n.children:
                    walk(c)

        for t in self.trees.values():
            walk(t)
        return len(seen)


def _literal_days(value: Any) -> float:
    return float((dt.date.fromisoformat(value) - EPOCH).days)


def _numbers_atom(atom: Atom, col: Numbers, x: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    op, lit = atom.op, atom.value
    if op == "truthy":
        return ~np.isnan(x) if col.is_date else (x != 0) & ~np.isnan(x)
    if lit is None:
        missing = np.isnan(x)
        return missing if op == "eq" else ~missing
    if op == "in":
        values = [_literal_days(v) if col.is_date else float(v) for v in lit]
        return np.isin(x, values)
    c = _literal_days(lit) if col.is_date else float(lit)
    ops: dict[str, Callable[[Any, float], npt.NDArray[np.bool_]]] = {
        "eq": np.equal,
        "ne": np.not_equal,
        "lt": np.less,
        "le": np.less_equal,
        "gt": np.greater,
        "ge": np.greater_equal,
    }
    if op not in ops:
        raise ValueError(f"{op} does not apply to numbers")
    return ops[op](x, c)


class _Chunk:
    def __init__(self, table: ProfileTable, plan: Plan, lo: int, hi: int) -> None:
        self.table, self.plan, self.lo, self.hi = table, plan, lo, hi
        self.ones = np.packbits(np.ones(hi - lo, dtype=np.bool_))
        self.zeros = np.zeros_like(self.ones)
        self.memo: dict[str, Bits] = {}

    def bits(self, node: Node) -> Bits:
        key = node.key
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        if isinstance(node, Const):
            out = self.ones if node.value else self.zeros
        elif isinstance(node, Atom):
            out = np.packbits(self.atom(node))
        elif isinstance(node, Not):
            out = self.bits(node.child) ^ self.ones
        else:
            parts = [self.bits(c) for c in node.children]
            out = parts[0].copy()
            for p in parts[1:]:
                if isinstance(node, All):
                    out &= p
                else:
                    out |= p
        self.memo[key] = out
        return out

    def atom(self, atom: Atom) -> npt.NDArray[np.bool_]:
        col = self.table.columns.get(atom.attr)
        n = self.hi - self.lo
        if col is None:
            return np.full(n, atom_holds(atom.op, None, atom.value))
        if isinstance(col, Coded):
            looked_up: npt.NDArray[np.bool_] = self.plan.luts[atom.key][
                col.codes[self.lo : self.hi]
            ]
            return looked_up
        return _numbers_atom(atom, col, col.data[self.lo : self.hi])


def _luts(table: ProfileTable, plan: Plan) -> None:
    """Each atom on a coded column, decided once per distinct value."""

    def walk(n: Node) -> None:
        if isinstance(n, Atom):
            col = table.columns.get(n.attr)
            if isinstance(col, Coded) and n.key not in plan.luts:
                plan.luts[n.key] = np.fromiter(
                    (atom_holds(n.op, v, n.value) for v in col.values),
                    dtype=np.bool_,
                    count=len(col.values),
                )
        elif isinstance(n, Not):
            walk(n.child)
        elif isinstance(n, All | AnyOf):
            for c in n.children:
                walk(c)

    for tree in plan.trees.values():
        walk(tree)


def evaluate(
    table: ProfileTable,
    trees: Mapping[Any, Node],
    workers: int | None = None,
    chunk: int = CHUNK,
) -> dict[Any, Bits]:
    """For each policy, a packed bit per profile row (1 = eligible)."""
    if chunk % 8:
        raise ValueError("chunk must be a multiple of 8 so packed chunks join")
    plan = Plan(dict(trees))
    _luts(table, plan)
    n = table.size
    cores = workers or os.cpu_count() or 1
    # Small tables still use every core: at least one chunk per thread (multiples of 8 rows).
    if n >= 4096 * cores:
        per_core = -(-n // cores)
        chunk = min(chunk, -(-per_core // 8) * 8)
    bounds = [(lo, min(n, lo + chunk)) for lo in range(0, n, chunk)] or [(0, 0)]

    def run(bound: tuple[int, int]) -> dict[Any, Bits]:
        part = _Chunk(table, plan, *bound)
        return {pid: part.bits(tree) for pid, tree in plan.trees.items()}

    threads = min(len(bounds), cores)
    if threads > 1:
        with ThreadPoolExecutor(threads) as pool:
            parts = list(pool.map(run, bounds))
    else:
        parts = [run(b) for b in bounds]
    return {pid: np.concatenate([p[pid] for p in parts]) for pid in plan.trees}


def count(bits: Bits) -> int:
    return int(np.bitwise_count(bits).sum())


def rows(bits: Bits, n: int) -> npt.NDArray[np.intp]:
    return np.flatnonzero(np.unpackbits(bits, count=n))


def pairs(
    table: ProfileTable, results: Mapping[Any, Bits], targets: Mapping[Any, str | None]
) -> Iterable[tuple[Any, pa.Array]]:
    """(policy id, eligible profile ids), restricted to the policy's target kind when the
    table says each profile's kind."""
    kind_mask: dict[str, npt.NDArray[np.bool_]] = {}
    for pid, bits in results.items():
        idx = rows(bits, table.size)
        target = targets.get(pid)
        if target and table.kinds is not None:
            if target not in kind_mask:
                same = pc.fill_null(pc.equal(table.kinds, target), False)
                kind_mask[target] = np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool)
            idx = idx[kind_mask[target][idx]]
        yield pid, table.ids.take(pa.array(idx))
