"""The machine a campaign runs on, and the constraints it adds to a device-aware feature model.

A model with a `Device` part (features `CPU` and `CUDA`, optionally `gpus`, or the same
under an import's alias) is fixed to the host
before sampling: without a CUDA GPU only CPU configurations remain; with N GPUs only CUDA ones
spread over at most N. The fixes are plain constraints, so counting, sampling and the reasoner
treat them like any other, and each carries the reason shown to the user. A quantization whose
package is not installed here is excluded the same way (it would only fail its runs). Models
without a Device part are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from pimp_tui.errors import PimpError
from pimp_tui.variability.model import Constraint, FeatureModel

HOST_CHOICES = ("auto", "cpu", "cuda", "cuda:N", "any")
"""What `--host` accepts: detect this machine, name one, or fix nothing."""


@dataclass(frozen=True)
class Host:
    """What a campaign here can run on: `gpus` CUDA GPUs visible to torch (0: CPU only), and
    the quantization methods whose package is missing (`QUANTIZATION_PACKAGES`)."""

    gpus: int
    name: str = ""
    missing: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        if not self.gpus:
            return "CPU (no CUDA GPU visible to torch)"
        plural = "s" if self.gpus > 1 else ""
        return f"{self.gpus} CUDA GPU{plural}" + (f" ({self.name})" if self.name else "")


@dataclass(frozen=True)
class HostFix:
    """One constraint the host adds, and why."""

    constraint: str
    reason: str


def detect_host() -> Host:
    """This machine as torch sees it (imports torch), with the packages it lacks."""
    import torch

    if not torch.cuda.is_available():
        return Host(0, missing=missing_backends())
    return Host(torch.cuda.device_count(), torch.cuda.get_device_name(0), missing_backends())


def missing_backends() -> frozenset[str]:
    """Quantization methods whose package is not installed in this Python."""
    from importlib.util import find_spec

    from pimp_tui.measure.llm import QUANTIZATION_PACKAGES

    return frozenset(
        method for method, (module, _) in QUANTIZATION_PACKAGES.items() if find_spec(module) is None
    )


def host_from_spec(spec: str | None) -> Host | None:
    """`--host`: 'auto' (or None) detects this machine, 'cpu', 'cuda' (one GPU), 'cuda:N';
    'any' fixes nothing (None)."""
    spec = (spec or "auto").strip().lower()
    if spec == "any":
        return None
    if spec == "auto":
        return detect_host()
    if spec == "cpu":
        return Host(0)
    if spec == "cuda":
        return Host(1)
    if spec.startswith("cuda:") and spec[5:].isdigit() and int(spec[5:]) > 0:
        return Host(int(spec[5:]))
    raise PimpError(f"--host {spec!r}: one of {', '.join(HOST_CHOICES)}")


def device_prefix(model: FeatureModel) -> str | None:
    """Where `model` names the device: '' for features CPU and CUDA, 'alias.' for a model that
    imports a device-aware one (`gen.CPU`, `gen.CUDA`), None when it names none."""
    names = set(model.feature_names())
    for name in sorted(names, key=len):
        if name == "CPU" or name.endswith(".CPU"):
            prefix = name[: -len("CPU")]
            if prefix + "CUDA" in names:
                return prefix
    return None


def has_device_part(model: FeatureModel) -> bool:
    """Whether `model` names the device (features CPU and CUDA, possibly imported)."""
    return device_prefix(model) is not None


def host_fixes(model: FeatureModel, host: Host) -> list[HostFix]:
    """The constraints `host` adds to `model` (none when it has no Device part)."""
    prefix = device_prefix(model)
    if prefix is None:
        return []
    names = set(model.feature_names())
    if not host.gpus:
        fixes = [HostFix(f"!{prefix}CUDA", "no CUDA GPU visible to torch on this host")]
    else:
        fixes = [HostFix(f"!{prefix}CPU", f"campaigns on this host run on its {host.label}")]
        if prefix + "gpus" in names:
            fixes.append(HostFix(f"{prefix}gpus <= {host.gpus}", f"this host has {host.label}"))
    return fixes + _backend_fixes(_constrained(model, fixes), prefix, host.missing)


def _backend_fixes(model: FeatureModel, prefix: str, missing: frozenset[str]) -> list[HostFix]:
    """Each quantization feature whose package is missing here, excluded where `model` (the
    device fixed) still allows it: a CUDA-only one on a CPU host needs no second reason."""
    from pimp_tui.measure.llm import QUANTIZATION_PACKAGES
    from pimp_tui.measure.settings import QUANTIZATION
    from pimp_tui.variability.reasoning import Reasoner

    names = set(model.feature_names())
    wanted = [
        (prefix + feature, str(config.get("quant_method")))
        for feature, config in QUANTIZATION.items()
        if config and config.get("quant_method") in missing and prefix + feature in names
    ]
    if not wanted:
        return []
    reasoner = Reasoner(model)
    fixes = []
    for name, method in wanted:
        if reasoner.can_complete({name: True}):
            module, extra = QUANTIZATION_PACKAGES[method]
            why = f"{module} is not installed here: pip install 'pimp-tui[{extra}]'"
            fixes.append(HostFix(f"!{name}", why))
    return fixes


def fix_to_host(model: FeatureModel, host: Host | None) -> tuple[FeatureModel, list[HostFix]]:
    """`model` with the host's constraints added (a new model; `model` is unchanged)."""
    fixes = [] if host is None else host_fixes(model, host)
    return _constrained(model, fixes), fixes


def _constrained(model: FeatureModel, fixes: list[HostFix]) -> FeatureModel:
    """`model` with `fixes` added as constraints (`model` itself when there are none)."""
    from pimp_tui.variability.uvl_parser import parse_constraint

    if not fixes:
        return model
    added = [Constraint(parse_constraint(f.constraint, model), f.constraint) for f in fixes]
    return FeatureModel(model.root, [*model.constraints, *added], model.namespace,
                        list(model.includes))  # fmt: skip
