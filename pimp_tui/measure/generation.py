"""Batched generation as a run measures it: the input tensors for a task's prompts, one
`generate()` call timed to its first token (for every decoding strategy), and the count of
tokens a sequence really produced."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pimp_tui.measure.llm import LLM
from pimp_tui.measure.tasks import Prompt, Task


@dataclass
class _Clock:
    """Marks when the first token exists: called as a stopping criterion, i.e. after every
    step has appended its token(s), for every decoding strategy (beam search and prompt-lookup
    included, where streamers are refused or a logits processor runs before the first forward
    pass). It never stops generation."""

    synchronize: Callable[[], Any] | None
    on_step: Callable[[], None] | None
    first: float | None = None

    def tick(self) -> None:
        if self.first is None:
            if self.synchronize:
                self.synchronize()
            self.first = time.perf_counter()
        if self.on_step:
            self.on_step()


def _criteria(clock: _Clock) -> Any:
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class _Tick(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            clock.tick()
            return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([_Tick()])


def build_inputs(llm: LLM, task: Task, prompts: Sequence[Prompt]) -> dict:
    """Left-padded input tensors, through the chat template when the task uses it and the
    tokenizer has one."""
    tokenizer = llm.tokenizer
    if prompts and all(p.token_ids is not None for p in prompts):
        return _token_inputs(llm, [p.token_ids for p in prompts])  # type: ignore[misc]
    if task.chat and getattr(tokenizer, "chat_template", None):
        texts = [
            tokenizer.apply_chat_template(
                task.messages(p), tokenize=False, add_generation_prompt=True
            )
            for p in prompts
        ]
        special = False
    else:
        texts, special = [task.plain(p) for p in prompts], True
    tokenizer.padding_side = "left"
    enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=special)
    if llm.vocab_size and len(tokenizer) > llm.vocab_size:
        enc["input_ids"] = enc["input_ids"] % llm.vocab_size
    return {k: v.to(llm.device) for k, v in enc.items()}


def _token_inputs(llm: LLM, rows: Sequence[Sequence[int]]) -> dict:
    """Tensors for prompts given as token ids, left-padded to the longest."""
    import torch

    width = max(len(row) for row in rows)
    pad = llm.tokenizer.pad_token_id or 0
    ids = [[pad] * (width - len(row)) + list(row) for row in rows]
    mask = [[0] * (width - len(row)) + [1] * len(row) for row in rows]
    enc = {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask)}
    if llm.vocab_size:
        enc["input_ids"] = enc["input_ids"] % llm.vocab_size
    return {k: v.to(llm.device) for k, v in enc.items()}


def eos_ids(llm: LLM, model: Any) -> set[int]:
    eos = model.generation_config.eos_token_id
    ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
    if llm.tokenizer.eos_token_id is not None:
        ids.add(llm.tokenizer.eos_token_id)
    return ids


def count_output(row: Sequence[int], eos: set[int], pad: int | None) -> int:
    """Tokens a sequence really produced: up to and including its first end-of-sequence."""
    for index, token in enumerate(row):
        if token in eos:
            return index + 1
        if pad is not None and token == pad:
            return index
    return len(row)


def timed_generate(
    model: Any,
    enc: dict,
    gen_kwargs: dict,
    synchronize: Callable[[], Any] | None,
    on_step: Callable[[], None] | None,
) -> tuple[Any, tuple[float, float | None, float, int]]:
    """One `generate()` call: the sequences, and when it started, when its first token
    existed (None if never), when it ended, and how many positions it generated."""
    import torch

    clock = _Clock(synchronize, on_step)
    criteria = _criteria(clock)
    start = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(**enc, **gen_kwargs, stopping_criteria=criteria)
    if synchronize:
        synchronize()
    end = time.perf_counter()
    sequences = out.sequences if hasattr(out, "sequences") else out
    return sequences, (start, clock.first, end, sequences.shape[1] - enc["input_ids"].shape[1])
