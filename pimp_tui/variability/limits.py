"""How much a model file may ask for: every reader refuses more, at FILE:LINE:COL.

Model files come from anywhere, so each bound below keeps the work one file can cause small
and predictable: no step that follows (readers, writers, the CNF encoder, model comparison,
the tree views) recurses deeper than MAX_DEPTH levels or enumerates more than MAX_DOMAIN values.
"""

from __future__ import annotations

MAX_DEPTH = 64
"""Deepest feature tree (levels of features below the root), deepest constraint (levels of
operators, parentheses and negations) and deepest bracket nesting a model may use. A chain of
one associative operator (`A | B | C ...`, also `&`, `+`, `*`) is read as a balanced tree, so
its length costs only log2(terms) levels: a 10,000-term disjunction is 14 levels deep."""

MAX_DOMAIN = 10_000
"""Most values a typed feature's domain may hold: reasoning gives each value a variable."""

MAX_COMPOSED = 100_000
"""Most features and constraint nodes a model may reach once its imports are composed: a file
imported twice by a file imported twice... doubles at every level."""

MAX_IMPORT_DEPTH = 16
"""Longest chain of files importing one another (a chain's files are parsed one inside the
other)."""
