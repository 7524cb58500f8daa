"""What the ray driver writes, in one place: the same store calls as the local campaign loop
(runs started, finished with their details and trace, abandoned), plus each slot's state and
live power."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pimp_tui.measure.eta import campaign_remaining_s
from pimp_tui.store import campaigns as store
from pimp_tui.store import control, slots


class ClusterStore:
    def __init__(self, db: Any, campaign_id: int) -> None:
        self.db, self.id = db, campaign_id

    def begin(self, sensor: str | None) -> None:
        slots.clear_slots(self.db, self.id)
        store.set_status(self.db, self.id, "running", **({"sensor": sensor} if sensor else {}))

    def end(self) -> None:
        control.clear_live_power(self.db, self.id)

    def first_sensor(self, sensor: str, idle_watts: float) -> None:
        """The campaign's sensor is the first slot's (kept for a resume); its idle baseline
        stands for the campaign's (each slot subtracts its own)."""
        camp = store.get_campaign(self.db, self.id)
        fields: dict[str, Any] = {"sensor": sensor}
        if camp["idle_watts"] is None:
            fields["idle_watts"] = idle_watts
        store.set_status(self.db, self.id, "running", **fields)

    def slot(self, label: str, node: str, **fields: Any) -> None:
        slots.save_slot(self.db, self.id, label, node=node, **fields)

    def pending(self) -> list[dict[str, Any]]:
        return store.pending_runs(self.db, self.id)

    def counts(self) -> dict[str, Any]:
        return store.get_campaign(self.db, self.id)

    def remaining_s(self) -> float | None:
        return campaign_remaining_s(self.db, self.id)

    def start_run(
        self,
        run_id: int,
        label: str,
        node: str,
        effective: Mapping[str, Any],
        context: Mapping[str, Any],
    ) -> None:
        store.start_run(self.db, self.id, run_id, effective=effective, context=context)
        self.slot(label, node, state="running", run_id=run_id)

    def abandon(self, run_id: int) -> None:
        control.abandon_run(self.db, run_id)

    def finish_run(
        self,
        run_id: int,
        status: str,
        metrics: Mapping[str, Any],
        error: str | None,
        outputs: Sequence[dict[str, Any]],
        traceback: str | None,
        trace: Sequence[Sequence[Any]],
    ) -> None:
        control.store_run_details(self.db, run_id, outputs, traceback)
        store.finish_run(self.db, run_id, status, metrics, error, trace)

    def power(self, label: str, samples: Sequence[tuple[float, int, float]]) -> None:
        slots.add_slot_power(self.db, self.id, [(t, d, w, label) for t, d, w in samples])
