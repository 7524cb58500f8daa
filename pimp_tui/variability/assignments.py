"""Configuration text: the one grammar for feature values typed by a user (the Predict pane's
Query and Recommend boxes, `pimp predict query`, `recommend --fix`, `pimp model check|count
--given`).

    text    := item ((',' | whitespace) item)*
    item    := NAME                  select a feature (the value true)
             | '!' NAME              deselect it (the value false)
             | NAME '=' VALUE        give its value

A VALUE for a Boolean feature is true/false, yes/no or 1/0 (any case); `none` (or `null`)
leaves a feature out. For a typed feature the value is read as the feature's type (an integer,
a real, a string; quotes around a string are dropped). Without a feature model, true/false
and yes/no are Booleans and numbers are numbers. Every error names the token it is about.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pimp_tui.errors import PimpError
from pimp_tui.variability.model import FeatureType, Value

TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")
NONE_WORDS = ("none", "null")
_ITEM = re.compile(r"^(!?)([A-Za-z_][\w.]*)(?:=(.*))?$")


def tokens(text: str | Iterable[str]) -> list[str]:
    """The items of configuration text (or of several pieces, e.g. repeated options)."""
    pieces = [text] if isinstance(text, str) else list(text)
    out: list[str] = []
    for piece in pieces:
        # `name = value` is one item: spaces around '=' are dropped first.
        joined = re.sub(r"\s*=\s*", "=", piece)
        out.extend(t for t in re.split(r"[,\s]+", joined) if t)
    return out


def parse_assignments(
    text: str | Iterable[str], model: Any = None, also: Iterable[str] = ()
) -> dict[str, Value | None]:
    """Feature values from configuration text, typed by `model`'s features when given (then a
    name that is neither one of them nor in `also` is an error)."""
    features = {f.name: f for f in model.features()} if model is not None else None
    allowed = set(also)
    out: dict[str, Value | None] = {}
    for token in tokens(text):
        match = _ITEM.match(token)
        if not match:
            raise PimpError(f"cannot read {token!r}: write NAME, !NAME or NAME=VALUE")
        negate, name, raw = match.groups()
        if features is not None and name not in features and name not in allowed:
            raise PimpError(f"unknown feature {name!r} (in {token!r})")
        if negate and raw is not None:
            raise PimpError(f"cannot read {token!r}: write !NAME or NAME=VALUE, not both")
        if raw is None:
            out[name] = not negate
            continue
        if raw == "":
            raise PimpError(f"cannot read {token!r}: no value after '='")
        kind = features[name].type if features is not None and name in features else None
        out[name] = _value(token, raw, kind)
    return out


def _value(token: str, raw: str, kind: FeatureType | None) -> Value | None:
    word = raw.strip("'\"")
    lowered = word.lower()
    if lowered in NONE_WORDS:
        return None
    words = TRUE_WORDS[:2] + FALSE_WORDS[:2]
    if kind is FeatureType.BOOLEAN or (kind is None and lowered in words):
        if lowered in TRUE_WORDS:
            return True
        if lowered in FALSE_WORDS:
            return False
        raise PimpError(f"{token!r}: a Boolean feature is true/false, yes/no or 1/0")
    if kind is FeatureType.STRING:
        return word
    if kind is FeatureType.INTEGER:
        try:
            number = float(word)
        except ValueError:
            number = float("nan")
        if not number.is_integer():
            raise PimpError(f"{token!r}: an Integer feature needs a whole number")
        return int(number)
    for cast in (int, float):
        try:
            return cast(word)
        except ValueError:
            pass
    if kind is FeatureType.REAL:
        raise PimpError(f"{token!r}: a Real feature needs a number")
    return word


def describe(values: dict[str, Value | None]) -> str:
    """Configuration text for `values` that `parse_assignments` reads back."""
    parts = []
    for name, value in values.items():
        if value is True:
            parts.append(name)
        elif value is False:
            parts.append(f"!{name}")
        elif value is None:
            parts.append(f"{name}=none")
        else:
            parts.append(f"{name}={value}")
    return " ".join(parts)
