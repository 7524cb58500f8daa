"""The transformers versions pimp was tested with, and a warning for any other.

What a configuration of sample_models/hf_generation.uvl means, and whether it runs, depends on
the transformers release: between 5.x releases errors changed and checks disappeared (prompt
lookup with a static cache went from a clear refusal to an IndexError). pyproject.toml bounds
the dependency to this same range (a test keeps the two equal); a campaign started with another
version says so before it measures anything.
"""

from __future__ import annotations

from importlib import metadata

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

TESTED_TRANSFORMERS = ">=5.24,<5.26"
"""The transformers releases the test suite passed on (5.24.0 and 5.25.0)."""


def untested_transformers(version: str | None = None) -> str | None:
    """A one-line warning when the installed transformers (or `version`) is outside the tested
    range; None inside it or when transformers is not installed (loading the LLM says so)."""
    if version is None:
        try:
            version = metadata.version("transformers")
        except metadata.PackageNotFoundError:
            return None
    try:
        inside = Version(version) in SpecifierSet(TESTED_TRANSFORMERS)
    except InvalidVersion:
        inside = False
    if inside:
        return None
    return (
        f"transformers {version} is outside the tested range {TESTED_TRANSFORMERS}: "
        "configurations the feature model calls valid may fail or behave differently"
    )
