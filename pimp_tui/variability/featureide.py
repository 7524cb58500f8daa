"""FeatureIDE XML reader and writer.

The standard format holds the tree (`and`/`or`/`alt`/`feature` elements with `mandatory` and
`abstract`) and Boolean rules (`var`, `not`, `conj`, `disj`, `imp`, `eq`, `atmost1`). What UVL
can say beyond that travels in small extensions, so a UVL -> XML -> UVL trip loses nothing:

- `type="Integer"` and `cardinality="1..4"` on a feature element;
- `<attribute name= type= value=/>` children (FeatureIDE's extended-model form; type `uvl` holds
  a list or nested attributes as a UVL value);
- `<group kind="alternative|or|mandatory|optional|cardinality" cardinality="2..3">` children
  when a feature's groups do not fit one FeatureIDE element (several groups, cardinalities);
- `<uvl>` inside a rule for an arithmetic sub-expression, written in UVL syntax;
- `<property key="uvl.namespace|uvl.include" value=/>` under `<properties>`.

Positions in errors come from the XML parser (expat), 1-based.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import NoReturn
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

from pimp_tui.errors import ModelSyntaxError
from pimp_tui.variability.limits import MAX_DEPTH
from pimp_tui.variability.model import (
    Const,
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
    chain,
    depth,
)
from pimp_tui.variability.uvl_parser import parse_constraint, parse_value
from pimp_tui.variability.uvl_writer import expression, value

_LOGIC_TAGS = {"conj": "&", "disj": "|", "imp": "=>", "eq": "<=>"}
_TAG_OF = {op: tag for tag, op in _LOGIC_TAGS.items()}
_GROUP_TAGS = {"alt": GroupKind.ALTERNATIVE, "or": GroupKind.OR}
_FEATURE_TAGS = ("and", "or", "alt", "feature")
_MAX_ATMOST1 = 200
"""Most operands of <atmost1>, which reads as one clause per pair (19,900 here)."""
_MAX_ELEMENT_DEPTH = 2 * MAX_DEPTH + 4
"""featureModel, struct, then a feature and a <group> per level; or featureModel, constraints,
rule, then one element per level of a constraint."""


@dataclass
class _Element:
    tag: str
    attrib: dict[str, str]
    line: int
    col: int
    children: list[_Element] = field(default_factory=list)
    chunks: list[str] = field(default_factory=list, repr=False)
    """Character data as expat hands it over, joined once by `text` (linear, however split)."""

    @property
    def text(self) -> str:
        return "".join(self.chunks)


def _read_xml(text: str | bytes, file: str | None) -> _Element:
    """A light element tree that keeps each element's position (ElementTree drops it).

    Entity declarations are refused (a few hundred bytes of nested entities expand to
    gigabytes), and so is nesting deeper than a MAX_DEPTH feature tree or constraint needs."""
    parser = expat.ParserCreate()
    stack: list[_Element] = []
    roots: list[_Element] = []

    def refuse(message: str) -> NoReturn:
        raise ModelSyntaxError(
            message, file, parser.CurrentLineNumber, parser.CurrentColumnNumber + 1
        )

    def entity(name: str, *_args: object) -> None:
        refuse(f"entity declarations are not accepted (<!ENTITY {name}>)")

    def start(tag: str, attrib: dict[str, str]) -> None:
        if len(stack) == _MAX_ELEMENT_DEPTH:
            refuse(f"elements nested more than {_MAX_ELEMENT_DEPTH} deep")
        element = _Element(tag, attrib, parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)
        (stack[-1].children if stack else roots).append(element)
        stack.append(element)

    def end(_tag: str) -> None:
        stack.pop()

    def data(chunk: str) -> None:
        if stack:
            stack[-1].chunks.append(chunk)

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = data
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(text, True)
    except expat.ExpatError as e:
        raise ModelSyntaxError(
            f"malformed XML: {expat.ErrorString(e.code)}", file, e.lineno, e.offset + 1
        ) from None
    return roots[0]


class _Reader:
    def __init__(self, file: str | None) -> None:
        self.file = file
        self.features: dict[str, Feature] = {}

    def error(self, element: _Element, message: str) -> ModelSyntaxError:
        return ModelSyntaxError(message, self.file, element.line, element.col)

    def model(self, root: _Element) -> FeatureModel:
        if root.tag not in ("featureModel", "extendedFeatureModel"):
            raise self.error(root, f"expected <featureModel>, found <{root.tag}>")
        struct = [c for c in root.children if c.tag == "struct"]
        if not struct:
            raise self.error(root, "no <struct> element")
        tops = [c for c in struct[0].children if c.tag in _FEATURE_TAGS]
        if len(tops) != 1:
            raise self.error(struct[0], "<struct> must hold exactly one root feature")
        model = FeatureModel(self.feature(tops[0]))
        for child in root.children:
            if child.tag == "properties":
                self.properties(child, model)
        model.link_parents()
        for child in root.children:
            if child.tag == "constraints":
                for rule in child.children:
                    if rule.tag != "rule":
                        raise self.error(rule, f"expected <rule>, found <{rule.tag}>")
                    expr = self.rule(rule, model)
                    model.constraints.append(Constraint(expr, expression(expr), rule.line))
        return model

    def properties(self, element: _Element, model: FeatureModel) -> None:
        for prop in element.children:
            key, text = prop.attrib.get("key"), prop.attrib.get("value", "")
            if prop.tag == "property" and key == "uvl.namespace":
                model.namespace = text
            elif prop.tag == "property" and key == "uvl.include":
                model.includes.append(text)

    def feature(self, element: _Element) -> Feature:
        name = element.attrib.get("name")
        if not name:
            raise self.error(element, f"<{element.tag}> without a name")
        if name in self.features:
            raise self.error(element, f"duplicate feature name '{name}'")
        try:
            ftype = FeatureType(element.attrib.get("type", "Boolean"))
        except ValueError:
            raise self.error(element, f"unknown feature type '{element.attrib['type']}'") from None
        feature = Feature(name, ftype, element.attrib.get("abstract") == "true", line=element.line)
        self.features[name] = feature
        if "cardinality" in element.attrib:
            feature.cardinality = self.cardinality(element)
        if element.attrib.get("hidden") == "true":
            feature.attributes["hidden"] = True
        children: list[_Element] = []
        for child in element.children:
            if child.tag == "attribute":
                self.attribute(child, feature)
            elif child.tag == "description":
                feature.attributes["description"] = child.text.strip()
            elif child.tag == "group":
                feature.groups.append(self.group(child))
            elif child.tag in _FEATURE_TAGS:
                children.append(child)
        problem = feature.domain_error()
        if problem is not None:
            raise self.error(element, problem)
        if children and element.tag in _GROUP_TAGS:
            kind = _GROUP_TAGS[element.tag]
            feature.groups.append(Group(kind, [self.feature(c) for c in children]))
        elif children:
            self.and_children(children, feature)
        return feature

    def and_children(self, children: list[_Element], feature: Feature) -> None:
        """Runs of mandatory and optional children, in document order."""
        for child in children:
            kind = GroupKind.MANDATORY
            if child.attrib.get("mandatory") != "true":
                kind = GroupKind.OPTIONAL
            if not feature.groups or feature.groups[-1].kind is not kind:
                feature.groups.append(Group(kind))
            feature.groups[-1].children.append(self.feature(child))

    def group(self, element: _Element) -> Group:
        try:
            kind = GroupKind(element.attrib.get("kind", ""))
        except ValueError:
            raise self.error(element, "<group> needs a valid kind") from None
        group = Group(kind)
        if kind is GroupKind.CARDINALITY:
            group.lower, group.upper = self.cardinality(element)
        for child in element.children:
            if child.tag not in _FEATURE_TAGS:
                raise self.error(child, f"unexpected <{child.tag}> in a group")
            group.children.append(self.feature(child))
        return group

    def cardinality(self, element: _Element) -> tuple[int, int | None]:
        text = element.attrib.get("cardinality", "")
        lower, _, upper = text.partition("..")
        try:
            low = int(lower)
            high = None if upper == "*" else int(upper or lower)
        except ValueError:
            raise self.error(element, f"bad cardinality '{text}' (expected n..m or n..*)") from None
        return low, high

    def attribute(self, element: _Element, feature: Feature) -> None:
        name, kind = element.attrib.get("name"), element.attrib.get("type", "string")
        text = element.attrib.get("value")
        if not name or text is None:
            raise self.error(element, "<attribute> needs a name and a value")
        try:
            if kind == "boolean":
                parsed: object = text == "true"
            elif kind == "long":
                parsed = int(text)
            elif kind == "double":
                parsed = float(text)
            elif kind == "uvl":
                parsed = parse_value(text, self.file)
            else:
                parsed = text
        except (ValueError, ModelSyntaxError):
            raise self.error(element, f"attribute '{name}': bad {kind} value {text!r}") from None
        feature.attributes[name] = parsed

    def rule(self, rule: _Element, model: FeatureModel) -> Expr:
        parts = [c for c in rule.children if c.tag != "description"]
        if len(parts) != 1:
            raise self.error(rule, "a <rule> holds exactly one expression")
        expr = self.expr(parts[0], model)
        levels = depth(expr)
        if levels > MAX_DEPTH:
            raise self.error(rule, f"rule nested {levels} levels deep; at most {MAX_DEPTH}")
        return expr

    def expr(self, element: _Element, model: FeatureModel) -> Expr:
        tag, kids = element.tag, element.children
        if tag == "var":
            name = element.text
            if name not in self.features:  # pretty-printed: <var>\n  A\n</var>
                name = name.strip()
            if name not in self.features:
                raise self.error(element, f"unknown feature '{name}'")
            return Ref(name)
        if tag == "uvl":
            try:
                return parse_constraint(element.text, model, self.file)
            except ModelSyntaxError as e:
                raise self.error(element, e.message) from None
        if tag == "not" and len(kids) == 1:
            return Not(self.expr(kids[0], model))
        if tag in ("imp", "eq") and len(kids) == 2:
            return Logic(_LOGIC_TAGS[tag], self.expr(kids[0], model), self.expr(kids[1], model))
        if tag in ("conj", "disj") and kids:
            return chain(_LOGIC_TAGS[tag], [self.expr(k, model) for k in kids])
        if tag == "atmost1" and len(kids) > _MAX_ATMOST1:
            raise self.error(
                element, f"<atmost1> over {len(kids)} operands; at most {_MAX_ATMOST1}"
            )
        if tag == "atmost1" and kids:
            operands = [self.expr(k, model) for k in kids]
            pairs = [
                Not(Logic("&", a, b)) for i, a in enumerate(operands) for b in operands[i + 1 :]
            ]
            return chain("&", pairs) if pairs else Const(True)
        raise self.error(element, f"unexpected <{tag}> with {len(kids)} operand(s) in a rule")


def parse_featureide(text: str | bytes, file: str | None = None) -> FeatureModel:
    """Parse FeatureIDE XML; raises ModelSyntaxError at the offending element.

    Bytes are decoded as the XML declaration says; other elements FeatureIDE keeps in a
    feature (graphics, properties) are skipped."""
    return _Reader(file).model(_read_xml(text, file))


# -- writer ----------------------------------------------------------------------------------


def _attribute_xml(name: str, v: object) -> str:
    if isinstance(v, bool):
        kind, text = "boolean", "true" if v else "false"
    elif isinstance(v, int):
        kind, text = "long", str(v)
    elif isinstance(v, float):
        kind, text = "double", repr(v)
    elif isinstance(v, str):
        kind, text = "string", v
    else:
        kind, text = "uvl", value(v)
    return f"<attribute name={quoteattr(name)} type={quoteattr(kind)} value={quoteattr(text)}/>"


def _plain(f: Feature) -> bool:
    """Whether FeatureIDE's own elements express the feature's groups."""
    kinds = {g.kind for g in f.groups}
    if any(not g.children for g in f.groups):
        return False
    if kinds <= {GroupKind.MANDATORY, GroupKind.OPTIONAL}:
        # Children are read back as runs of one kind, so two adjacent runs must differ.
        return all(a.kind is not b.kind for a, b in pairwise(f.groups))
    return len(f.groups) == 1 and kinds <= {GroupKind.ALTERNATIVE, GroupKind.OR}


def _card(lower: int, upper: int | None) -> str:
    return f"{lower}..{'*' if upper is None else upper}"


def _feature_xml(f: Feature, mandatory: bool, depth: int, out: list[str]) -> None:
    pad = "    " * depth
    tag = "feature"
    if f.groups:
        tag = "and"
        if _plain(f) and f.groups[0].kind is GroupKind.ALTERNATIVE:
            tag = "alt"
        elif _plain(f) and f.groups[0].kind is GroupKind.OR:
            tag = "or"
    attrs = f" name={quoteattr(f.name)}"
    if f.abstract:
        attrs += ' abstract="true"'
    if mandatory:
        attrs += ' mandatory="true"'
    if f.type is not FeatureType.BOOLEAN:
        attrs += f" type={quoteattr(f.type.value)}"
    if f.cardinality is not None:
        attrs += f' cardinality="{_card(*f.cardinality)}"'
    inner: list[str] = [f"{pad}    {_attribute_xml(k, v)}" for k, v in f.attributes.items()]
    if _plain(f):
        for g in f.groups:
            for child in g.children:
                _feature_xml(child, g.kind is GroupKind.MANDATORY, depth + 1, inner)
    else:
        for g in f.groups:
            card = f' cardinality="{_card(g.lower, g.upper)}"'
            card = card if g.kind is GroupKind.CARDINALITY else ""
            inner.append(f'{pad}    <group kind="{g.kind.value}"{card}>')
            for child in g.children:
                _feature_xml(child, False, depth + 2, inner)
            inner.append(f"{pad}    </group>")
    if inner:
        out += [f"{pad}<{tag}{attrs}>", *inner, f"{pad}</{tag}>"]
    else:
        out.append(f"{pad}<{tag}{attrs}/>")


def _expr_xml(e: Expr, depth: int, out: list[str]) -> None:
    pad = "    " * depth
    if isinstance(e, Ref) and e.attribute is None:
        out.append(f"{pad}<var>{escape(e.feature)}</var>")
    elif isinstance(e, Not):
        out.append(f"{pad}<not>")
        _expr_xml(e.operand, depth + 1, out)
        out.append(f"{pad}</not>")
    elif isinstance(e, Logic):
        tag = _TAG_OF[e.op]
        out.append(f"{pad}<{tag}>")
        _expr_xml(e.left, depth + 1, out)
        _expr_xml(e.right, depth + 1, out)
        out.append(f"{pad}</{tag}>")
    else:
        out.append(f"{pad}<uvl>{escape(expression(e))}</uvl>")


def write_featureide(model: FeatureModel) -> str:
    """The model as FeatureIDE XML (with the extensions above only where needed)."""
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="no"?>', "<featureModel>"]
    props = []
    if model.namespace:
        props.append(f'<property key="uvl.namespace" value={quoteattr(model.namespace)}/>')
    props += [f'<property key="uvl.include" value={quoteattr(i)}/>' for i in model.includes]
    if props:
        out += ["    <properties>", *(f"        {p}" for p in props), "    </properties>"]
    else:
        out.append("    <properties/>")
    out.append("    <struct>")
    _feature_xml(model.root, False, 2, out)
    out.append("    </struct>")
    if model.constraints:
        out.append("    <constraints>")
        for c in model.constraints:
            out.append("        <rule>")
            _expr_xml(c.expr, 3, out)
            out.append("        </rule>")
        out.append("    </constraints>")
    else:
        out.append("    <constraints/>")
    out.append("</featureModel>")
    return "\n".join(out) + "\n"
