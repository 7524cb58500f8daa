"""Fixtures shared by the measurement tests."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence

import pytest

from tests.fakes import fake_pynvml


@pytest.fixture
def fake_nvml(monkeypatch: pytest.MonkeyPatch) -> Callable[..., object]:
    """Installs a fake `pynvml` in sys.modules: `fake_nvml(gpus=..., clock=..., init_error=...)`.

    Returns the fake module (its `fake` attribute holds the state); undone after the test.
    CUDA_VISIBLE_DEVICES is cleared so the sensor sees every fake GPU.
    """

    def install(
        gpus: Sequence[fake_pynvml.FakeGpu] | None = None,
        clock: Callable[[], float] = time.monotonic,
        init_error: int | None = None,
    ) -> object:
        module = fake_pynvml.build(gpus, clock, init_error)
        monkeypatch.setitem(sys.modules, "pynvml", module)
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
        return module

    return install
