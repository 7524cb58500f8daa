"""What a running campaign reports through `on_event`: frozen dataclasses, so that a TUI can
post them as messages and a CLI print them, whichever executor ran the runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RunStarted:
    campaign_id: int
    run_id: int
    position: int
    configuration_id: int
    repetition: int
    config: Mapping[str, Any]


@dataclass(frozen=True)
class RunFinished:
    campaign_id: int
    run_id: int
    status: str
    metrics: Mapping[str, Any]
    error: str | None
    configuration_id: int = 0
    repetition: int = 0


@dataclass(frozen=True)
class CampaignProgress:
    campaign_id: int
    done: int
    failed: int
    total: int
    elapsed_s: float
    eta_s: float | None


@dataclass(frozen=True)
class PowerTrace:
    """New power samples (`run_id` None between runs: idle, cooldown)."""

    campaign_id: int
    run_id: int | None
    samples: list = field(default_factory=list)


@dataclass(frozen=True)
class CampaignStatus:
    campaign_id: int
    status: str
    message: str = ""


Event = RunStarted | RunFinished | CampaignProgress | PowerTrace | CampaignStatus
OnEvent = Callable[[Event], None]
