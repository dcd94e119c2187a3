r"""Regularisation modules and training helpers.

The math is in :mod:`mustknow.functional.regularization` (including how
``weight_decay`` in PyTorch's SGD, Adam and AdamW relates to an L2 penalty).
Here: the dropout and noise modules, which follow ``model.train()`` /
``model.eval()``; :class:`EarlyStopping`; :class:`MultiTaskLoss`; and
:func:`decay_groups`, which keeps biases and normalisation parameters out of
weight decay.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from ..functional import regularization as F
from ..functional._checks import check_choice, check_number, check_probability, check_tensor

__all__ = [
    "Dropout",
    "Dropout2d",
    "GaussianNoise",
    "EarlyStopping",
    "MultiTaskLoss",
    "decay_groups",
]


class Dropout(nn.Module):
    """Inverted dropout of each element with probability ``p`` in training, identity in eval.

    See :func:`mustknow.functional.dropout` (mask drawn per element of every
    sample). Follows ``model.train()`` / ``model.eval()``.

    Args:
        p: drop probability in [0, 1]. Default 0.5.

    Shape:
        input (*) -> output (*).

    Raises:
        ValueError: ``p`` outside [0, 1].

    Example:
        >>> m = Dropout(0.5).eval()
        >>> x = torch.randn(3, 4)
        >>> torch.equal(m(x), x)
        True

    Reference: Srivastava et al. (2014), "Dropout: A Simple Way to Prevent
    Neural Networks from Overfitting".
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = float(check_probability(p, "p"))

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Dropout2d(nn.Module):
    """Channel (spatial) dropout of (N, C, H, W) or (N, C, L) in training, identity in eval.

    See :func:`mustknow.functional.dropout2d`.

    Args:
        p: probability of zeroing a whole channel, in [0, 1]. Default 0.5.

    Shape:
        input (N, C, H, W) or (N, C, L) -> output, same shape.

    Raises:
        ValueError: ``p`` outside [0, 1]; (in forward) input not 3-D or 4-D.

    Example:
        >>> y = Dropout2d(0.5)(torch.ones(2, 8, 3, 3))
        >>> bool(((y == 0).all(dim=(2, 3)) | (y == 2).all(dim=(2, 3))).all())
        True

    Reference: Tompson et al. (2015), "Efficient Object Localization Using
    Convolutional Networks".
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = float(check_probability(p, "p"))

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.dropout2d(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class GaussianNoise(nn.Module):
    r"""Add :math:`\mathcal N(0, \mathrm{std}^2)` noise in training; identity in eval.

    See :func:`mustknow.functional.gaussian_noise`; the gradient is the
    identity.

    Args:
        std: noise standard deviation, >= 0.

    Shape:
        input (*) -> output (*).

    Raises:
        ValueError: negative ``std``.

    Example:
        >>> m = GaussianNoise(0.1)
        >>> x = torch.zeros(4)
        >>> torch.equal(m.eval()(x), x)
        True

    Reference: Bishop (1995), "Training with Noise is Equivalent to Tikhonov
    Regularization".
    """

    def __init__(self, std: float) -> None:
        super().__init__()
        self.std = float(check_number(std, "std", low=0.0))

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.gaussian_noise(input, self.std, self.training)

    def extra_repr(self) -> str:
        return f"std={self.std}"


class EarlyStopping:
    """Stop training when a monitored value has not improved for ``patience`` steps.

    Call :meth:`step` once per evaluation (usually per epoch) with the
    validation metric. A value *improves* on the best so far when it is lower
    by more than ``min_delta`` (``mode="min"``, e.g. a loss) or higher by
    more than ``min_delta`` (``mode="max"``, e.g. an accuracy); the first
    finite value always improves, NaN never does. :meth:`step` returns True
    at the ``patience``-th consecutive step without improvement (so
    ``patience=0`` and ``patience=1`` both stop at the first one, as in
    Keras and Lightning), and keeps returning True after that.

    With ``restore_best=True``, every improving :meth:`step` given a model
    keeps a deep copy of its ``state_dict()``; :meth:`restore` loads it back,
    so training ends with the weights of the best epoch rather than the last.

    Attributes:
        best: the best value so far (None before the first finite value).
        best_epoch: 0-based index of the :meth:`step` call that gave ``best``
            (None before it).
        num_bad_epochs: consecutive steps without improvement.
        epoch: number of :meth:`step` calls so far.
        stopped: whether :meth:`step` has returned True.

    Args:
        patience: steps without improvement tolerated, an int >= 0.
        min_delta: minimum change that counts as improvement, >= 0.
            Default 0.0.
        mode: ``"min"`` or ``"max"``. Default ``"min"``.
        restore_best: keep a copy of the best weights. Default True.

    Raises:
        ValueError: negative ``patience`` or ``min_delta``; unknown ``mode``.
        TypeError: non-int ``patience``.

    Example:
        >>> stopper = EarlyStopping(patience=2, restore_best=False)
        >>> [stopper.step(v) for v in [1.0, 0.8, 0.9, 0.85]]
        [False, False, False, True]
        >>> stopper.best, stopper.best_epoch
        (0.8, 1)

    Reference: Prechelt (1998), "Early Stopping -- But When?" (Neural
    Networks: Tricks of the Trade).
    """

    def __init__(
        self, patience: int, min_delta: float = 0.0, mode: str = "min", restore_best: bool = True
    ) -> None:
        self.patience = check_number(patience, "patience", low=0, integer=True)
        self.min_delta = float(check_number(min_delta, "min_delta", low=0.0))
        self.mode = check_choice(mode, "mode", ("min", "max"))
        self.restore_best = bool(restore_best)
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.best_state: dict[str, Any] | None = None
        self.num_bad_epochs = 0
        self.epoch = 0
        self.stopped = False

    def _improves(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def step(self, value: float | torch.Tensor, model: nn.Module | None = None) -> bool:
        """Record one monitored value; return True when training should stop.

        Args:
            value: the monitored metric, a number or a one-element tensor.
            model: the model whose weights to keep when ``value`` improves
                (needed for :meth:`restore`). Default None.

        Raises:
            TypeError: ``value`` not a number or one-element tensor; ``model``
                not an ``nn.Module``.
        """
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                raise TypeError(f"value must be a number or a one-element tensor; got shape {tuple(value.shape)}")
            value = value.item()
        value = float(check_number(value, "value")) if value == value else float("nan")
        if model is not None and not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module or None; got {type(model).__name__}")
        if self.restore_best and model is None:
            warnings.warn(
                "EarlyStopping(restore_best=True).step() was called without a model: "
                "no weights are kept for restore()",
                stacklevel=2,
            )
        if self._improves(value):
            self.best = value
            self.best_epoch = self.epoch
            self.num_bad_epochs = 0
            if self.restore_best and model is not None:
                self.best_state = copy.deepcopy(model.state_dict())
        else:
            self.num_bad_epochs += 1
            if self.num_bad_epochs >= self.patience:
                self.stopped = True
        self.epoch += 1
        return self.stopped

    def restore(self, model: nn.Module) -> nn.Module:
        """Load the best weights kept by :meth:`step` into ``model`` and return it.

        Raises:
            RuntimeError: no weights kept (``restore_best=False``, or no
                improving step was given a model).
        """
        if self.best_state is None:
            raise RuntimeError(
                "no best weights stored: construct EarlyStopping(restore_best=True) "
                "and pass the model to step(value, model)"
            )
        model.load_state_dict(self.best_state)
        return model


class MultiTaskLoss(nn.Module):
    r"""Combine per-task losses: a fixed weighted sum, or learned uncertainty weighting.

    ``weighting="fixed"``:

    .. math::

        L = \sum_i w_i L_i .

    ``weighting="uncertainty"`` (Kendall, Gal & Cipolla 2018), with one
    learned :math:`s_i = \log\sigma_i^2` per task (the parameter
    ``log_vars``, initialised to 0, i.e. weight 1):

    .. math::

        L = \sum_i e^{-s_i} L_i + s_i, \qquad
        \frac{\partial L}{\partial s_i} = 1 - e^{-s_i} L_i,
        \qquad \frac{\partial L}{\partial L_i} = e^{-s_i}.

    Convention: this is the paper's regression form
    :math:`\frac{1}{2\sigma_i^2} L_i + \log\sigma_i` (its eq. 5) multiplied
    by 2, used for every task, regression and classification alike (the
    paper's classification form :math:`\frac{1}{\sigma^2} L + \log\sigma`
    would have :math:`s_i/2` instead of :math:`s_i`). For fixed :math:`L_i > 0`
    the optimum is :math:`s_i = \log L_i`: each task's weight tends to
    :math:`1/L_i`, so every weighted task loss tends to 1; the
    :math:`s_i` term stops the trivial solution :math:`\sigma \to \infty`.
    The task losses must be non-negative (as NLLs and the usual losses are).
    Composed of torch primitives. The ``log_vars`` parameter is 1-D, so
    :func:`decay_groups` keeps it out of weight decay.

    Args:
        num_tasks: number of tasks, >= 1.
        weighting: ``"fixed"`` or ``"uncertainty"``. Default ``"fixed"``.
        weights: for ``"fixed"``, ``num_tasks`` non-negative weights;
            None means all 1. Ignored (with a warning) for ``"uncertainty"``.

    Shape:
        losses: a sequence of ``num_tasks`` scalar tensors, or a tensor of
        shape (num_tasks,) -> scalar.

    Raises:
        ValueError: ``num_tasks < 1``; unknown ``weighting``; ``weights`` of
            the wrong length or negative; (in forward) the wrong number of
            losses or non-scalar losses.

    Example:
        >>> mtl = MultiTaskLoss(2, weights=[1.0, 0.5])
        >>> mtl([torch.tensor(2.0), torch.tensor(4.0)])
        tensor(4.)

    Reference: Kendall, Gal & Cipolla (2018), "Multi-Task Learning Using
    Uncertainty to Weigh Losses for Scene Geometry and Semantics" (CVPR).
    """

    def __init__(
        self, num_tasks: int, weighting: str = "fixed", weights: Sequence[float] | None = None
    ) -> None:
        super().__init__()
        self.num_tasks = check_number(num_tasks, "num_tasks", low=1, integer=True)
        self.weighting = check_choice(weighting, "weighting", ("fixed", "uncertainty"))
        if weighting == "uncertainty":
            if weights is not None:
                warnings.warn("MultiTaskLoss: weights are ignored with weighting='uncertainty'", stacklevel=2)
            self.log_vars = nn.Parameter(torch.zeros(num_tasks))
            return
        w = torch.ones(num_tasks) if weights is None else torch.as_tensor(weights, dtype=torch.get_default_dtype())
        if w.shape != (num_tasks,):
            raise ValueError(f"weights must have length num_tasks={num_tasks}; got shape {tuple(w.shape)}")
        if bool((w < 0).any()) or bool(w.isnan().any()):
            raise ValueError(f"weights must be non-negative; got {w.tolist()}")
        self.register_buffer("weights", w)

    @property
    def task_weights(self) -> torch.Tensor:
        """The current weight of each task, (num_tasks,): fixed, or :math:`e^{-s_i}` (detached)."""
        if self.weighting == "fixed":
            return self.weights.clone()
        return torch.exp(-self.log_vars.detach())

    def forward(self, losses: Sequence[torch.Tensor] | torch.Tensor) -> torch.Tensor:
        if isinstance(losses, torch.Tensor):
            if losses.dim() != 1:
                raise ValueError(f"losses must be a 1-D tensor of shape (num_tasks,); got shape {tuple(losses.shape)}")
            stacked = losses
        else:
            items = list(losses)
            for i, loss in enumerate(items):
                check_tensor(loss, f"losses[{i}]")
                if loss.numel() != 1:
                    raise ValueError(f"losses[{i}] must be a scalar loss; got shape {tuple(loss.shape)}")
            stacked = torch.stack([loss.reshape(()) for loss in items]) if items else torch.zeros(0)
        if stacked.shape[0] != self.num_tasks:
            raise ValueError(f"expected {self.num_tasks} task losses (num_tasks); got {stacked.shape[0]}")
        if self.weighting == "fixed":
            w = self.weights.to(stacked.dtype)
            return (w * stacked).sum()  # (T,) -> ()
        s = self.log_vars.to(stacked.dtype)
        return (torch.exp(-s) * stacked + s).sum()  # (T,) -> ()

    def extra_repr(self) -> str:
        return f"num_tasks={self.num_tasks}, weighting={self.weighting!r}"


def decay_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Split a model's parameters into a decayed and a non-decayed optimizer group.

    Not decayed: every parameter of a module whose class name contains
    ``"Norm"`` (BatchNorm, LayerNorm, GroupNorm, InstanceNorm, here or in
    ``torch.nn``) and every 1-D parameter (biases, norm scales and shifts,
    :class:`MultiTaskLoss`'s ``log_vars``). These are few and set offsets
    and scales, not the input-output complexity the penalty is meant to
    limit. Decayed: everything else (weight matrices and convolution kernels). Shared parameters appear
    once.

    Args:
        model: the model.
        weight_decay: the decay for the first group, >= 0.

    Returns:
        ``[{"params": decayed, "weight_decay": weight_decay},
        {"params": not_decayed, "weight_decay": 0.0}]``, to pass to any
        ``torch.optim`` optimizer (a group may be empty).

    Raises:
        TypeError: ``model`` not an ``nn.Module``; non-number ``weight_decay``.
        ValueError: negative ``weight_decay``.

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.Linear(8, 2))
        >>> groups = decay_groups(model, 1e-2)
        >>> [len(g["params"]) for g in groups]
        [2, 4]
        >>> opt = torch.optim.AdamW(groups, lr=1e-3)

    Reference: the "no bias decay" practice of He, Zhang, Zhang, Zhang, Xie
    & Li (2019), "Bag of Tricks for Image Classification with Convolutional
    Neural Networks" (CVPR), section 3.1: decay only convolution and fully
    connected weights.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    check_number(weight_decay, "weight_decay", low=0.0)
    decay: list[nn.Parameter] = []
    no_decay: list[nn.Parameter] = []
    seen: set[int] = set()
    for module in model.modules():
        is_norm = "Norm" in type(module).__name__
        for param in module.parameters(recurse=False):
            if id(param) in seen:
                continue
            seen.add(id(param))
            (no_decay if is_norm or param.dim() <= 1 else decay).append(param)
    return [
        {"params": decay, "weight_decay": float(weight_decay)},
        {"params": no_decay, "weight_decay": 0.0},
    ]
