"""Aggregate seeds into intervals, and turn intervals into verdicts.

Intervals are two-sided Student-t intervals on the mean over seeds (95% by
default). A single value gives an infinite interval (the spread is unknown), so
:func:`decide` answers INCONCLUSIVE; two or more identical values give a
zero-width interval (a deterministic identity measured on several seeds).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from scipy import stats as _st

from .claims import Result

__all__ = ["Interval", "mean_ci", "paired_diff", "decide", "combine", "select", "metric_values", "by_config"]


@dataclass(frozen=True)
class Interval:
    """Mean of ``n`` values with a two-sided confidence interval ``[low, high]``."""

    mean: float
    low: float
    high: float
    n: int
    level: float = 0.95

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.fmt(4)} (n={self.n})"

    def fmt(self, digits: int = 3) -> str:
        """``"mean [low, high]"`` with ``digits`` significant digits."""
        return f"{self.mean:.{digits}g} [{self.low:.{digits}g}, {self.high:.{digits}g}]"


def mean_ci(values: Iterable[float], level: float = 0.95) -> Interval:
    """Mean and Student-t confidence interval of ``values``.

    Raises:
        ValueError: if ``values`` is empty, holds NaN, or ``level`` is not in (0, 1).
    """
    xs = [float(v) for v in values]
    if not xs:
        raise ValueError("mean_ci needs at least one value; got none")
    if any(math.isnan(x) for x in xs):
        raise ValueError(f"mean_ci got NaN among its values: {xs}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1); got {level}")
    n = len(xs)
    mean = sum(xs) / n
    if n == 1:
        return Interval(mean, -math.inf, math.inf, n, level)
    if all(x == xs[0] for x in xs):
        return Interval(mean, mean, mean, n, level)
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    half = float(_st.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n, level)


def paired_diff(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> Interval:
    """Interval of the mean paired difference ``a - b`` (same seeds, same order)."""
    if len(a) != len(b):
        raise ValueError(f"paired_diff needs equal lengths; got {len(a)} and {len(b)}")
    return mean_ci([x - y for x, y in zip(a, b)], level)


def decide(interval: Interval, threshold: float, direction: str = ">") -> str:
    """Verdict for the claim ``mean <direction> threshold``.

    SUPPORTED when the whole interval lies on the claimed side, REFUTED when it
    lies entirely on the other side, INCONCLUSIVE when it straddles the
    threshold. ``direction`` is ``">"`` or ``"<"``.
    """
    if direction not in (">", "<"):
        raise ValueError(f"direction={direction!r} must be one of '>', '<'")
    lo, hi = interval.low, interval.high
    if direction == ">":
        if lo > threshold:
            return "SUPPORTED"
        if hi <= threshold:
            return "REFUTED"
    else:
        if hi < threshold:
            return "SUPPORTED"
        if lo >= threshold:
            return "REFUTED"
    return "INCONCLUSIVE"


def combine(labels: Sequence[str]) -> str:
    """One verdict from several partial ones.

    All SUPPORTED gives SUPPORTED, all REFUTED gives REFUTED, a mix of the two
    gives NUANCED (the condition decides), anything else INCONCLUSIVE.
    """
    labels = list(labels)
    if not labels:
        raise ValueError("combine needs at least one label; got none")
    if all(label == "SUPPORTED" for label in labels):
        return "SUPPORTED"
    if all(label == "REFUTED" for label in labels):
        return "REFUTED"
    if "SUPPORTED" in labels and "REFUTED" in labels:
        return "NUANCED"
    return "INCONCLUSIVE"


def select(results: Iterable[Result], **config: Any) -> list[Result]:
    """Results whose config matches every given key, sorted by seed."""
    out = [r for r in results if all(r["config"].get(k) == v for k, v in config.items())]
    return sorted(out, key=lambda r: r["seed"])


def metric_values(results: Iterable[Result], metric: str) -> list[float]:
    """One metric across results (sorted by seed).

    Raises:
        KeyError: naming the metric and the metrics that exist.
    """
    rs = sorted(results, key=lambda r: r["seed"])
    for r in rs:
        if metric not in r["metrics"]:
            raise KeyError(f"metric {metric!r} not in result; it has {sorted(r['metrics'])}")
    return [float(r["metrics"][metric]) for r in rs]


def by_config(results: Iterable[Result], key: str) -> dict[Any, list[Result]]:
    """Group results by one config field, groups sorted by seed."""
    groups: dict[Any, list[Result]] = {}
    for r in results:
        groups.setdefault(r["config"][key], []).append(r)
    return {k: sorted(v, key=lambda r: r["seed"]) for k, v in groups.items()}
