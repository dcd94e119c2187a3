"""The one reduction helper every loss uses."""

from __future__ import annotations

import torch

from ._checks import check_choice

__all__ = ["REDUCTIONS", "check_reduction", "reduce"]

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str) -> str:
    """Return ``reduction`` if it is ``"mean"``, ``"sum"`` or ``"none"``."""
    return check_choice(reduction, "reduction", REDUCTIONS)


def reduce(
    loss: torch.Tensor, reduction: str, denominator: torch.Tensor | float | None = None
) -> torch.Tensor:
    """Reduce an elementwise loss.

    Args:
        loss: the unreduced loss, any shape.
        reduction: ``"mean"`` | ``"sum"`` | ``"none"``.
        denominator: for ``"mean"``, divide the sum by this instead of
            ``loss.numel()`` (a weighted mean divides by the sum of weights).
            A zero denominator gives 0, not NaN: an empty or fully ignored
            batch contributes no loss and no gradient.

    Returns:
        ``loss`` unchanged for ``"none"``, else a scalar.
    """
    check_reduction(reduction)
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    if denominator is None:
        denominator = loss.numel()
    if isinstance(denominator, torch.Tensor):
        safe = torch.where(denominator > 0, denominator, torch.ones_like(denominator))
        return torch.where(denominator > 0, total / safe, torch.zeros_like(total))
    return total / denominator if denominator > 0 else total * 0.0
