"""Loss modules: hold the settings (and weight buffers) and call :mod:`mustknow.functional.losses`.

Tensor weights are registered as buffers, so they move with ``.to()`` and
round-trip through ``state_dict``; the math and its documentation live in
the functional module.
"""

from __future__ import annotations

import torch
from torch import nn

from ..functional import losses as F
from ..functional._checks import check_choice, check_number, check_tensor
from ..functional._reduction import check_reduction

__all__ = [
    "ZeroOneLoss",
    "HingeLoss",
    "MultiMarginLoss",
    "CrossEntropyLoss",
    "LogisticLoss",
    "BCEWithLogitsLoss",
    "FocalLoss",
]


class _Loss(nn.Module):
    """Base: stores and validates ``reduction``."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = check_reduction(reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


def _optional_buffer(module: nn.Module, name: str, value: torch.Tensor | None) -> None:
    """Register ``value`` (a tensor or None) as buffer ``name``."""
    if value is not None:
        check_tensor(value, name)
    module.register_buffer(name, value)


class ZeroOneLoss(_Loss):
    """The 0-1 loss (error rate); a metric without gradient. See :func:`mustknow.functional.zero_one_loss`.

    Example:
        >>> ZeroOneLoss()(torch.tensor([2.0, -1.0]), torch.tensor([1, 1]))
        tensor(0.5000)
    """

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.zero_one_loss(input, target, reduction=self.reduction)


class HingeLoss(_Loss):
    """Binary hinge loss ``max(0, margin - y s)``. See :func:`mustknow.functional.hinge_loss`.

    Example:
        >>> HingeLoss(margin=1.0)(torch.tensor([0.5]), torch.tensor([1]))
        tensor(0.5000)
    """

    def __init__(self, margin: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = check_number(margin, "margin", low=0.0)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.hinge_loss(input, target, margin=self.margin, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, {super().extra_repr()}"


class MultiMarginLoss(_Loss):
    """Multiclass hinge loss, as ``torch.nn.MultiMarginLoss``. See :func:`mustknow.functional.multi_margin_loss`.

    Example:
        >>> MultiMarginLoss()(torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([3]))
        tensor(0.3250)
    """

    def __init__(
        self,
        p: int = 1,
        margin: float = 1.0,
        weight: torch.Tensor | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction)
        self.p = check_choice(p, "p", (1, 2))
        self.margin = check_number(margin, "margin", low=0.0)
        _optional_buffer(self, "weight", weight)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.multi_margin_loss(
            input, target, p=self.p, margin=self.margin, weight=self.weight, reduction=self.reduction
        )

    def extra_repr(self) -> str:
        return f"p={self.p}, margin={self.margin}, weighted={self.weight is not None}, {super().extra_repr()}"


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy, as ``torch.nn.CrossEntropyLoss``. See :func:`mustknow.functional.cross_entropy`.

    Unlike PyTorch, a batch whose targets are all ``ignore_index`` gives 0,
    not NaN.

    Example:
        >>> CrossEntropyLoss(label_smoothing=0.1)(torch.tensor([[2.0, 0.0, -1.0]]), torch.tensor([0]))
        tensor(0.3365)
    """

    def __init__(
        self,
        weight: torch.Tensor | None = None,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(reduction)
        _optional_buffer(self, "weight", weight)
        self.ignore_index = check_number(ignore_index, "ignore_index", integer=True)
        self.label_smoothing = check_number(label_smoothing, "label_smoothing", low=0.0, high=1.0)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )

    def extra_repr(self) -> str:
        return (
            f"weighted={self.weight is not None}, ignore_index={self.ignore_index}, "
            f"label_smoothing={self.label_smoothing}, {super().extra_repr()}"
        )


class LogisticLoss(_Loss):
    """Logistic loss ``log(1 + exp(-y s))`` for labels in {-1, +1}. See :func:`mustknow.functional.logistic_loss`.

    Example:
        >>> LogisticLoss()(torch.tensor([0.0]), torch.tensor([-1]))
        tensor(0.6931)
    """

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.logistic_loss(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits, as ``torch.nn.BCEWithLogitsLoss``.

    See :func:`mustknow.functional.binary_cross_entropy_with_logits`.

    Example:
        >>> BCEWithLogitsLoss(pos_weight=torch.tensor([2.0]))(torch.tensor([0.0]), torch.tensor([1.0]))
        tensor(1.3863)
    """

    def __init__(
        self,
        weight: torch.Tensor | None = None,
        reduction: str = "mean",
        pos_weight: torch.Tensor | None = None,
    ) -> None:
        super().__init__(reduction)
        _optional_buffer(self, "weight", weight)
        _optional_buffer(self, "pos_weight", pos_weight)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(
            input, target, weight=self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )

    def extra_repr(self) -> str:
        return (
            f"weighted={self.weight is not None}, pos_weighted={self.pos_weight is not None}, "
            f"{super().extra_repr()}"
        )


class FocalLoss(_Loss):
    """Focal loss (Lin et al., 2017). See :func:`mustknow.functional.focal_loss`.

    A tensor ``alpha`` (per-class, multiclass input) is a buffer; a number
    (binary input) is a plain attribute.

    Example:
        >>> FocalLoss(gamma=0.0)(torch.tensor([[2.0, 0.0, -1.0]]), torch.tensor([0]))
        tensor(0.1698)
    """

    def __init__(
        self,
        alpha: float | torch.Tensor | None = None,
        gamma: float = 2.0,
        ignore_index: int = -100,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction)
        if isinstance(alpha, torch.Tensor):
            self.register_buffer("alpha", alpha)
        else:
            if alpha is not None:
                check_number(alpha, "alpha", low=0.0, high=1.0)
            self.alpha = alpha
        self.gamma = check_number(gamma, "gamma", low=0.0)
        self.ignore_index = check_number(ignore_index, "ignore_index", integer=True)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.focal_loss(
            input,
            target,
            alpha=self.alpha,
            gamma=self.gamma,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
        )

    def extra_repr(self) -> str:
        alpha = "per-class" if isinstance(self.alpha, torch.Tensor) else self.alpha
        return (
            f"alpha={alpha}, gamma={self.gamma}, ignore_index={self.ignore_index}, "
            f"{super().extra_repr()}"
        )
