"""Where the shipped sample models and the per-user cache live."""

from __future__ import annotations

import os
from pathlib import Path

SAMPLE_MODELS = Path(__file__).resolve().parent.parent / "sample_models"
HF_GENERATION_MODEL = SAMPLE_MODELS / "hf_generation.uvl"
TINY_LLM = SAMPLE_MODELS / "tiny-llama"


def cache_dir() -> Path:
    """Converted model weights and other rebuildable files ($PIMP_CACHE or ~/.cache/pimp)."""
    root = os.environ.get("PIMP_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "pimp"
    )
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path
