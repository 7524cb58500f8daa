"""The machine a campaign runs on, and the constraints it adds to a device-aware feature model.

A model with a `Device` part (features `CPU` and `CUDA`, optionally `gpus`, or the same
under an import's alias) is fixed to the host
before sampling: without a CUDA GPU only CPU configurations remain; with N GPUs only CUDA ones
spread over at most N. The fixes are plain constraints, so counting, sampling and the reasoner
treat them like any other, and each carries the reason shown to the user. Models without a
Device part are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from pimp_tui.errors import PimpError
from pimp_tui.variability.model import Constraint, FeatureModel

HOST_CHOICES = ("auto", "cpu", "cuda", "cuda:N", "any")
"""What `--host` accepts: detect this machine, name one, or fix nothing."""


@dataclass(frozen=True)
class Host:
    """What a campaign here can run on: `gpus` CUDA GPUs visible to torch (0: CPU only)."""

    gpus: int
    name: str = ""

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
    """This machine as torch sees it (imports torch)."""
    import torch

    if not torch.cuda.is_available():
        return Host(0)
    return Host(torch.cuda.device_count(), torch.cuda.get_device_name(0))


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
        return [HostFix(f"!{prefix}CUDA", "no CUDA GPU visible to torch on this host")]
    fixes = [HostFix(f"!{prefix}CPU", f"campaigns on this host run on its {host.label}")]
    if prefix + "gpus" in names:
        fixes.append(HostFix(f"{prefix}gpus <= {host.gpus}", f"this host has {host.label}"))
    return fixes


def fix_to_host(model: FeatureModel, host: Host | None) -> tuple[FeatureModel, list[HostFix]]:
    """`model` with the host's constraints added (a new model; `model` is unchanged)."""
    from pimp_tui.variability.uvl_parser import parse_constraint

    fixes = [] if host is None else host_fixes(model, host)
    if not fixes:
        return model, []
    added = [Constraint(parse_constraint(f.constraint, model), f.constraint) for f in fixes]
    fixed = FeatureModel(model.root, [*model.constraints, *added], model.namespace,
                         list(model.includes))  # fmt: skip
    return fixed, fixes
