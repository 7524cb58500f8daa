"""UVL reader: a recursive-descent parser over `uvl_lexer` tokens into the metamodel.

Covers the whole language: namespace, include (kept verbatim), the feature tree with types,
group and feature cardinalities and attributes, and constraints with the Boolean, arithmetic
and aggregate operators. Constraint attributes (`constraint X`, `constraints [X, Y]`) join the
model's constraint list, in file order, before the `constraints` section. Imported models are
read by an `Importer` and composed under their alias (`composition`); their constraints follow
the importing model's own.

Constraint precedence, loosest first: <=>, =>, |, &, !, comparisons, + -, * /; all binary
operators are left-associative, and a run of one associative operator (& | + *) is built as a
balanced tree (`model.chain`). Nesting is bounded (`limits`): the lexer refuses deep brackets
and indentation, the parser deep constraints, and no rule recurses once per chained operand.
References are checked after the whole file is read, so a constraint attribute may name a
feature declared further down.
"""

from __future__ import annotations

from collections.abc import Callable

from pimp_tui.errors import ModelSyntaxError
from pimp_tui.variability.composition import qualified, size
from pimp_tui.variability.limits import MAX_COMPOSED, MAX_DEPTH
from pimp_tui.variability.model import (
    Aggregate,
    Arith,
    Compare,
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
from pimp_tui.variability.uvl_lexer import (
    AGGREGATES,
    GROUP_KEYWORDS,
    RESERVED,
    TYPE_KEYWORDS,
    Token,
    tokenize,
)

_LOGIC_LEVELS = (("<=>",), ("=>",), ("|",), ("&",))
_ARITH_LEVELS = (("+", "-"), ("*", "/"))
_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


def _is_boolean(e: Expr) -> bool:
    if isinstance(e, Const):
        return isinstance(e.value, bool)
    return isinstance(e, (Ref, Logic, Not, Compare))


def _is_term(e: Expr) -> bool:
    return not isinstance(e, (Logic, Not, Compare))


class ImportProblem(Exception):
    """An import that cannot be read (missing file, cycle): reported at the import line."""


Importer = Callable[[str], FeatureModel]
"""Reads the model a dotted import name refers to (raises ImportProblem)."""


class _Parser:
    def __init__(self, text: str, file: str | None, importer: Importer | None = None) -> None:
        self.text, self.file, self.importer = text, file, importer
        self.tokens = tokenize(text, file)
        self.imports: dict[str, tuple[FeatureModel, Token]] = {}
        """Alias -> the imported model and where its import is written."""
        self.imported_constraints: list[Constraint] = []
        self.qualified = False
        """The known features include imported ones (`alias.F`), as in a composed model."""
        self.composed = 0
        """Features and constraint nodes added by composing imports (bounded)."""
        self.i = 0
        self.features: dict[str, Feature] = {}
        self.constraints: list[Constraint] = []
        self.refs: list[tuple[str, list[Token]]] = []
        """References to check once every feature is known: ('ref'|'value'|'attr'|'scope',
        parts); 'value' is the feature a `sum(F)` adds up."""
        self.deferred: list[int] = []
        """Where the constraint attributes start, read after the tree."""

    # -- token helpers ---------------------------------------------------------------------

    def peek(self, k: int = 0) -> Token:
        if k:
            return self.tokens[min(self.i + k, len(self.tokens) - 1)]
        return self.tokens[self.i]

    def next(self) -> Token:
        """The current token; the cursor moves on but never past EOF."""
        tok = self.tokens[self.i]
        if tok.kind != "EOF":
            self.i += 1
        return tok

    def at(self, kind: str, value: str | None = None) -> bool:
        tok = self.tokens[self.i]
        return tok.kind == kind and (value is None or tok.value == value)

    def at_word(self, word: str) -> bool:
        return self.at("NAME", word)

    def at_op(self, *ops: str) -> bool:
        tok = self.tokens[self.i]
        return tok.kind == "OP" and tok.value in ops

    def error(self, tok: Token, message: str) -> ModelSyntaxError:
        return ModelSyntaxError(message, self.file, tok.line, tok.col)

    def expected(self, what: str) -> ModelSyntaxError:
        tok = self.peek()
        if tok.kind == "INDENT":
            return self.error(tok, f"wrong indentation: expected {what}")
        return self.error(tok, f"expected {what}, found {tok.describe()}")

    def expect(self, kind: str, value: str | None = None, what: str | None = None) -> Token:
        if not self.at(kind, value):
            raise self.expected(what or (repr(value) if value else kind.lower()))
        return self.next()

    def expect_op(self, op: str) -> Token:
        return self.expect("OP", op, f"'{op}'")

    def end_of_line(self) -> None:
        if not self.at("EOF"):
            self.expect("NEWLINE", what="end of line")

    def name(self, what: str) -> Token:
        """A quoted name, or an unquoted one that is not a keyword."""
        tok = self.peek()
        if tok.kind == "QNAME":
            return self.next()
        if tok.kind == "NAME":
            if tok.value in RESERVED:
                raise self.error(tok, f"'{tok.value}' is a keyword: quote it to use it as a name")
            return self.next()
        raise self.expected(what)

    def slice(self, first: Token) -> str:
        return self.text[first.start : self.tokens[self.i - 1].end].strip()

    # -- sections --------------------------------------------------------------------------

    def model(self) -> FeatureModel:
        while self.at("NEWLINE"):
            self.next()
        namespace = self.namespace() if self.at_word("namespace") else None
        includes = self.includes() if self.at_word("include") else []
        if self.at_word("imports"):
            self.imports_section()
        if not self.at_word("features"):
            raise self.expected("the 'features' section")
        root = self.features_section()
        self.deferred_constraints()
        if self.at_word("constraints"):
            self.next()
            self.end_of_line()
            self.block(self.constraint_line)
        if not self.at("EOF"):
            raise self.expected("'constraints' or end of file")
        self.check_references()
        constraints = self.constraints + self.imported_constraints
        model = FeatureModel(root, constraints, namespace, includes)
        model.link_parents()
        return model

    def block(self, item: Callable[[], object]) -> None:
        """An optional indented block of `item`s."""
        if self.at("INDENT"):
            self.next()
            while not self.at("DEDENT"):
                item()
            self.next()

    def namespace(self) -> str:
        self.next()
        parts = self.reference_parts("a namespace name")
        self.end_of_line()
        return ".".join(p.value for p in parts)

    def includes(self) -> list[str]:
        self.next()
        self.end_of_line()
        levels: list[str] = []

        def level() -> None:
            first = self.expect("NAME", what="a language level such as Arithmetic.*")
            while not self.at("NEWLINE") and not self.at("EOF"):
                self.next()
            levels.append(self.slice(first))
            self.end_of_line()

        self.block(level)
        return levels

    def imports_section(self) -> None:
        keyword = self.next()
        if self.importer is None:
            raise self.error(
                keyword, "imports are resolved next to the model's file: read the model from a file"
            )
        self.end_of_line()
        self.block(self.import_line)

    def import_line(self) -> None:
        parts = self.reference_parts("a model name")
        name = ".".join(p.value for p in parts)
        alias = name
        if self.at_word("as"):
            self.next()
            alias = ".".join(p.value for p in self.reference_parts("an alias"))
        self.end_of_line()
        if alias in self.imports:
            first = self.imports[alias][1].line
            raise self.error(parts[0], f"'{alias}' is imported twice (first at line {first})")
        assert self.importer is not None
        try:
            model = self.importer(name)
        except ImportProblem as problem:
            raise self.error(parts[0], str(problem)) from None
        self.imports[alias] = (model, parts[0])

    def features_section(self) -> Feature:
        self.next()
        self.end_of_line()
        if not self.at("INDENT"):
            raise self.expected("an indented root feature")
        self.next()
        root = self.feature()
        if not self.at("DEDENT"):
            self.misplaced_group()
            raise self.error(self.peek(), "a feature model has exactly one root feature")
        self.next()
        return root

    # -- the feature tree ------------------------------------------------------------------

    def feature(self) -> Feature:
        self.misplaced_group()
        ftype = FeatureType.BOOLEAN
        if self.peek().kind == "NAME" and self.peek().value in TYPE_KEYWORDS:
            ftype = TYPE_KEYWORDS[self.next().value]
        tok = self.name("a feature name")
        if self.imports and self.at_op(".") and ftype is FeatureType.BOOLEAN:
            return self.imported_root(tok)
        if tok.value in self.features:
            first = self.features[tok.value].line
            raise self.error(tok, f"duplicate feature name '{tok.value}' (first at line {first})")
        feature = Feature(tok.value, ftype, line=tok.line)
        self.features[tok.value] = feature
        if self.at_word("cardinality"):
            self.next()
            feature.cardinality = self.cardinality()
        if self.at_op("{"):
            feature.attributes = self.attributes(feature)
        problem = feature.domain_error()
        if problem is not None:
            raise self.error(tok, problem)
        self.end_of_line()
        self.block(lambda: feature.groups.append(self.group()))
        return feature

    def imported_root(self, first: Token) -> Feature:
        """`alias.Root` in the tree: the imported model, its names qualified by the alias."""
        self.i -= 1
        parts = self.reference_parts()
        written = ".".join(p.value for p in parts)
        alias = next(
            (a for a in sorted(self.imports, key=len, reverse=True) if written.startswith(a + ".")),
            None,
        )
        if alias is None:
            raise self.error(first, f"'{written}' names no imported model (see 'imports')")
        model, _ = self.imports[alias]
        if written != f"{alias}.{model.root.name}":
            raise self.error(
                first, f"only the root of '{alias}' can be placed: write {alias}.{model.root.name}"
            )
        if not self.at("NEWLINE") and not self.at("EOF"):
            raise self.error(self.peek(), "an imported feature is defined in its own file")
        self.end_of_line()
        if self.at("INDENT"):
            raise self.error(self.peek(), "an imported feature is defined in its own file")
        self.composed += size(model)
        if self.composed > MAX_COMPOSED:
            raise self.error(
                first,
                f"composing the imports gives more than {MAX_COMPOSED:,} features and "
                "constraint nodes",
            )
        part = qualified(model, alias)
        for feature in part.features():
            if feature.name in self.features:
                raise self.error(first, f"duplicate feature name '{feature.name}'")
            self.features[feature.name] = feature
        self.imported_constraints += part.constraints
        return part.root

    def misplaced_group(self) -> None:
        """A group keyword where a feature belongs is almost always an indentation slip."""
        tok = self.peek()
        if tok.kind == "NAME" and tok.value in GROUP_KEYWORDS or self.at_op("["):
            raise self.error(
                tok,
                f"wrong indentation: group '{tok.value}' must be indented under its feature"
                + (" (quote it to use it as a name)" if tok.kind == "NAME" else ""),
            )

    def group(self) -> Group:
        tok = self.peek()
        if tok.kind == "NAME" and tok.value in GROUP_KEYWORDS:
            self.next()
            group = Group(GROUP_KEYWORDS[tok.value])
        elif self.at_op("["):
            lower, upper = self.cardinality()
            group = Group(GroupKind.CARDINALITY, lower=lower, upper=upper)
        else:
            raise self.expected("a group (mandatory, optional, alternative, or, [n..m])")
        self.end_of_line()
        self.block(lambda: group.children.append(self.feature()))
        return group

    def cardinality(self) -> tuple[int, int | None]:
        self.expect_op("[")
        lo_tok = self.expect("INT", what="a whole number")
        lower = upper = self.bound(lo_tok)
        if self.at_op(".."):
            self.next()
            if self.at_op("*"):
                self.next()
                upper = None  # type: ignore[assignment]
            else:
                upper = self.bound(self.expect("INT", what="a whole number or '*'"))
        if upper is not None and upper < lower:
            raise self.error(lo_tok, f"cardinality [{lower}..{upper}]: lower bound above upper")
        self.expect_op("]")
        return lower, upper

    def bound(self, tok: Token) -> int:
        if len(tok.value) > 18:
            raise self.error(tok, f"cardinality bound {tok.value[:20]}... is too large")
        return int(tok.value)

    # -- attributes ------------------------------------------------------------------------

    def attributes(self, feature: Feature | None) -> dict[str, object]:
        """`{...}`; `feature` is None for a nested attribute, where no keyword is special."""
        self.expect_op("{")
        attrs: dict[str, object] = {}
        while not self.at_op("}"):
            self.attribute(attrs, feature)
            if not self.at_op("}"):
                self.expect_op(",")
        self.next()
        return attrs

    def attribute(self, attrs: dict[str, object], feature: Feature | None) -> None:
        key = self.peek()
        if key.kind not in ("NAME", "QNAME"):
            raise self.expected("an attribute name")
        self.next()
        if feature is not None and key.kind == "NAME" and key.value == "constraint":
            self.skip_constraint()
            return
        if feature is not None and key.kind == "NAME" and key.value == "constraints":
            self.expect_op("[")
            while not self.at_op("]"):
                self.skip_constraint()
                if not self.at_op("]"):
                    self.expect_op(",")
            self.next()
            return
        value: object = True if self.at_op(",", "}") else self.value()
        if feature is not None and key.value == "abstract":
            if not isinstance(value, bool):
                raise self.error(key, "abstract takes true or false")
            feature.abstract = value
            return
        if key.value in attrs:
            raise self.error(key, f"duplicate attribute '{key.value}'")
        attrs[key.value] = value

    def value(self) -> object:
        tok = self.peek()
        if tok.kind == "STRING":
            return self.next().value
        if tok.kind in ("INT", "FLOAT") or (
            self.at_op("-") and self.peek(1).kind in ("INT", "FLOAT")
        ):
            return self.number()
        if tok.kind == "NAME" and tok.value in ("true", "false"):
            return self.next().value == "true"
        if self.at_op("["):
            self.next()
            items: list[object] = []
            while not self.at_op("]"):
                items.append(self.value())
                if not self.at_op("]"):
                    self.expect_op(",")
            self.next()
            return items
        if self.at_op("{"):
            return self.attributes(None)
        raise self.expected("an attribute value")

    def number(self) -> int | float:
        negative = self.at_op("-")
        if negative:
            self.next()
        tok = self.next()
        try:
            value = int(tok.value) if tok.kind == "INT" else float(tok.value)
        except ValueError:  # more digits than int() converts
            value = float("inf")
        if value == float("inf"):
            raise self.error(tok, f"the number {tok.value[:20]} is too large")
        return -value if negative else value

    # -- constraints -----------------------------------------------------------------------

    def skip_constraint(self) -> None:
        """Check a constraint attribute's syntax now, read it once the whole tree is known
        (which names are features and which are attributes decides what `sum(X)` means)."""
        start, refs = self.i, len(self.refs)
        self.boolean(self.logic, "a constraint")
        del self.refs[refs:]
        self.deferred.append(start)

    def deferred_constraints(self) -> None:
        resume = self.i
        for start in self.deferred:
            self.i = start
            self.constraint()
        self.i = resume

    def constraint_line(self) -> None:
        self.constraint()
        self.end_of_line()

    def constraint(self) -> None:
        first = self.peek()
        expr = self.bounded(first, self.boolean(self.logic, "a constraint"))
        self.constraints.append(Constraint(expr, self.slice(first), first.line))

    def bounded(self, first: Token, expr: Expr) -> Expr:
        """`expr`, unless it nests deeper than every later step may recurse."""
        levels = depth(expr)
        if levels > MAX_DEPTH:
            raise self.error(
                first,
                f"constraint nested {levels} levels deep; at most {MAX_DEPTH} "
                "(split it into several constraints)",
            )
        return expr

    def boolean(self, parse: Callable[[], Expr], what: str) -> Expr:
        tok = self.peek()
        expr = parse()
        if not _is_boolean(expr):
            raise self.error(tok, f"expected {what} (a Boolean expression), found a value")
        return expr

    def term(self, parse: Callable[[], Expr]) -> Expr:
        tok = self.peek()
        expr = parse()
        if not _is_term(expr):
            raise self.error(tok, "expected a number or string, found a Boolean expression")
        return expr

    def logic(self, min_level: int = 0) -> Expr:
        """Boolean operators by precedence climbing; a run of `&` or `|` becomes one balanced
        chain."""
        start = self.peek()
        left = self.negation()
        while (level := self.level_at(_LOGIC_LEVELS)) is not None and level >= min_level:
            op = self.peek().value
            if not _is_boolean(left):
                raise self.error(start, f"the left operand of '{op}' is not Boolean")
            operands = [left]
            while self.at_op(op):
                self.next()
                operands.append(
                    self.boolean(lambda: self.logic(level + 1), f"an operand of '{op}'")
                )
            left = chain(op, operands)
        return left

    def level_at(self, levels: tuple[tuple[str, ...], ...]) -> int | None:
        """The precedence level of the operator at the cursor, or None."""
        tok = self.peek()
        if tok.kind == "OP":
            for level, ops in enumerate(levels):
                if tok.value in ops:
                    return level
        return None

    def negation(self) -> Expr:
        nots = 0
        while self.at_op("!"):
            self.next()
            nots += 1
        if not nots:
            return self.comparison()
        expr = self.boolean(self.comparison, "an operand of '!'")
        for _ in range(nots):
            expr = Not(expr)
        return expr

    def comparison(self) -> Expr:
        start = self.peek()
        left = self.arithmetic()
        if self.at_op(*_COMPARISONS):
            if not _is_term(left):
                raise self.error(start, "expected a number or string, found a Boolean expression")
            op = self.next().value
            return Compare(op, left, self.term(self.arithmetic))
        return left

    def arithmetic(self, min_level: int = 0) -> Expr:
        """`+ -` then `* /`, left-associative; a run of `+` or of `*` is one balanced chain."""
        start = self.peek()
        left = self.unary()
        while (level := self.level_at(_ARITH_LEVELS)) is not None and level >= min_level:
            if not _is_term(left):
                raise self.error(start, "expected a number or string, found a Boolean expression")
            op = self.peek().value
            operands = [left]
            while self.at_op(op):
                self.next()
                operands.append(self.term(lambda: self.arithmetic(level + 1)))
            left = chain(op, operands)
        return left

    def unary(self) -> Expr:
        minus = 0
        while self.at_op("-") and self.peek(1).kind not in ("INT", "FLOAT"):
            self.next()
            minus += 1
        if self.at_op("-"):
            expr: Expr = Const(self.number())
        elif minus:
            expr = self.term(self.primary)
        else:
            return self.primary()
        for _ in range(minus):
            expr = Arith("-", Const(0), expr)
        return expr

    def primary(self) -> Expr:
        tok = self.peek()
        if self.at_op("("):
            self.next()
            expr = self.logic()
            self.expect_op(")")
            return expr
        if tok.kind in ("INT", "FLOAT"):
            return Const(self.number())
        if tok.kind == "STRING":
            return Const(self.next().value)
        if tok.kind == "NAME" and tok.value in ("true", "false"):
            return Const(self.next().value == "true")
        if tok.kind == "NAME" and tok.value in AGGREGATES and self.peek(1).value == "(":
            return self.aggregate()
        if tok.kind in ("NAME", "QNAME"):
            return self.reference()
        raise self.expected("a feature, a number, a string or '('")

    def reference_parts(self, what: str = "a feature name") -> list[Token]:
        """A dotted name, split at the dots; an imported feature's qualified name (`alias.F`)
        comes first as one part, so the rest are attributes."""
        parts = [self.name(what)]
        while self.at_op(".") and self.peek(1).kind in ("NAME", "QNAME"):
            self.next()
            parts.append(self.name("an attribute name"))
        composed = self.imports or self.qualified
        return self.imported_name(parts) if composed and len(parts) > 1 else parts

    def imported_name(self, parts: list[Token]) -> list[Token]:
        """`parts` with the longest leading run that names an imported feature (or, failing
        that, an alias and one more name) joined into one token."""
        joined = [".".join(p.value for p in parts[: k + 1]) for k in range(len(parts))]
        k = next((k for k in range(len(parts) - 1, 0, -1) if joined[k] in self.features), 0)
        if not k:
            k = next((len(a.split(".")) for a in self.imports if joined[-1].startswith(a + ".")), 0)
        if not k:
            return parts
        first, last = parts[0], parts[min(k, len(parts) - 1)]
        merged = Token("QNAME", joined[k], first.line, first.col, first.start, last.end)
        return [merged, *parts[k + 1 :]]

    def reference(self) -> Ref:
        parts = self.reference_parts()
        self.refs.append(("ref", parts))
        attribute = ".".join(p.value for p in parts[1:]) or None
        return Ref(parts[0].value, attribute)

    def aggregate(self) -> Aggregate:
        function = self.next().value
        self.expect_op("(")
        if function in ("floor", "ceil"):
            result = Aggregate(function, (self.term(self.arithmetic),))
        elif function == "len":
            result = Aggregate(function, (self.reference(),))
        else:
            first = self.reference_parts("an attribute or feature name")
            if self.at_op(","):
                self.next()
                second = self.reference_parts("an attribute or feature name")
                result = self.scoped_aggregate(function, first, second)
            elif len(first) == 1 and not self.is_attribute(first[0].value):
                self.refs.append(("value", first))
                result = Aggregate(function, (Ref(first[0].value),))
            elif len(first) > 1:
                self.refs.append(("ref", first))
                ref = Ref(first[0].value, ".".join(p.value for p in first[1:]))
                result = Aggregate(function, (ref,))
            else:
                self.refs.append(("attr", first))
                result = Aggregate(function, (), first[0].value)
        self.expect_op(")")
        return result

    def scoped_aggregate(self, function: str, first: list[Token], second: list[Token]) -> Aggregate:
        """`sum(attribute, feature)` as UVL writes it. Also read: the older
        `sum(feature, attribute)`, and `sum(F, G)` over two typed features' values."""
        if len(first) > 1 or len(second) > 1:
            raise self.error(first[0], f"{function}(attribute, feature) takes plain names")
        a, b = first[0].value, second[0].value
        if not self.is_attribute(a) and a in self.features:
            if not self.is_attribute(b):
                self.refs += [("value", first), ("value", second)]
                return Aggregate(function, (Ref(a), Ref(b)))
            first, second = second, first
        self.refs += [("attr", first), ("scope", second)]
        return Aggregate(function, (), first[0].value, second[0].value)

    def is_attribute(self, name: str) -> bool:
        return any(name in f.attributes for f in self.features.values())

    def check_references(self) -> None:
        attribute_names = {k for f in self.features.values() for k in f.attributes}
        for kind, parts in self.refs:
            head = parts[0]
            if kind == "attr":
                if head.value not in attribute_names:
                    raise self.error(head, f"no feature has an attribute '{head.value}'")
                continue
            feature = self.features.get(head.value)
            if feature is None and kind == "value":
                raise self.error(head, f"no attribute or feature named '{head.value}'")
            if feature is None:
                raise self.error(head, f"unknown feature '{head.value}'")
            scope: object = feature.attributes
            for part in parts[1:]:
                if not isinstance(scope, dict) or part.value not in scope:
                    raise self.error(
                        part, f"unknown attribute '{part.value}' of feature '{head.value}'"
                    )
                scope = scope[part.value]


def parse_uvl(text: str, file: str | None = None, importer: Importer | None = None) -> FeatureModel:
    """Parse UVL source; raises ModelSyntaxError located at the offending token. `importer`
    reads the models an `imports` section names (`io.load_model` passes one)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return _Parser(text, file, importer).model()


def parse_value(text: str, file: str | None = None) -> object:
    """Parse one UVL attribute value (used by the FeatureIDE reader)."""
    parser = _Parser(text.replace("\n", " "), file)
    result = parser.value()
    parser.end_of_line()
    if not parser.at("EOF"):
        raise parser.expected("end of value")
    return result


def parse_constraint(text: str, model: FeatureModel, file: str | None = None) -> Expr:
    """Parse one UVL constraint against `model`'s features (used by the FeatureIDE reader)."""
    parser = _Parser(text.replace("\n", " "), file)
    parser.features = {f.name: f for f in model.features()}
    parser.qualified = any("." in name for name in parser.features)
    first = parser.peek()
    expr = parser.bounded(first, parser.boolean(parser.logic, "a constraint"))
    parser.end_of_line()
    if not parser.at("EOF"):
        raise parser.expected("end of constraint")
    parser.check_references()
    return expr
