"""Loaded models kept between runs, so that a campaign whose random order goes back and forth
between load-time settings (dtype, attention, quantization, placement) loads, and quantizes,
each of them once instead of once per switch.

A model is kept under its load key while the kept models hold at most `limit` entries and
`budget` bytes (by default half the memory of the device they live on: physical memory for CPU
models, GPU 0's for CUDA ones); the least recently used goes first. Sizes are what each model
took on its device: the growth of GPU 0's allocated memory over its load on CUDA, its
parameters and buffers on the CPU.

torch is imported inside functions: importing this module is cheap.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

KEEP_MODELS = 4
"""Most models kept loaded at once."""
KEEP_FRACTION = 0.5
"""Share of the device's memory the kept models may fill."""


@dataclass
class Kept:
    model: Any
    size: int
    """Bytes it holds on its device."""


class KeptModels:
    """Loaded models by load key, least recently used first."""

    def __init__(self, limit: int = KEEP_MODELS, budget: int | None = None) -> None:
        self.limit = max(1, limit)
        self.budget = budget
        self._kept: OrderedDict[Hashable, Kept] = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._kept

    @property
    def total(self) -> int:
        return sum(kept.size for kept in self._kept.values())

    def get(self, key: Hashable) -> Any | None:
        """The model kept under `key` (now the most recently used), or None."""
        kept = self._kept.get(key)
        if kept is None:
            return None
        self._kept.move_to_end(key)
        return kept.model

    def make_room(self) -> None:
        """Before a load: drop models until one more fits the count, and the budget has room
        for a model as large as the largest kept."""
        while self._kept and (
            len(self._kept) >= self.limit
            or (self.budget is not None and self.total + self._largest() > self.budget)
        ):
            self._kept.popitem(last=False)

    def put(self, key: Hashable, model: Any, size: int) -> None:
        """Keep the model just loaded; older ones go while the budget is exceeded (the new one
        stays even alone over it: it is the model in use)."""
        self._kept[key] = Kept(model, size)
        self._kept.move_to_end(key)
        while len(self._kept) > 1 and (
            len(self._kept) > self.limit or (self.budget is not None and self.total > self.budget)
        ):
            self._kept.popitem(last=False)

    def others_size(self, key: Hashable | None) -> int:
        """Bytes held by the kept models other than `key`'s."""
        return sum(kept.size for k, kept in self._kept.items() if k != key)

    def clear(self) -> None:
        self._kept.clear()

    def _largest(self) -> int:
        return max((kept.size for kept in self._kept.values()), default=0)


def device_budget(device: str) -> int | None:
    """KEEP_FRACTION of the memory of `device` ('cpu' or 'cuda[:N]'); None when unknown."""
    try:
        if device.startswith("cuda"):
            import torch

            total = int(torch.cuda.get_device_properties(_index(device)).total_memory)
        else:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, RuntimeError, AssertionError, AttributeError):
        return None
    return int(total * KEEP_FRACTION)


def allocated(device: str) -> int:
    """Bytes allocated by torch on a CUDA `device` (0 on the CPU)."""
    if not device.startswith("cuda"):
        return 0
    import torch

    return int(torch.cuda.memory_allocated(_index(device)))


def model_size(model: Any, device: str, allocated_before: int) -> int:
    """What a model just loaded holds on `device`."""
    if device.startswith("cuda"):
        return max(0, allocated(device) - allocated_before)
    try:
        return int(model.get_memory_footprint())
    except Exception:  # not a transformers model: count its tensors
        tensors = [*model.parameters(), *model.buffers()]
        return sum(t.nelement() * t.element_size() for t in tensors)


def _index(device: str) -> int:
    return int(device.split(":")[1]) if ":" in device else 0
