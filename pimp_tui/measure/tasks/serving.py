"""`serving[:SOURCE]`: a stream of requests served as a configuration's Serving part says
(arrival process, static or continuous batching; see measure/serving/).

The prompts come from any other task, named after the colon (`serving:gsm8k`,
`serving:jsonl:PATH`; `serving` alone takes `arith`), cycled when the stream is longer; where
they carry answers the run reports accuracy. The campaign's request count (`--requests N`) is
the stream's length and `--duration S` drops the requests that would arrive after S seconds.
"""

from __future__ import annotations

NAME = "serving"
DEFAULT_SOURCE = "arith"


def is_serving(spec: str) -> bool:
    return spec == NAME or spec.startswith(NAME + ":")


def source_of(spec: str) -> str:
    """The task whose prompts a serving spec sends."""
    source = spec[len(NAME) + 1 :] if spec.startswith(NAME + ":") else ""
    return source or DEFAULT_SOURCE
