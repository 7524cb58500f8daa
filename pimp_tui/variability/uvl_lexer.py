"""UVL tokenizer: tokens with 1-based line/column, plus NEWLINE/INDENT/DEDENT from the layout.

UVL nests the feature tree by indentation, like Python: a deeper indentation opens a block, a
shallower one must return to an enclosing level. Tabs and spaces are both accepted, but a block
must extend its parent's indentation string exactly, so mixing them inconsistently is an error.
Inside (), [] and {} line breaks are plain whitespace, so attribute lists may span lines.

Nesting is bounded here, before anything is parsed: at most MAX_DEPTH open brackets, and
indentation for a feature tree at most MAX_DEPTH levels below its root (a feature and its
group take one level each).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NoReturn

from pimp_tui.errors import ModelSyntaxError
from pimp_tui.variability.limits import MAX_DEPTH
from pimp_tui.variability.model import FeatureType, GroupKind

GROUP_KEYWORDS = {k.value: k for k in GroupKind if k is not GroupKind.CARDINALITY}
TYPE_KEYWORDS = {t.value: t for t in FeatureType}
AGGREGATES = ("sum", "avg", "len", "floor", "ceil")
RESERVED = frozenset(
    {"namespace", "include", "imports", "features", "constraints", "constraint", "cardinality"}
    | {"as", "true", "false", "Arithmetic", "Type", *GROUP_KEYWORDS, *TYPE_KEYWORDS, *AGGREGATES}
)
"""Words that must be quoted to serve as names."""

OPERATORS = (
    "<=>",
    "=>",
    "==",
    "!=",
    "<=",
    ">=",
    "..",
    "!",
    "&",
    "|",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ".",
)
_OPENERS, _CLOSERS = "([{", ")]}"
_MAX_INDENTS = 2 * MAX_DEPTH + 2
"""Indentation levels of a tree MAX_DEPTH features deep: the root's, then a group's and a
feature's per level, then the deepest feature's groups."""


@dataclass(frozen=True)
class Token:
    kind: str
    """NAME, QNAME (a "quoted" name), STRING, INT, FLOAT, OP, NEWLINE, INDENT, DEDENT or EOF."""
    value: str
    line: int
    col: int
    start: int
    """Offsets into the source, so a construct's text can be quoted back exactly as written."""
    end: int

    def describe(self) -> str:
        if self.kind == "NEWLINE":
            return "end of line"
        if self.kind == "INDENT":
            return "an indented line"
        if self.kind == "DEDENT":
            return "end of block"
        if self.kind == "EOF":
            return "end of file"
        if self.kind == "QNAME":
            return f'"{self.value}"'
        if self.kind == "STRING":
            return f"'{self.value}'"
        return f"'{self.value}'"


_NAME = re.compile(r"[^\W\d][\w#§%?\\;]*")
"""An unquoted name: a letter or `_`, then letters, digits and the few signs UVL allows."""
_NAME_TAIL = re.compile(r"[\w#§%?\\;]+")
_NUMBER = re.compile(r"(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?")
_OPERATOR = re.compile("|".join(re.escape(op) for op in OPERATORS))
_SPACE = re.compile(r"[ \t\r\f]*")
_QUOTED = {'"': re.compile(r'"([^"\n]*)"'), "'": re.compile(r"'([^'\n]*)'")}


class _Lexer:
    def __init__(self, text: str, file: str | None) -> None:
        self.text, self.file = text, file
        self.pos, self.line, self.line_start = 0, 1, 0
        self.tokens: list[Token] = []
        self.indents = [""]
        self.open_brackets: list[Token] = []
        """Unclosed (, [ and {: inside them line breaks are whitespace."""

    # -- helpers ---------------------------------------------------------------------------

    def col(self, pos: int | None = None) -> int:
        return (self.pos if pos is None else pos) - self.line_start + 1

    def error(self, message: str, line: int | None = None, col: int | None = None) -> NoReturn:
        raise ModelSyntaxError(message, self.file, line or self.line, col or self.col())

    def peek(self, k: int = 0) -> str:
        i = self.pos + k
        return self.text[i] if i < len(self.text) else ""

    def newline(self) -> None:
        self.pos += 1
        self.line += 1
        self.line_start = self.pos

    def emit(self, kind: str, value: str, start: int) -> None:
        self.tokens.append(Token(kind, value, self.line, self.col(start), start, self.pos))

    def skip_comment(self) -> bool:
        """Skip a `//` or `/* */` comment at the cursor; False when there is none."""
        if self.text.startswith("//", self.pos):
            while self.peek() not in ("\n", ""):
                self.pos += 1
            return True
        if self.text.startswith("/*", self.pos):
            line, col = self.line, self.col()
            self.pos += 2
            while not self.text.startswith("*/", self.pos):
                if self.peek() == "":
                    self.error("unterminated /* comment", line, col)
                if self.peek() == "\n":
                    self.newline()
                else:
                    self.pos += 1
            self.pos += 2
            return True
        return False

    # -- layout ----------------------------------------------------------------------------

    def line_start_layout(self) -> bool:
        """At the start of a physical line: skip blank/comment lines, emit INDENT/DEDENTs.

        Returns False at end of input."""
        while True:
            begin = self.pos
            while self.peek() in (" ", "\t"):
                self.pos += 1
            indent = self.text[begin : self.pos]
            while self.skip_comment() or self.peek() in (" ", "\t"):
                if self.peek() in (" ", "\t"):
                    self.pos += 1
            if self.peek() == "":
                return False
            if self.peek() == "\n":
                self.newline()
                continue
            self.indent_to(indent)
            return True

    def indent_to(self, indent: str) -> None:
        top = self.indents[-1]
        if indent == top:
            return
        if indent.startswith(top):
            if len(self.indents) > _MAX_INDENTS:
                self.error(
                    f"nested too deeply: a feature tree may have at most {MAX_DEPTH} levels "
                    "below its root"
                )
            self.indents.append(indent)
            self.emit("INDENT", indent, self.pos)
            return
        if indent in self.indents:
            while self.indents[-1] != indent:
                self.indents.pop()
                self.emit("DEDENT", indent, self.pos)
            return
        if indent and top and set(indent) != set(top):
            self.error("wrong indentation: tabs and spaces mixed inconsistently")
        self.error("wrong indentation: does not match any enclosing level")

    # -- tokens ----------------------------------------------------------------------------

    def run(self) -> list[Token]:
        line_has_tokens = False
        at_line_start = True
        text = self.text
        while True:
            if at_line_start:
                if not self.line_start_layout():
                    break
                at_line_start = False
            self.pos = _SPACE.match(text, self.pos).end()  # type: ignore[union-attr]
            c = self.peek()
            if c == "":
                break
            if c == "\n":
                if not self.open_brackets:
                    if line_has_tokens:
                        self.emit("NEWLINE", "\n", self.pos)
                    line_has_tokens = False
                    at_line_start = True
                self.newline()
            elif c != "/" or not self.skip_comment():
                self.token(c)
                line_has_tokens = True
        if self.open_brackets:
            tok = self.open_brackets[-1]
            self.error(f"'{tok.value}' is never closed", tok.line, tok.col)
        if line_has_tokens:
            self.emit("NEWLINE", "", self.pos)
        for _ in self.indents[1:]:
            self.emit("DEDENT", "", self.pos)
        self.emit("EOF", "", self.pos)
        return self.tokens

    def token(self, c: str) -> None:
        start = self.pos
        if c in _QUOTED:
            self.quoted(c)
        elif c.isdecimal() or (c == "." and self.peek(1).isdecimal() and self.number_may_start()):
            self.number()
        elif m := _NAME.match(self.text, start):
            self.pos = m.end()
            self.emit("NAME", m.group(), start)
        elif m := _OPERATOR.match(self.text, start):
            op = m.group()
            self.pos = m.end()
            self.emit("OP", op, start)
            if op in _OPENERS:
                if len(self.open_brackets) == MAX_DEPTH:
                    self.error(f"more than {MAX_DEPTH} nested brackets", col=self.col(start))
                self.open_brackets.append(self.tokens[-1])
            elif op in _CLOSERS and self.open_brackets:
                self.open_brackets.pop()
        else:
            self.error(f"unexpected character {c!r}")

    def number_may_start(self) -> bool:
        """`.5` is a number, but the `.` of `B.5` (a reference) is not."""
        before = self.text[self.pos - 1] if self.pos else " "
        return not (before.isalnum() or before in "_\"')]}.")

    def quoted(self, quote: str) -> None:
        m = _QUOTED[quote].match(self.text, self.pos)
        if m is None:
            what = "name" if quote == '"' else "string"
            self.error(f"unterminated quoted {what}")
        if quote == '"' and not m.group(1):
            self.error('empty quoted name ""')
        start, self.pos = self.pos, m.end()
        self.emit("QNAME" if quote == '"' else "STRING", m.group(1), start)

    def number(self) -> None:
        start = self.pos
        m = _NUMBER.match(self.text, start)
        self.pos = m.end()  # type: ignore[union-attr]
        tail = _NAME_TAIL.match(self.text, self.pos)
        if tail:
            word = self.text[start : tail.end()]
            self.error(
                f"illegal name '{word}': an unquoted name must start with a letter"
                f' (quote it: "{word}")',
                col=self.col(start),
            )
        kind = "INT" if m.group().isdecimal() else "FLOAT"  # type: ignore[union-attr]
        self.emit(kind, m.group(), start)  # type: ignore[union-attr]


def tokenize(text: str, file: str | None = None) -> list[Token]:
    """Split UVL source (with \\n line ends) into tokens; raises ModelSyntaxError at the
    offending character."""
    return _Lexer(text, file).run()
