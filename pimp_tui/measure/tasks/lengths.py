"""`lengths`: synthetic prompts of exact input length and pinned output length, over a grid.

Energy is non-linear in input and output length, so a campaign over a grid of (input tokens,
output tokens, batch size) lets a predictor learn that geometry and lets the analytical model
find its efficiency sweet spots. Each grid point becomes part of the configuration
(columns `input_length`, `output_length`, `batch_size`), so a campaign over a sample of
generation settings measures every setting at every point and the runs export carries the
lengths like any other column.

Spec: `lengths` (inputs and outputs in powers of two from 32 to 2,048, batch size 1), or
`lengths:in=32..256:out=8,16,32:batch=1,4`, where `A..B` is the powers of two from A to B.
Points whose input plus output length exceed the model's context are left out.

Prompts are token ids, not text: a seeded text is tokenized (no special tokens) and trimmed
or repeated to exactly `input_length` tokens, so every request of a point costs the same
prefill. A run sends the campaign's prompt count rounded up to whole batches of the point's
batch size, so every generate() call is a full batch. Output length is pinned with
min_new_tokens = max_new_tokens = `output_length` in the run's effective configuration
(`pinned_values`), which the runner maps like any other. Accuracy is not scored: the outputs answer
nothing.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pimp_tui.errors import PimpError
from pimp_tui.measure.tasks.base import Prompt, Task

NAME = "lengths"
DEFAULT_LENGTHS = (32, 64, 128, 256, 512, 1024, 2048)
INPUT, OUTPUT, BATCH = "input_length", "output_length", "batch_size"
GRID_COLUMNS = (INPUT, OUTPUT, BATCH)
"""Configuration keys a lengths campaign adds to every configuration."""

_FIELDS = {"in": "inputs", "out": "outputs", "batch": "batches"}
_RANGE = re.compile(r"^(\d+)\.\.(\d+)$")
_WORDS = (
    "energy model token batch output input request server latency power memory cache "
    "attention layer weight signal river forest market garden station window paper letter "
    "number answer morning evening journey question history system network machine value "
    "result measure report engine kernel compute decode prefill length sample pattern"
).split()


@dataclass(frozen=True)
class LengthsGrid:
    """Input lengths × output lengths × batch sizes, in tokens and requests."""

    inputs: tuple[int, ...] = DEFAULT_LENGTHS
    outputs: tuple[int, ...] = DEFAULT_LENGTHS
    batches: tuple[int, ...] = (1,)

    def points(self, context: int | None = None) -> list[dict[str, int]]:
        """Every grid point as configuration columns; those over `context` are left out."""
        return [
            {INPUT: n_in, OUTPUT: n_out, BATCH: batch}
            for n_in in self.inputs
            for n_out in self.outputs
            for batch in self.batches
            if context is None or n_in + n_out <= context
        ]


def is_lengths(spec: str) -> bool:
    return spec == NAME or spec.startswith(NAME + ":")


def parse_grid(spec: str) -> LengthsGrid:
    """The grid a `lengths[:in=..:out=..:batch=..]` spec names (a PimpError when malformed)."""
    if not is_lengths(spec):
        raise PimpError(f"not a lengths task: {spec!r}")
    values: dict[str, tuple[int, ...]] = {}
    for part in spec.split(":")[1:]:
        key, sep, text = part.partition("=")
        if not sep or key not in _FIELDS or not text:
            raise PimpError(
                f"task {spec!r}: expected in=..., out=... or batch=... after 'lengths:', "
                f"got {part!r}"
            )
        values[_FIELDS[key]] = _numbers(text, spec)
    return LengthsGrid(**values)


def _numbers(text: str, spec: str) -> tuple[int, ...]:
    match = _RANGE.match(text)
    if match:
        low, high = int(match.group(1)), int(match.group(2))
        if low < 1 or high < low:
            raise PimpError(f"task {spec!r}: range {text} must go up from at least 1")
        found, value = [], 1
        while value <= high:
            if value >= low:
                found.append(value)
            value *= 2
        if not found:
            raise PimpError(f"task {spec!r}: no power of two in {text}")
        return tuple(found)
    try:
        numbers = tuple(sorted({int(item) for item in text.split(",")}))
    except ValueError:
        raise PimpError(f"task {spec!r}: {text!r} is not a list of whole numbers") from None
    if not numbers or numbers[0] < 1:
        raise PimpError(f"task {spec!r}: lengths and batch sizes must be at least 1")
    return numbers


@dataclass(frozen=True)
class LengthsTask(Task):
    """A task whose prompts are built per grid point (see `for_point`)."""

    grid: LengthsGrid = LengthsGrid()
    seed: int = 0


def lengths_task(spec: str, count: int, seed: int = 0) -> LengthsTask:
    """`count` seeded source texts (requests per run); token-exact prompts come per point."""
    grid = parse_grid(spec)
    prompts = tuple(Prompt(_text(seed, index, 64), "") for index in range(count))
    return LengthsTask(spec, prompts, chat=False, scored=False, grid=grid, seed=seed)


def _text(seed: int, index: int, words: int) -> str:
    rng = random.Random(f"lengths:{seed}:{index}")
    return " ".join(rng.choice(_WORDS) for _ in range(words))


def prompt_ids(tokenizer: Any, seed: int, index: int, n_in: int) -> tuple[int, ...]:
    """Exactly `n_in` token ids of seeded text (each word is at least one token)."""
    ids = tokenizer(_text(seed, index, n_in + 8), add_special_tokens=False)["input_ids"]
    if not ids:
        raise PimpError("the tokenizer turned the synthetic prompt into no tokens")
    while len(ids) < n_in:
        ids = ids + ids
    return tuple(int(i) for i in ids[:n_in])


def point_of(config: Mapping[str, Any]) -> dict[str, int] | None:
    """The grid point a configuration carries, or None for a configuration without one."""
    if any(config.get(key) is None for key in GRID_COLUMNS):
        return None
    return {key: int(config[key]) for key in GRID_COLUMNS}


def pinned_values(task: Task | str, config: Mapping[str, Any]) -> dict[str, int]:
    """What a lengths task pins in the configuration of one run: its output length (as both
    max_new_tokens and min_new_tokens) and batch size; nothing for other tasks or for a
    configuration without a grid point. `task` is a Task or its spec."""
    lengths = isinstance(task, LengthsTask) if not isinstance(task, str) else is_lengths(task)
    point = point_of(config) if lengths else None
    if point is None:
        return {}
    n_out = point[OUTPUT]
    return {"max_new_tokens": n_out, "min_new_tokens": n_out, BATCH: point[BATCH]}


def for_point(task: Task, config: Mapping[str, Any], tokenizer: Any) -> Task:
    """The task one run of a lengths campaign uses: the campaign's prompt count rounded up to
    whole batches, each exactly the point's input length (other tasks pass through)."""
    point = point_of(config) if isinstance(task, LengthsTask) else None
    if point is None:
        return task
    batch = point[BATCH]
    requests = -(-len(task.prompts) // batch) * batch  # whole batches: at least one
    prompts = tuple(
        Prompt(
            _text(task.seed, i, 64),  # type: ignore[attr-defined]
            "",
            token_ids=prompt_ids(tokenizer, task.seed, i, point[INPUT]),  # type: ignore[attr-defined]
        )
        for i in range(requests)
    )
    return dataclasses.replace(task, prompts=prompts)


def context_length(llm_spec: str) -> int | None:
    """The model's context window (max_position_embeddings) when its config is at hand."""
    from pathlib import Path

    from pimp_tui.measure.llm import converted_dir, resolve

    source = resolve(llm_spec)
    if source.kind in ("smollm2", "gguf"):
        config = converted_dir(Path(source.location)) / "config.json"
    elif source.kind == "config":
        config = Path(source.location)
    elif source.kind == "path":
        config = Path(source.location) / "config.json"
    else:
        return None
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    data = data.get("text_config", data)
    value = data.get("max_position_embeddings")
    return int(value) if isinstance(value, int) and value > 0 else None


def expand_sample(db: Any, sample_id: int, spec: str, context: int | None) -> int:
    """A sample holding every configuration of `sample_id` at every grid point of `spec`
    (reused when the same sample was expanded with the same spec before)."""
    from pimp_tui.store.samples import find_sample, load_sample, save_sample

    try:
        base, configs = load_sample(db, sample_id)
    except PimpError:
        raise PimpError(f"sample {sample_id} does not exist") from None
    points = parse_grid(spec).points(context)
    if not points:
        raise PimpError(f"task {spec!r}: every grid point exceeds the model's context ({context})")
    derived = f"{base['name']} x {spec}" + (f" (context {context})" if context else "")
    found = find_sample(db, base["model_id"], derived)
    if found is not None:
        return found
    if not configs:
        raise PimpError(f"sample {sample_id} has no configurations")
    meta = {**base["params"], "base_sample": sample_id, "lengths": spec}
    expanded = [{**config, **point} for config, point in _product(configs, points)]
    return save_sample(
        db, base["model_id"], derived, f"{base['algorithm']}+lengths", meta, expanded, None
    )


def _product(
    configs: Sequence[Mapping[str, Any]], points: Sequence[Mapping[str, int]]
) -> list[tuple[Mapping[str, Any], Mapping[str, int]]]:
    return [(config, point) for config in configs for point in points]
