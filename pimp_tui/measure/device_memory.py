"""The device memory around a run: its peak (CUDA allocations, else the process's peak RSS)
and what a failed run leaves held, freed."""

from __future__ import annotations

import resource
import sys

from pimp_tui.measure.llm import LLM


def reset_peak_memory(llm: LLM) -> None:
    if llm.device.startswith("cuda"):
        import torch

        torch.cuda.reset_peak_memory_stats()


def peak_memory(llm: LLM) -> dict:
    if llm.device.startswith("cuda"):
        import torch

        # The models kept for other settings sit in the same memory: they are not this run's.
        return {
            "peak_memory_bytes": int(torch.cuda.max_memory_allocated()) - llm.others_size(),
            "memory_source": "cuda max allocated",
        }
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024
    return {"peak_memory_bytes": int(rss * scale), "memory_source": "process peak rss"}


def free_after_failure(llm: LLM, exc: BaseException) -> None:
    """Free what a failed run may hold (a failed load keeps nothing of its model; running out
    of memory drops every loaded model)."""
    if "out of memory" in str(exc).lower():
        llm.release()
    elif llm.device.startswith("cuda"):
        import torch

        torch.cuda.empty_cache()
