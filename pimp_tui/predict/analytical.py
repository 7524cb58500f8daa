"""The analytical energy model of Cavagna et al. (2026): energy per request as a quadratic in
input and output length,

    E(n_in, n_out) = θ1·n_in² + θ2·n_in·n_out + θ3·n_in + θ4·n_out² + θ5,

fitted by least squares. Its "sweet spot" for an input length is the output length with the
least energy per output token; its MAPE sits next to the learned models'."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pimp_tui.errors import PimpError

TERMS = ("n_in^2", "n_in*n_out", "n_in", "n_out^2", "1")


def _design(n_in, n_out) -> np.ndarray:
    n_in, n_out = np.asarray(n_in, dtype=float), np.asarray(n_out, dtype=float)
    return np.column_stack([n_in**2, n_in * n_out, n_in, n_out**2, np.ones_like(n_in)])


@dataclass
class EnergyModel:
    theta: np.ndarray  # θ1..θ5 in TERMS order
    mape: float  # in-sample, percent
    n: int

    def predict(self, n_in, n_out) -> np.ndarray:
        return _design(n_in, n_out) @ self.theta

    def sweet_spot(self, n_in: float, max_out: int) -> int:
        """Output length in 1..max_out with the least predicted energy per output token."""
        outs = np.arange(1, max_out + 1)
        per_token = self.predict(np.full(len(outs), n_in), outs) / outs
        per_token = np.where(self.predict(np.full(len(outs), n_in), outs) > 0, per_token, np.inf)
        return int(outs[int(np.argmin(per_token))])

    def as_dict(self) -> dict:
        return {
            "theta": dict(zip(TERMS, map(float, self.theta), strict=True)),
            "mape": self.mape,
            "n": self.n,
        }


def fit_energy_model(n_in, n_out, energy) -> EnergyModel:
    a = _design(n_in, n_out)
    e = np.asarray(energy, dtype=float)
    if len(e) < len(TERMS):
        raise PimpError(f"{len(e)} run(s): the energy model needs at least {len(TERMS)}")
    theta, *_ = np.linalg.lstsq(a, e, rcond=None)
    fitted = a @ theta
    nonzero = e != 0
    mape = float(100 * np.mean(np.abs(fitted[nonzero] - e[nonzero]) / np.abs(e[nonzero])))
    return EnergyModel(theta, mape, len(e))
