"""The policy matching engine beside Polars and DuckDB on bench/policies' workload.

The same synthetic profiles and the same 100 policies as `bench/policies.py` (its generators and
seeds), evaluated by onething's engine (NumPy over Arrow: dictionary codes, packed bits, shared
atoms), by Polars (one lazy `select` of 100 boolean expressions, with its common-subexpression
elimination, over plain strings and again over Categorical / Enum columns) and by DuckDB (one
SELECT of 100 boolean columns over the Arrow table registered as a view, and over a native
table), when it is installed. Loading, casting and deriving `age` are not timed; each
evaluation is the best of 3. Every result is checked against the engine's: the count of
eligible profiles of every policy and the full mask of every policy.

Each policy's parsed tree (`rules.parse`) is translated, not its JsonLogic, so the three see the
same atoms. Missing values keep `rules.atom_holds`' semantics (docs/POLICIES.md): a comparison
with a missing value is false, `!=` holds for it, a missing yes/no counts as 否 (`== false`
holds, `truthy` does not). The translations assume values as `engine.table_from_arrow` admits
them (it refuses a region that is not 6, 9 or 12 digits), so `in_region` needs no digit check.

Run with `python -m bench.alternatives [N]` (N profiles, 10,000,000 by default).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from bench.policies import (
    ON,
    POLICIES,
    PROFILES,
    RUNS,
    _best,
    _since,
    synthetic_policies,
    synthetic_profiles,
)
from onething.core.ids import region_prefix
from onething.policies import engine
from onething.policies.rules import All, AnyOf, Atom, Node, Not, atom_holds, parse
from onething.profiles.attributes import AttrType, ProfileKind, load_dictionary

try:
    import polars as pl
except ImportError:
    HAVE_POLARS = False
else:
    HAVE_POLARS = True
try:
    import duckdb
except ImportError:
    HAVE_DUCKDB = False
else:
    HAVE_DUCKDB = True

Bits = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]
MASKS_SHOWN = 3
"""Differing rows shown per policy when an alternative disagrees with the engine."""


@dataclass
class Result:
    label: str
    seconds: float
    agreement: str
    agrees: bool


def _types(table: pa.Table) -> dict[str, AttrType]:
    """The dictionary type of every attribute the table holds, with the derived age."""
    dictionary = load_dictionary()
    out = {n: a.type for n in table.column_names if (a := dictionary.get(n)) is not None}
    out["age"] = AttrType.int
    return out


def _region_forms(region: str) -> tuple[str, list[str]]:
    """`in_region` as a prefix test: the codes of the region's subtree start with the prefix,
    and `rules.in_region` also admits a shorter code that zero-padding turns into one (for a
    6-digit prefix ending in 0, the 5-digit code without it), listed second."""
    prefix = region_prefix(region.ljust(12, "0"))
    shorter = [prefix[:k] for k in range(1, len(prefix)) if not prefix[k:].strip("0")]
    return prefix, shorter


def _const(atom: Atom) -> bool:
    """An atom on an attribute the table does not hold: every value is missing."""
    return atom_holds(atom.op, None, atom.value)


def _unsupported(atom: Atom, t: AttrType | None) -> ValueError:
    return ValueError(f"no translation for {atom.key} on a {t} attribute")


# ---------------------------------------------------------------- Polars


def _age_years(birth: pl.Expr, on: dt.date) -> pl.Expr:
    """Completed years (周岁) to `on`, as `engine.full_years_vector`: null stays null."""
    month_day = birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day().cast(pl.Int32)
    before = (month_day > on.month * 100 + on.day).cast(pl.Int32)
    return (pl.lit(on.year, pl.Int32) - birth.dt.year().cast(pl.Int32) - before).cast(pl.Int32)


class PolarsRules:
    """Rule trees as Polars expressions; `categorical` when the text columns are Categorical
    or Enum (the `cat` namespace instead of `str`)."""

    def __init__(self, types: Mapping[str, AttrType], categorical: bool) -> None:
        self.types = types
        self.categorical = categorical

    def expr(self, node: Node) -> pl.Expr:
        if isinstance(node, Atom):
            return self.atom(node)
        if isinstance(node, Not):
            return ~self.expr(node.child)
        if isinstance(node, All):
            return pl.all_horizontal([self.expr(c) for c in node.children])
        if isinstance(node, AnyOf):
            return pl.any_horizontal([self.expr(c) for c in node.children])
        return pl.repeat(node.value, pl.len(), dtype=pl.Boolean)

    def atom(self, atom: Atom) -> pl.Expr:
        op, lit, t = atom.op, atom.value, self.types.get(atom.attr)
        if t is None:
            return pl.repeat(_const(atom), pl.len(), dtype=pl.Boolean)
        col = pl.col(atom.attr)
        if t == AttrType.bool:
            value = col.fill_null(False)  # a missing yes/no is 否
            if op == "truthy":
                return value
            if op in ("eq", "ne"):
                # soft_equals compares yes/no by truth, and bool(None) is False
                same = value if lit else ~value
                return same if op == "eq" else ~same
            raise _unsupported(atom, t)
        if op in ("eq", "ne") and lit is None:
            return col.is_null() if op == "eq" else col.is_not_null()
        if op == "truthy":
            return col.is_not_null() if t == AttrType.date else col.ne(0).fill_null(False)
        if t == AttrType.date:
            lit = (
                [dt.date.fromisoformat(v) for v in lit]
                if op == "in"
                else dt.date.fromisoformat(lit)
            )
        if op == "ne":
            return col.ne(lit).fill_null(True)
        compare = _POLARS_COMPARE.get(op)
        if compare is not None:
            return compare(col, lit).fill_null(False)
        if op == "in":
            return col.is_in(lit).fill_null(False)
        if op == "in_region":
            prefix, shorter = _region_forms(lit)
            inside = self.starts_with(col, prefix)
            return (inside | col.is_in(shorter) if shorter else inside).fill_null(False)
        if op == "starts_with":
            return pl.any_horizontal([self.starts_with(col, p) for p in lit]).fill_null(False)
        if op == "contains":
            text = col.cast(pl.String) if self.categorical else col
            return text.str.contains(lit, literal=True).fill_null(False)
        raise _unsupported(atom, t)

    def starts_with(self, col: pl.Expr, prefix: str) -> pl.Expr:
        return col.cat.starts_with(prefix) if self.categorical else col.str.starts_with(prefix)


_POLARS_COMPARE: dict[str, Callable[[pl.Expr, Any], pl.Expr]] = (
    {
        "eq": pl.Expr.eq,
        "lt": pl.Expr.lt,
        "le": pl.Expr.le,
        "gt": pl.Expr.gt,
        "ge": pl.Expr.ge,
    }
    if HAVE_POLARS
    else {}
)


def polars_frame(table: pa.Table, categorical: bool) -> pl.DataFrame:
    """The profiles as a Polars frame with `age` derived; text as Enum (the dictionary's
    options) or Categorical (regions, codes) when `categorical`."""
    frame = pl.from_arrow(table)
    if not isinstance(frame, pl.DataFrame):
        raise TypeError("expected a table")
    frame = frame.with_columns(_age_years(pl.col("birth_date"), ON).alias("age"))
    if categorical:
        dictionary = load_dictionary()
        casts = []
        for name in frame.columns:
            attr = dictionary.get(name)
            if attr is not None and attr.type == AttrType.enum:
                casts.append(pl.col(name).cast(pl.Enum(list(attr.values))))
            elif attr is not None and attr.type in (AttrType.region, AttrType.code):
                casts.append(pl.col(name).cast(pl.Categorical))
        frame = frame.with_columns(casts)
    return frame


def run_polars(
    table: pa.Table, trees: Mapping[str, Node], ours: Mapping[str, Bits], categorical: bool
) -> Result:
    label = "Polars, Categorical/Enum" if categorical else "Polars, strings"
    frame = polars_frame(table, categorical)
    rules = PolarsRules(_types(table), categorical)
    query = frame.lazy().select([rules.expr(tree).alias(pid) for pid, tree in trees.items()])
    flags = pl.QueryOptFlags(comm_subexpr_elim=True)
    seconds, out = _best(RUNS, partial(query.collect, optimizations=flags))
    counts = {pid: int(v) for pid, v in out.sum().row(0, named=True).items()}
    nulls = int(out.null_count().sum_horizontal().item())
    agreement, agrees = _agreement(
        label, ours, table.num_rows, counts, nulls, lambda pid: out[pid].to_numpy()
    )
    return Result(label, seconds, agreement, agrees)


# ---------------------------------------------------------------- DuckDB


def _sql_literal(value: Any, t: AttrType) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if t == AttrType.date:
        return f"DATE '{dt.date.fromisoformat(value).isoformat()}'"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"CAST({value!r} AS DOUBLE)"  # as the engine compares: float64, not DECIMAL
    text = str(value).replace("'", "''")
    return f"'{text}'"


def _sql_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_SQL_COMPARE = {"eq": "=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


class SqlRules:
    """Rule trees as SQL boolean expressions; COALESCE gives NULL its JsonLogic meaning."""

    def __init__(self, types: Mapping[str, AttrType]) -> None:
        self.types = types

    def expr(self, node: Node) -> str:
        if isinstance(node, Atom):
            return self.atom(node)
        if isinstance(node, Not):
            return f"(NOT {self.expr(node.child)})"
        if isinstance(node, All | AnyOf):
            joiner = " AND " if isinstance(node, All) else " OR "
            return "(" + joiner.join(self.expr(c) for c in node.children) + ")"
        return "TRUE" if node.value else "FALSE"

    def atom(self, atom: Atom) -> str:
        op, lit, t = atom.op, atom.value, self.types.get(atom.attr)
        if t is None:
            return "TRUE" if _const(atom) else "FALSE"
        col = _sql_name(atom.attr)
        if t == AttrType.bool:
            value = f"COALESCE({col}, FALSE)"
            if op == "truthy":
                return value
            if op in ("eq", "ne"):
                same = value if lit else f"(NOT {value})"
                return same if op == "eq" else f"(NOT {same})"
            raise _unsupported(atom, t)
        if op in ("eq", "ne") and lit is None:
            return f"({col} IS NULL)" if op == "eq" else f"({col} IS NOT NULL)"
        if op == "truthy":
            return f"({col} IS NOT NULL)" if t == AttrType.date else f"COALESCE({col} <> 0, FALSE)"
        if op == "ne":
            return f"COALESCE({col} <> {_sql_literal(lit, t)}, TRUE)"
        if op in _SQL_COMPARE:
            return f"COALESCE({col} {_SQL_COMPARE[op]} {_sql_literal(lit, t)}, FALSE)"
        if op == "in":
            return f"COALESCE({col} IN ({self.members(lit, t)}), FALSE)"
        if op == "in_region":
            prefix, shorter = _region_forms(lit)
            inside = f"starts_with({col}, {_sql_literal(prefix, t)})"
            if shorter:
                inside += f" OR {col} IN ({self.members(shorter, t)})"
            return f"COALESCE({inside}, FALSE)"
        if op == "starts_with":
            tests = " OR ".join(f"starts_with({col}, {_sql_literal(p, t)})" for p in lit)
            return f"COALESCE({tests}, FALSE)"
        if op == "contains":
            return f"COALESCE(contains({col}, {_sql_literal(lit, t)}), FALSE)"
        raise _unsupported(atom, t)

    @staticmethod
    def members(values: Iterable[Any], t: AttrType) -> str:
        return ", ".join(_sql_literal(v, t) for v in values)


def run_duckdb(
    table: pa.Table, trees: Mapping[str, Node], ours: Mapping[str, Bits], age: pa.Array
) -> list[Result]:
    """The Arrow table (with Polars' `age`) as a view, then copied into a native table."""
    ids = table.column("profile_id").to_numpy()
    if not np.array_equal(ids, np.arange(table.num_rows)):
        raise ValueError("bench/policies numbers profiles by row; these are not")
    con = duckdb.connect()
    con.register("profiles_arrow", table.append_column("age", age))
    rules = SqlRules(_types(table))
    columns = ",\n  ".join(f"{rules.expr(tree)} AS {_sql_name(pid)}" for pid, tree in trees.items())
    results = [_duckdb_select(con, "DuckDB, Arrow view", columns, "profiles_arrow", ours, table)]
    con.execute("CREATE TABLE profiles AS SELECT * FROM profiles_arrow")
    results.append(_duckdb_select(con, "DuckDB, native table", columns, "profiles", ours, table))
    con.close()
    return results


def _duckdb_select(
    con: duckdb.DuckDBPyConnection,
    label: str,
    columns: str,
    source: str,
    ours: Mapping[str, Bits],
    table: pa.Table,
) -> Result:
    # With 100 columns and 2 threads DuckDB 2.0 returns rows out of order (though
    # preserve_insertion_order is on), so the ids come along to put them back, untimed.
    sql = f"SELECT\n  profile_id,\n  {columns}\nFROM {source}"

    def select() -> pa.Table:
        return con.sql(sql).to_arrow_table()

    seconds, out = _best(RUNS, select)
    counts = {pid: int(pc.sum(out.column(pid)).as_py() or 0) for pid in ours}
    nulls = sum(out.column(pid).null_count for pid in ours)
    rows = np.asarray(out.column("profile_id").to_numpy(), dtype=np.int64)  # id = row here

    def mask(pid: str) -> Mask:
        placed = np.zeros(table.num_rows, dtype=np.bool_)
        placed[rows] = np.asarray(out.column(pid).to_numpy(), dtype=np.bool_)
        return placed

    agreement, agrees = _agreement(label, ours, table.num_rows, counts, nulls, mask)
    return Result(label, seconds, agreement, agrees)


# ---------------------------------------------------------------- checking and reporting


def _agreement(
    label: str,
    ours: Mapping[str, Bits],
    n: int,
    counts: Mapping[str, int],
    nulls: int,
    mask: Callable[[str], Mask],
) -> tuple[str, bool]:
    """Eligible counts of every policy, then every policy's full mask, against the engine."""
    same_counts = same_masks = 0
    shown: list[str] = []
    for pid, bits in ours.items():
        mine = engine.count(bits)
        if mine == counts[pid]:
            same_counts += 1
        else:
            shown.append(f"  {pid}: engine {mine:,} eligible, {label} {counts[pid]:,}")
        theirs = np.asarray(mask(pid), dtype=np.bool_)
        if len(theirs) == n and np.array_equal(np.packbits(theirs), bits):
            same_masks += 1
            continue
        differ = np.flatnonzero(np.unpackbits(bits, count=n).astype(bool) != theirs)
        shown += [
            f"  {pid} row {r}: engine {not theirs[r]}, {label} {theirs[r]}"
            for r in differ[:MASKS_SHOWN]
        ]
    total = len(ours)
    agrees = same_counts == same_masks == total and not nulls
    text = f"{same_counts}/{total} counts, {same_masks}/{total} masks"
    if nulls:
        text += f", {nulls:,} nulls"
    if not agrees:
        print(f"{label} disagrees with the engine:", *shown[:30], sep="\n")
    return text, agrees


def _report(results: list[Result], checks: int) -> None:
    ours = results[0].seconds
    header = f"{'engine':<28} {'seconds':>9} {'M checks/s':>11} {'vs ours':>9}   agreement"
    print()
    print(header)
    print("-" * (len(header) + 24))
    for r in results:
        ratio = "1.0 ×" if r is results[0] else f"{r.seconds / ours:,.1f} ×"
        print(
            f"{r.label:<28} {r.seconds:>9.3f} {checks / r.seconds / 1e6:>11,.1f} "
            f"{ratio:>9}   {r.agreement}"
        )
    print("vs ours: seconds over the engine's (above 1 = slower than the engine)")


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


def main(n: int = PROFILES) -> bool:
    """Generate, time each engine, check each against ours, print the table; True when all
    agree."""
    started = time.perf_counter()
    print(f"policy matching alternatives: {n:,} profiles × {POLICIES} policies, as of {ON}")
    versions = [f"numpy {np.__version__}", f"pyarrow {pa.__version__}"]
    if HAVE_POLARS:
        versions.append(f"polars {pl.__version__} ({pl.thread_pool_size()} threads)")
    if HAVE_DUCKDB:
        versions.append(f"duckdb {duckdb.__version__}")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, {', '.join(versions)}"
    )
    print(f"at start: {_load()}")

    rules = synthetic_policies()
    trees = {pid: parse(rule, ProfileKind.person) for pid, rule in rules.items()}
    table = synthetic_profiles(n)
    checks = n * len(trees)

    profiles = engine.table_from_arrow(table, ON)
    seconds, ours = _best(RUNS, partial(engine.evaluate, profiles, trees))
    del profiles
    eligible = sum(engine.count(b) for b in ours.values())
    print(f"engine: {eligible:,} eligible pairs ({eligible / checks:.2%})")
    results = [Result("onething engine (NumPy)", seconds, "reference", True)]

    if HAVE_POLARS:
        for categorical in (False, True):
            results.append(run_polars(table, trees, ours, categorical))
    else:
        print("Polars: skipped (import polars failed)")

    if HAVE_DUCKDB and HAVE_POLARS:
        frame = polars_frame(table.select(["birth_date"]), categorical=False)
        results += run_duckdb(table, trees, ours, frame["age"].to_arrow())
    elif HAVE_DUCKDB:
        print("DuckDB: skipped (its age column is derived with Polars, which is missing)")
    else:
        print("DuckDB: skipped (import duckdb failed; `pip install duckdb==2.0.0` to run it)")

    _report(results, checks)
    print(f"at end: {_load()}; whole run {_since(started):.0f} s")
    return all(r.agrees for r in results)


if __name__ == "__main__":
    sys.exit(0 if main(int(sys.argv[1]) if len(sys.argv) > 1 else PROFILES) else 1)
