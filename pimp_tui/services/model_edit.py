"""Edits of a feature model as the tree editor makes them. Each function changes the model in
place and raises PimpError with a message for the user when the edit makes no sense; the editor
keeps copies for undo."""

from __future__ import annotations

import re
from collections.abc import Callable

from pimp_tui.errors import PimpError
from pimp_tui.variability.limits import MAX_DEPTH
from pimp_tui.variability.model import (
    Aggregate,
    Arith,
    Compare,
    Constraint,
    Expr,
    Feature,
    FeatureModel,
    FeatureType,
    Group,
    GroupKind,
    Logic,
    Not,
    Ref,
)

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
GROUP_CYCLE = [GroupKind.OPTIONAL, GroupKind.MANDATORY, GroupKind.ALTERNATIVE, GroupKind.OR]

ConstraintParser = Callable[[FeatureModel, str], Constraint]
"""Turns constraint text into a Constraint of the given model (raises ModelSyntaxError)."""


def group_of(feature: Feature) -> Group | None:
    """The group of its parent that `feature` belongs to (None for the root)."""
    if feature.parent is None:
        return None
    for group in feature.parent.groups:
        if any(child is feature for child in group.children):
            return group
    return None


def check_new_name(model: FeatureModel, name: str) -> str | None:
    """An error message for an unusable feature name, else None."""
    name = name.strip()
    if not name:
        return "a name is required"
    if not _NAME.match(name):
        return "letters, digits and _ only, not starting with a digit"
    if name in model.feature_names():
        return f"{name} already exists"
    return None


def add_feature(model: FeatureModel, parent: str, name: str) -> Feature:
    """Add an optional Boolean child under `parent`."""
    error = check_new_name(model, name)
    if error:
        raise PimpError(error)
    owner = model.feature(parent)
    if _depth(owner) >= MAX_DEPTH:
        raise PimpError(f"{parent} is {MAX_DEPTH} levels deep: a feature tree may go no deeper")
    group = next((g for g in owner.groups if g.kind is GroupKind.OPTIONAL), None)
    if group is None:
        group = Group(GroupKind.OPTIONAL)
        owner.groups.append(group)
    feature = Feature(name.strip(), parent=owner)
    group.children.append(feature)
    return feature


def _depth(feature: Feature) -> int:
    """Levels below the root (the root is 0)."""
    levels = 0
    while feature.parent is not None:
        feature, levels = feature.parent, levels + 1
    return levels


def remove_feature(model: FeatureModel, name: str) -> list[str]:
    """Remove a feature and its subtree, and the constraints that mention any of them
    (returned, so the user is told)."""
    feature = model.feature(name)
    group = group_of(feature)
    if group is None:
        raise PimpError("the root feature cannot be removed")
    gone = {f.name for f in _subtree(feature)}
    group.children.remove(feature)
    if not group.children:
        feature.parent.groups.remove(group)  # type: ignore[union-attr]
    dropped = [c for c in model.constraints if refs(c.expr) & gone]
    model.constraints = [c for c in model.constraints if c not in dropped]
    return [c.text for c in dropped]


def rename_feature(model: FeatureModel, old: str, new: str, parse: ConstraintParser) -> None:
    """Rename a feature everywhere, constraints included."""
    error = check_new_name(model, new)
    if error:
        raise PimpError(error)
    new = new.strip()
    feature = model.feature(old)
    pattern = re.compile(rf'(?<![\w."]){re.escape(old)}(?![\w"])|"{re.escape(old)}"')
    texts = [pattern.sub(new, c.text) if old in refs(c.expr) else None for c in model.constraints]
    feature.name = new
    for i, text in enumerate(texts):
        if text is not None:
            model.constraints[i] = parse(model, text)


def set_group_kind(model: FeatureModel, name: str, kind: GroupKind) -> None:
    """Change the kind of the group `name` sits in (all its siblings in that group change too)."""
    group = group_of(model.feature(name))
    if group is None:
        raise PimpError("the root feature is in no group")
    group.kind = kind


def next_group_kind(kind: GroupKind) -> GroupKind:
    if kind not in GROUP_CYCLE:
        return GROUP_CYCLE[0]
    return GROUP_CYCLE[(GROUP_CYCLE.index(kind) + 1) % len(GROUP_CYCLE)]


def toggle_mandatory(model: FeatureModel, name: str) -> GroupKind:
    """Move a feature between its parent's mandatory and optional groups; returns the new kind."""
    feature = model.feature(name)
    group = group_of(feature)
    if group is None:
        raise PimpError("the root feature is always selected")
    if group.kind not in (GroupKind.MANDATORY, GroupKind.OPTIONAL):
        raise PimpError(f"{name} is in an {group.kind.value} group: change the group kind (g)")
    target = GroupKind.OPTIONAL if group.kind is GroupKind.MANDATORY else GroupKind.MANDATORY
    parent = feature.parent
    assert parent is not None
    if len(group.children) == 1:
        group.kind = target
        return target
    group.children.remove(feature)
    dest = next((g for g in parent.groups if g.kind is target), None)
    if dest is None:
        dest = Group(target)
        parent.groups.insert(parent.groups.index(group) + (target is GroupKind.OPTIONAL), dest)
    dest.children.append(feature)
    return target


# --- types and domains -------------------------------------------------------------------------


def describe_domain(feature: Feature) -> str:
    """The domain as the editor shows and accepts it: `Real min 0.2 max 1.4 step 0.4`."""
    if feature.type is FeatureType.BOOLEAN:
        return "Boolean"
    attrs = feature.attributes
    if isinstance(attrs.get("values"), list):
        values = ", ".join(_show(v) for v in attrs["values"])  # type: ignore[attr-defined]
        return f"{feature.type.value} values {values}"
    parts = [feature.type.value]
    for key in ("min", "max", "step"):
        if key in attrs:
            parts.append(f"{key} {_show(attrs[key])}")
    return " ".join(parts)


def parse_domain(spec: str) -> tuple[FeatureType, dict[str, object]]:
    """Read a domain: `Integer values 1, 2, 4`, `Real min 0 max 1 step 0.25`, `Boolean`."""
    words = spec.replace(",", " ").replace("[", " ").replace("]", " ").split()
    if not words:
        raise PimpError("write a type: Boolean, Integer, Real or String")
    by_name = {t.value.lower(): t for t in FeatureType}
    ftype = by_name.get(words[0].lower())
    if ftype is None:
        raise PimpError(f"unknown type {words[0]!r}: Boolean, Integer, Real or String")
    rest = words[1:]
    if ftype is FeatureType.BOOLEAN:
        if rest:
            raise PimpError("a Boolean feature takes no domain")
        return ftype, {}
    if not rest:
        raise PimpError("give a domain: values V1, V2, ... or min A max B [step S]")

    def number(text: str) -> int | float:
        try:
            return int(text) if ftype is FeatureType.INTEGER else float(text)
        except ValueError:
            raise PimpError(f"{text!r} is not a {ftype.value} number") from None

    if rest[0] == "values":
        if len(rest) < 2:
            raise PimpError("values needs at least one value")
        if ftype is FeatureType.STRING:
            return ftype, {"values": [v.strip("'\"") for v in rest[1:]]}
        return ftype, {"values": [number(v) for v in rest[1:]]}
    if ftype is FeatureType.STRING:
        raise PimpError("a String feature takes values a, b, ...")
    attrs: dict[str, object] = {}
    it = iter(rest)
    for key in it:
        if key not in ("min", "max", "step"):
            raise PimpError(f"expected min, max, step or values, not {key!r}")
        value = next(it, None)
        if value is None:
            raise PimpError(f"{key} needs a number")
        attrs[key] = number(value)
    if "min" not in attrs or "max" not in attrs:
        raise PimpError("a range needs both min and max")
    if attrs["min"] > attrs["max"]:  # type: ignore[operator]
        raise PimpError("min is greater than max")
    if attrs.get("step", 1) <= 0:  # type: ignore[operator]
        raise PimpError("step must be positive")
    return ftype, attrs


def set_domain(model: FeatureModel, name: str, spec: str) -> None:
    ftype, attrs = parse_domain(spec)
    problem = Feature(name, ftype, attributes=attrs).domain_error()
    if problem is not None:
        raise PimpError(problem)
    feature = model.feature(name)
    used_in_arith = any(name in numeric_refs(c.expr) for c in model.constraints)
    if ftype is FeatureType.BOOLEAN and used_in_arith:
        raise PimpError(f"{name} is compared as a number in a constraint")
    for key in ("values", "min", "max", "step"):
        feature.attributes.pop(key, None)
    feature.type = ftype
    feature.attributes.update(attrs)


# --- constraints -------------------------------------------------------------------------------


def refs(expr: Expr) -> set[str]:
    """Names of the features an expression mentions."""
    if isinstance(expr, Ref):
        return {expr.feature}
    if isinstance(expr, Not):
        return refs(expr.operand)
    if isinstance(expr, (Logic, Compare, Arith)):
        return refs(expr.left) | refs(expr.right)
    if isinstance(expr, Aggregate):
        out: set[str] = set()
        for arg in expr.args:
            out |= refs(arg)
        return out | ({expr.scope} if expr.scope else set())
    return set()


def numeric_refs(expr: Expr) -> set[str]:
    """Features used as numbers (inside comparisons or arithmetic)."""
    if isinstance(expr, (Compare, Arith)):
        return refs(expr)
    if isinstance(expr, Not):
        return numeric_refs(expr.operand)
    if isinstance(expr, Logic):
        return numeric_refs(expr.left) | numeric_refs(expr.right)
    return set()


def _subtree(feature: Feature) -> list[Feature]:
    out, stack = [], [feature]
    while stack:
        f = stack.pop()
        out.append(f)
        stack.extend(f.children())
    return out


def _show(value: object) -> str:
    return repr(value) if isinstance(value, str) and " " in value else str(value)


def parse_constraint(model: FeatureModel, text: str) -> Constraint:
    """Read one constraint in UVL syntax against `model`; unknown features are errors.

    The constraint is parsed inside the model written as UVL, so the editor accepts exactly
    what the model file format accepts."""
    from pimp_tui.errors import ModelSyntaxError
    from pimp_tui.variability.io import parse_uvl, write_uvl

    text = text.strip()
    if not text:
        raise PimpError("write a constraint, e.g. A => B")
    if "\n" in text:
        raise PimpError("one constraint per line")
    bare = FeatureModel(model.root, [], model.namespace, list(model.includes))
    head = write_uvl(bare).rstrip("\n")
    source = f"{head}\nconstraints\n    {text}\n"
    line = head.count("\n") + 3
    try:
        parsed = parse_uvl(source)
    except ModelSyntaxError as exc:
        where = f"col {exc.col - 4}: " if exc.line == line and exc.col > 4 else ""
        raise PimpError(f"{where}{exc.message}") from None
    if len(parsed.constraints) != 1:
        raise PimpError("write exactly one constraint")
    constraint = parsed.constraints[0]
    unknown = refs(constraint.expr) - set(model.feature_names())
    if unknown:
        raise PimpError("unknown feature(s): " + ", ".join(sorted(unknown)))
    constraint.text = constraint.text or text
    constraint.line = 0
    return constraint
