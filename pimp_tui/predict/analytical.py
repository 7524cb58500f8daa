"""The analytical energy model of Cavagna et al. (2026): energy per request as a quadratic in
input and output length,

    E(n_in, n_out) = θ1·n_in² + θ2·n_in·n_out + θ3·n_in + θ4·n_out² + θ5,

fitted by least squares, with Cov(θ) = σ²(XᵀX)⁻¹ from the residuals for prediction variances.
Dividing by n_out gives the energy per output token, whose minimum over n_out for a given
input length is the sweet spot n_out* = sqrt((θ1·n_in² + θ3·n_in + θ5) / θ4) (none when θ4 ≤ 0
or the numerator is not positive: then longer outputs only get cheaper per token). The one
place this model is written: `pimp predict energy-model`, workload pricing and the sweet-spot
view all fit it here."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from pimp_tui.errors import PimpError

TERMS = ("n_in^2", "n_in*n_out", "n_in", "n_out^2", "1")


def design(n_in: Any, n_out: Any) -> np.ndarray:
    """Columns of E(n_in, n_out): n_in², n_in·n_out, n_in, n_out², 1."""
    n_in, n_out = np.asarray(n_in, dtype=float), np.asarray(n_out, dtype=float)
    return np.column_stack([n_in**2, n_in * n_out, n_in, n_out**2, np.ones_like(n_in)])


@dataclass(frozen=True)
class EnergyModel:
    """θ1..θ5 (in TERMS order), the covariance of θ, the in-sample MAPE (%) and the number of
    points fitted."""

    theta: np.ndarray
    covariance: np.ndarray
    mape: float
    n: int

    def predict(self, n_in: Any, n_out: Any) -> np.ndarray:
        return design(n_in, n_out) @ self.theta

    def variance(self, n_in: Any, n_out: Any) -> np.ndarray:
        """Variance of the fitted mean at each point (x' Cov(θ) x)."""
        x = design(n_in, n_out)
        return np.einsum("ij,jk,ik->i", x, self.covariance, x)

    def best_output(self, n_in: float) -> float | None:
        """n_out minimising E/n_out (closed form), or None where the fit has no interior
        minimum."""
        t1, _, t3, t4, t5 = self.theta
        numerator = t1 * n_in**2 + t3 * n_in + t5
        if t4 <= 0 or numerator <= 0:
            return None
        return math.sqrt(numerator / t4)

    def sweet_spot(self, n_in: float, max_out: int) -> int:
        """The whole output length in 1..max_out with the least predicted positive energy per
        output token."""
        outs = np.arange(1, max_out + 1)
        energy = self.predict(np.full(len(outs), n_in), outs)
        per_token = np.where(energy > 0, energy / outs, np.inf)
        return int(outs[int(np.argmin(per_token))])

    def as_dict(self) -> dict:
        return {
            "theta": dict(zip(TERMS, map(float, self.theta), strict=True)),
            "mape": self.mape,
            "n": self.n,
        }


def fit_energy_model(n_in: Any, n_out: Any, energy: Any) -> EnergyModel:
    """θ by least squares over at least as many points as terms."""
    x = design(n_in, n_out)
    e = np.asarray(energy, dtype=float)
    if len(e) < len(TERMS):
        raise PimpError(f"{len(e)} run(s): the energy model needs at least {len(TERMS)}")
    theta, *_ = np.linalg.lstsq(x, e, rcond=None)
    fitted = x @ theta
    residual = e - fitted
    sigma2 = float(residual @ residual) / max(len(e) - x.shape[1], 1)
    covariance = sigma2 * np.linalg.pinv(x.T @ x)
    nonzero = e != 0
    mape = float(100 * np.mean(np.abs(fitted[nonzero] - e[nonzero]) / np.abs(e[nonzero])))
    return EnergyModel(np.asarray(theta, dtype=float), covariance, mape, len(e))
