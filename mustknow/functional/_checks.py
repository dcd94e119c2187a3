"""Input validation shared by every public function.

Every check raises ``TypeError`` or ``ValueError`` whose message names the
argument, what was expected and what arrived, so a user error never surfaces
as an obscure failure deep inside torch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch

__all__ = [
    "check_tensor",
    "check_floating",
    "check_choice",
    "check_number",
    "check_probability",
    "check_ndim",
    "check_same_shape",
    "check_class_indices",
]


def check_tensor(x: Any, name: str) -> torch.Tensor:
    """Return ``x`` if it is a tensor, else raise ``TypeError``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(x).__name__}")
    return x


def check_floating(x: Any, name: str) -> torch.Tensor:
    """Return ``x`` if it is a floating-point tensor, else raise ``TypeError``."""
    check_tensor(x, name)
    if not x.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor (float16, bfloat16, float32 "
            f"or float64); got dtype {x.dtype}"
        )
    return x


def check_choice(value: Any, name: str, choices: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``, else raise ``ValueError``."""
    choices = tuple(choices)
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name}={value!r} must be one of {allowed}")
    return value


def check_number(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    integer: bool = False,
) -> Any:
    """Return ``value`` if it is a real number inside the given bounds.

    Raises ``TypeError`` for a non-number (``bool`` counts as not a number) and
    ``ValueError`` for a number outside ``[low, high]`` (or the open ends).
    """
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        kind = "an int" if integer else "a real number"
        raise TypeError(f"{name} must be {kind}; got {type(value).__name__} {value!r}")
    if value != value:  # NaN
        raise ValueError(f"{name} must not be NaN")
    if low is not None and (value < low or (value == low and not low_inclusive)):
        op = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be {op} {low}; got {value!r}")
    if high is not None and (value > high or (value == high and not high_inclusive)):
        op = "<=" if high_inclusive else "<"
        raise ValueError(f"{name} must be {op} {high}; got {value!r}")
    return value


def check_probability(p: Any, name: str = "p") -> float:
    """Return ``p`` if it is a number in ``[0, 1]``."""
    return check_number(p, name, low=0.0, high=1.0)


def check_ndim(x: torch.Tensor, name: str, allowed: Sequence[int], layout: str = "") -> torch.Tensor:
    """Require ``x.dim()`` to be one of ``allowed``; ``layout`` names the dims."""
    if x.dim() not in tuple(allowed):
        dims = " or ".join(f"{d}-D" for d in allowed)
        hint = f" {layout}" if layout else ""
        raise ValueError(f"{name} must be {dims}{hint}; got shape {tuple(x.shape)}")
    return x


def check_same_shape(a: torch.Tensor, b: torch.Tensor, name_a: str, name_b: str) -> None:
    """Require two tensors to have the same shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"{name_b} must have the same shape as {name_a} {tuple(a.shape)}; "
            f"got {tuple(b.shape)}"
        )


def check_class_indices(
    target: torch.Tensor, num_classes: int, ignore_index: int | None = None, name: str = "target"
) -> None:
    """Require an integer tensor of class indices in ``[0, num_classes)``.

    Entries equal to ``ignore_index`` are exempt.
    """
    if target.is_floating_point() or target.is_complex() or target.dtype == torch.bool:
        raise TypeError(
            f"{name} holds class indices and must be an integer tensor (torch.long); "
            f"got dtype {target.dtype}"
        )
    if target.numel() == 0:
        return
    if ignore_index is not None:
        ignored = target == ignore_index
        if bool(ignored.all()):
            return
        # Ignored entries take a valid value so that one min/max pass decides.
        target = target.masked_fill(ignored, 0)
    lo, hi = (int(v) for v in torch.aminmax(target))
    if lo < 0 or hi >= num_classes:
        bad = lo if lo < 0 else hi
        extra = "" if ignore_index is None else f" (or ignore_index={ignore_index})"
        raise ValueError(
            f"{name} class indices must be in [0, {num_classes - 1}]{extra}; found {bad}"
        )
