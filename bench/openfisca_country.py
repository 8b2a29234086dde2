"""A minimal OpenFisca country package for bench/policies, built in code.

One entity (Person), one input variable per profile column and one boolean variable per
policy whose formula is the policy's JsonLogic translated into NumPy over the person's arrays:
the way an OpenFisca country package states eligibility. The translator reads the raw
JsonLogic, not onething's parsed tree, so agreement between the two engines is a real check.

Missing values: an enum or region input has an extra "not recorded" value that equals no
literal, a float input holds NaN, a date input NaT and a yes/no input False; each behaves
exactly as a missing value does in JsonLogic. OpenFisca integers cannot be missing, so integer
columns must arrive filled (bench/policies fills them with 0 for this comparison).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from functools import reduce
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from openfisca_core.entities import build_entity
from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import DateUnit
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

from onething.core.ids import region_prefix
from onething.profiles.attributes import Attribute, AttrType, load_dictionary

PERIOD = "2026-12"
NOT_RECORDED = "未登记"
REGION_BYTES = 12

Bools = npt.NDArray[np.bool_]
Formula = Callable[[Any, Any], Bools]
"""(person population, period) → one boolean per person."""

_COMPARE: dict[str, Callable[[Any, Any], Bools]] = {
    "==": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_VALUE_TYPES: dict[AttrType, type] = {
    AttrType.int: int,
    AttrType.decimal: float,
    AttrType.bool: bool,
    AttrType.date: dt.date,
}


class Country:
    """The tax-benefit system of the benchmark: inputs named as the attribute dictionary."""

    def __init__(self, columns: Sequence[str], rules: Mapping[str, Any]) -> None:
        dictionary = load_dictionary()
        self.attrs: dict[str, Attribute] = {c: dictionary.attributes[c] for c in columns}
        self.person = build_entity("person", "persons", "个人", is_person=True)
        self.system = TaxBenefitSystem([self.person])
        self.enum_codes: dict[str, dict[str, int]] = {}
        for attr in self.attrs.values():
            self.system.add_variable(self._input_variable(attr))
        self.policies = list(rules)
        for code, rule in rules.items():
            self.system.add_variable(self._policy_variable(code, self._node(rule)))

    # ------------------------------------------------------------ variables

    def _variable(self, name: str, attrs: dict[str, Any]) -> type:
        base = {"entity": self.person, "definition_period": DateUnit.ETERNITY, "label": name}
        return type(name, (Variable,), {**base, **attrs})

    def _input_variable(self, attr: Attribute) -> type:
        if attr.type == AttrType.enum:
            labels = [NOT_RECORDED, *attr.values]
            self.enum_codes[attr.name] = {label: i for i, label in enumerate(labels)}
            factory: Any = Enum  # the functional API, which mypy only allows with literals
            enum = factory(f"{attr.name}_values", [(f"v{i}", v) for i, v in enumerate(labels)])
            return self._variable(
                attr.name,
                {"value_type": Enum, "possible_values": enum, "default_value": enum.v0},
            )
        if attr.type in (AttrType.region, AttrType.code):
            return self._variable(attr.name, {"value_type": str, "max_length": REGION_BYTES})
        return self._variable(attr.name, {"value_type": _VALUE_TYPES[attr.type]})

    def _policy_variable(self, code: str, condition: Formula) -> type:
        def formula(person: Any, period: Any, parameters: Any) -> Bools:
            return condition(person, period)

        return self._variable(code, {"value_type": bool, "formula": formula})

    # ------------------------------------------------------------ JsonLogic → NumPy

    def _node(self, rule: Any) -> Formula:
        if isinstance(rule, bool):
            value = rule
            return lambda person, period: np.full(person.count, value)
        op, args = next(iter(rule.items()))
        if op == "var":
            return self._truthy(self._attr(rule))
        if op in ("and", "or"):
            parts = [self._node(a) for a in args]
            combine = np.logical_and if op == "and" else np.logical_or
            return lambda person, period: reduce(combine, (p(person, period) for p in parts))
        if op in ("!", "!!"):
            inner = self._node(args[0] if isinstance(args, list) else args)
            if op == "!!":
                return inner
            return lambda person, period: ~inner(person, period)
        if op in _COMPARE and len(args) == 3:
            low, var, high = args
            first = self._compare(op, self._attr(var), low, flipped=True)
            second = self._compare(op, self._attr(var), high, flipped=False)
            return lambda person, period: first(person, period) & second(person, period)
        if op in _COMPARE:
            left, right = args
            if _is_var(left):
                return self._compare(op, self._attr(left), right, flipped=False)
            return self._compare(op, self._attr(right), left, flipped=True)
        if op == "in":
            var, members = args
            return self._member(self._attr(var), members)
        if op == "in_region":
            var, region = args
            return self._in_region(self._attr(var), region)
        raise ValueError(f"the benchmark's translator has no rule for {op}")

    def _attr(self, var: Any) -> Attribute:
        name = var["var"]
        return self.attrs[name[0] if isinstance(name, list) else name]

    def _literal(self, attr: Attribute, value: Any) -> Any:
        if attr.type == AttrType.enum:
            return self.enum_codes[attr.name][value]
        if attr.type in (AttrType.region, AttrType.code):
            return str(value).encode()
        if attr.type == AttrType.date:
            return np.datetime64(value, "D")
        return value

    def _values(self, attr: Attribute) -> Callable[[Any, Any], npt.NDArray[Any]]:
        name = attr.name
        if attr.type == AttrType.enum:
            # An EnumArray holds member indices; comparing indices is what its == does.
            return lambda person, period: np.asarray(person(name, period))
        return lambda person, period: person(name, period)

    def _compare(self, op: str, attr: Attribute, value: Any, *, flipped: bool) -> Formula:
        """`x op value`, or `value op x` when the literal came first."""
        fn = _COMPARE[_FLIP[op] if flipped else op]
        literal = self._literal(attr, value)
        values = self._values(attr)
        return lambda person, period: fn(values(person, period), literal)

    def _member(self, attr: Attribute, members: list[Any]) -> Formula:
        literals = [self._literal(attr, m) for m in members]
        values = self._values(attr)
        return lambda person, period: np.isin(values(person, period), literals)

    def _in_region(self, attr: Attribute, region: str) -> Formula:
        prefix = region_prefix(region.ljust(12, "0")).encode()
        values = self._values(attr)
        return lambda person, period: np.char.startswith(values(person, period), prefix)

    def _truthy(self, attr: Attribute) -> Formula:
        values = self._values(attr)
        if attr.type == AttrType.bool:
            return lambda person, period: np.asarray(values(person, period), dtype=np.bool_)
        if attr.type == AttrType.decimal:

            def nonzero(person: Any, period: Any) -> Bools:
                x = values(person, period)
                holds: Bools = np.logical_and(x != 0, ~np.isnan(x))  # NaN (missing) is not
                return holds

            return nonzero
        return lambda person, period: values(person, period) != 0

    # ------------------------------------------------------------ data and simulation

    def inputs(self, table: pa.Table) -> dict[str, npt.NDArray[Any]]:
        """Arrow columns as OpenFisca arrays (not timed: a country package's data loading)."""
        out: dict[str, npt.NDArray[Any]] = {}
        for name, attr in self.attrs.items():
            col = table.column(name).combine_chunks()
            t = attr.type
            if t == AttrType.enum:
                codes = pc.index_in(col, pa.array([NOT_RECORDED, *attr.values]))
                out[name] = pc.fill_null(codes, 0).to_numpy().astype(np.int16)
            elif t in (AttrType.region, AttrType.code):
                text = pc.fill_null(col, "").to_numpy(zero_copy_only=False)
                out[name] = text.astype(f"S{REGION_BYTES}")
            elif t == AttrType.bool:
                out[name] = pc.fill_null(col, False).to_numpy(zero_copy_only=False)
            elif t == AttrType.int:
                if col.null_count:
                    raise ValueError(f"{name}: OpenFisca integers cannot be missing; fill them")
                out[name] = col.to_numpy().astype(np.int32)
            elif t == AttrType.decimal:
                data = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
                out[name] = data.astype(np.float32)
            elif t == AttrType.date:
                days = pc.cast(pc.cast(col, pa.int32()), pa.float64())
                raw = days.to_numpy(zero_copy_only=False)
                dates = np.full(len(raw), np.datetime64("NaT"), dtype="datetime64[D]")
                valid = ~np.isnan(raw)
                dates[valid] = raw[valid].astype(np.int64).astype("datetime64[D]")
                out[name] = dates
        return out

    def simulation(self, inputs: Mapping[str, npt.NDArray[Any]]) -> Any:
        """A fresh simulation (no cached results) holding the inputs."""
        count = len(next(iter(inputs.values())))
        sim = SimulationBuilder().build_default_simulation(self.system, count)
        for name, values in inputs.items():
            sim.set_input(name, PERIOD, values)
        return sim

    def calculate_all(self, sim: Any) -> dict[str, Bools]:
        """Every policy variable: the timed part, OpenFisca's own evaluation."""
        return {code: np.asarray(sim.calculate(code, PERIOD)) for code in self.policies}


def _is_var(value: Any) -> bool:
    return isinstance(value, dict) and list(value) == ["var"]
