"""Fuzzing the model readers: random and adversarial UVL and FeatureIDE XML either read (and
then survive a write-and-read round trip) or fail with a located ModelSyntaxError or another
PimpError, quickly. Anything else escaping is a traceback a user would see."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pimp_tui.errors import ModelSyntaxError, PimpError
from pimp_tui.variability.featureide import parse_featureide, write_featureide
from pimp_tui.variability.io import load_model, parse_uvl, write_uvl
from pimp_tui.variability.model import FeatureModel

# A loaded 2-core CI machine: an example that reads a few kilobytes must still finish in
# seconds; the adversarial ones read up to ~200 kB.
QUICK = settings(
    max_examples=150, deadline=timedelta(seconds=2), suppress_health_check=[HealthCheck.too_slow]
)
HEAVY = settings(
    max_examples=12, deadline=timedelta(seconds=10), suppress_health_check=[HealthCheck.too_slow]
)

_UVL_WORDS = [
    "namespace", "include", "imports", "features", "constraints", "constraint", "cardinality",
    "mandatory", "optional", "alternative", "or", "as", "true", "false", "Integer", "Real",
    "String", "Boolean", "abstract", "values", "min", "max", "step", "sum", "avg", "len",
    "floor", "ceil", "A", "B", "C", "Price", '"q d"', "'s'", "0", "1", "-2", "3.5", "1e999",
    "9" * 5000, "<=>", "=>", "|", "&", "!", "==", "!=", "<", ">", "+", "-", "*", "/", "(", ")",
    "[", "]", "{", "}", ",", ".", "..", "\n", "\n\t", "\n\t\t", "\n\t\t\t", "\n    ", "\t",
    " ", "//", "/*", "*/", "\r\n", "\ufeff", "\x00", "é",
]  # fmt: skip


def _reads_or_refuses(read, write, text) -> None:
    """`read(text)` gives a model that round-trips, or a PimpError; nothing else."""
    try:
        model = read(text)
    except ModelSyntaxError as e:
        assert e.line >= 1 and e.col >= 1, str(e)
        return
    except PimpError:
        return
    assert isinstance(model, FeatureModel)
    try:
        written = write(model)
    except PimpError:
        return  # a name or value the format cannot spell
    assert read(written) == model, written


def _uvl(text: str) -> FeatureModel:
    return parse_uvl(text, "fuzz.uvl")


@QUICK
@given(st.lists(st.sampled_from(_UVL_WORDS), max_size=60).map(" ".join))
def test_random_uvl_tokens(text: str) -> None:
    _reads_or_refuses(_uvl, write_uvl, text)


@QUICK
@given(st.text(max_size=300))
def test_random_uvl_text(text: str) -> None:
    _reads_or_refuses(_uvl, write_uvl, "features\n\tA\n" + text)


def _tree(levels: int, indent: str) -> str:
    lines = ["features", indent + "F0"]
    for i in range(1, levels + 1):
        lines += [indent * (2 * i) + "optional", indent * (2 * i + 1) + f"F{i}"]
    return "\n".join(lines) + "\n"


_HEADER = "features\n\tR\n\t\toptional\n\t\t\tA\n\t\t\tB\n\t\t\tInteger n {values [1, 2]}\n"


@st.composite
def _deep_constraints(draw: st.DrawFn) -> str:
    n = draw(st.integers(1, 12_000))
    kind = draw(st.sampled_from(["paren", "not", "minus", "chain", "mixed", "attr"]))
    if kind == "paren":
        body = "(" * n + "A" + ")" * n
    elif kind == "not":
        body = "!" * n + "A"
    elif kind == "minus":
        body = "-" * n + "n > 0"
    elif kind == "chain":
        op = draw(st.sampled_from(["|", "&", "=>", "<=>"]))
        body = f" {op} ".join(draw(st.sampled_from(["A", "B", "!A"])) for _ in range(min(n, 200)))
        body = f" {op} ".join([body] * max(1, n // 200))
    elif kind == "mixed":
        body = " + ".join(["n"] * n) + " > 1" if draw(st.booleans()) else " - ".join(["n"] * n)
    else:
        return f"features\n\tR {{x {'{a ' * n}1{'}' * n}}}\n"
    return f"{_HEADER}constraints\n\t{body}\n"


@HEAVY
@given(_deep_constraints())
@example(f"{_HEADER}constraints\n\t" + " | ".join(["A", "B"] * 300) + "\n")
@example(f"{_HEADER}constraints\n\t" + "(" * 10_000 + "A" + ")" * 10_000 + "\n")
@example(f"{_HEADER}constraints\n\t" + " & ".join(["A"] * 10_000) + "\n")
def test_deep_and_long_constraints(text: str) -> None:
    _reads_or_refuses(_uvl, write_uvl, text)


@HEAVY
@given(st.integers(0, 500), st.sampled_from(["\t", " ", "  "]))
@example(1_000, " ")
def test_deep_feature_trees(levels: int, indent: str) -> None:
    _reads_or_refuses(_uvl, write_uvl, _tree(levels, indent))


_NUMBERS = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["1e308", "1e-320", "0.1", "-0", "1" + "0" * 400]),
)


@QUICK
@given(
    st.sampled_from(["Integer", "Real", "String"]),
    st.dictionaries(st.sampled_from(["min", "max", "step"]), _NUMBERS, min_size=1),
)
def test_huge_and_odd_domains(kind: str, bounds: dict[str, str]) -> None:
    attrs = ", ".join(f"{k} {v}" for k, v in bounds.items())
    text = f"features\n\tR\n\t\toptional\n\t\t\t{kind} x {{{attrs}}}\n"
    _reads_or_refuses(_uvl, write_uvl, text)


@QUICK
@given(st.binary(max_size=200), st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe"]))
def test_bytes_that_are_not_utf8(tmp_path_factory, data: bytes, prefix: bytes) -> None:
    path: Path = tmp_path_factory.mktemp("uvl") / "m.uvl"
    path.write_bytes(prefix + b"features\n\tA\n\t\toptional\n\t\t\t" + data)
    _reads_or_refuses(lambda _: load_model(path), write_uvl, None)


# -- FeatureIDE XML -----------------------------------------------------------------------------

_TAGS = ["featureModel", "struct", "and", "or", "alt", "feature", "constraints", "rule", "var",
         "not", "conj", "disj", "imp", "eq", "atmost1", "uvl", "attribute", "group", "description",
         "properties", "property"]  # fmt: skip
_ATTRS = st.dictionaries(
    st.sampled_from(["name", "type", "mandatory", "abstract", "cardinality", "value", "kind"]),
    st.one_of(
        st.sampled_from(["A", "B", "C", "true", "Integer", "long", "uvl", "1..*", "2..1", "x"]),
        st.text(max_size=8),
        st.just("9" * 5000),
    ),
    max_size=3,
)


def _attr_text(attrs: dict[str, str]) -> str:
    quoted = {
        k: v.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
        for k, v in attrs.items()
    }
    return "".join(f' {k}="{v}"' for k, v in quoted.items())


_ELEMENTS = st.recursive(
    st.sampled_from(["A", "B", "", "&amp;", "&lt;", "&undefined;", "<![CDATA[x]]>"]),
    lambda inner: st.builds(
        lambda tag, attrs, kids: f"<{tag}{_attr_text(attrs)}>{''.join(kids)}</{tag}>",
        st.sampled_from(_TAGS),
        _ATTRS,
        st.lists(inner, max_size=4),
    ),
    max_leaves=25,
)

_PROLOGUES = [
    "",
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<?xml version="1.0" encoding="bogus"?>',
    '<!DOCTYPE m [<!ENTITY e "&#38;e;">]>',
    '<!DOCTYPE m [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
    '<!DOCTYPE m [<!ENTITY % p "x"> %p;]>',
    '<!DOCTYPE m SYSTEM "file:///etc/passwd">',
    '<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
]


def _xml(text: str | bytes) -> FeatureModel:
    return parse_featureide(text, "fuzz.xml")


@QUICK
@given(st.sampled_from(_PROLOGUES), _ELEMENTS)
def test_random_featureide_documents(prologue: str, body: str) -> None:
    text = f'{prologue}<featureModel><struct><and name="R">{body}</and></struct></featureModel>'
    _reads_or_refuses(_xml, write_featureide, text)
    _reads_or_refuses(_xml, write_featureide, prologue + body)


@QUICK
@given(
    st.sampled_from(["utf-8", "utf-16", "utf-16-le", "latin-1", "ascii"]),
    st.sampled_from(["UTF-8", "UTF-16", "ISO-8859-1", "none"]),
    st.text(max_size=20),
    st.binary(max_size=20),
)
def test_featureide_encodings(codec: str, declared: str, name: str, junk: bytes) -> None:
    head = "" if declared == "none" else f'<?xml version="1.0" encoding="{declared}"?>'
    safe = name.replace("&", "").replace("<", "").replace('"', "")
    doc = f'{head}<featureModel><struct><feature name="R{safe}"/></struct></featureModel>'
    try:
        data = doc.encode(codec)
    except UnicodeEncodeError:
        data = doc.encode("utf-8")
    _reads_or_refuses(_xml, write_featureide, data)
    _reads_or_refuses(
        _xml, write_featureide, data[: len(data) // 2] + junk + data[len(data) // 2 :]
    )


@HEAVY
@given(st.integers(1, 12_000), st.sampled_from(["not", "disj", "and", "x"]))
def test_deep_and_wide_featureide(n: int, shape: str) -> None:
    if shape == "disj":
        rule = "<disj>" + "<var>R</var>" * n + "</disj>"
    else:
        rule = f"<{shape}>" * min(n, 3000) + "<var>R</var>" + f"</{shape}>" * min(n, 3000)
    doc = (
        '<featureModel><struct><feature name="R"/></struct>'
        f"<constraints><rule>{rule}</rule></constraints></featureModel>"
    )
    _reads_or_refuses(_xml, write_featureide, doc)
