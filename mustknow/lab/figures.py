"""Small helpers every question's figures share: a headless pyplot and one way to save."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .claims import Result

__all__ = ["pyplot", "save_figure", "series_mean"]


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend (imported on first use)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, out_dir: str | Path, name: str, dpi: int = 100) -> Path:
    """Lay out ``fig``, write it to ``out_dir/name`` (PNG or SVG by suffix), close it."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)
    return path


def series_mean(results: Sequence[Result], key: str) -> list[float]:
    """Element-wise mean of one stored series over results (curves of equal length).

    Raises:
        ValueError: no results, or curves of different lengths.
    """
    rows = [r["series"][key] for r in results]
    if not rows:
        raise ValueError(f"series_mean needs at least one result; got none (series {key!r})")
    if len({len(row) for row in rows}) != 1:
        raise ValueError(f"series {key!r} must have one length across results; got lengths {[len(r) for r in rows]}")
    return [statistics.fmean(col) for col in zip(*rows)]
