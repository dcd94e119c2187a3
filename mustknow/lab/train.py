r"""One training loop for every experiment: configured, deterministic, fast.

:func:`fit` trains a model on a :class:`~mustknow.data.Split` under a frozen
:class:`TrainConfig` and returns a :class:`History` of per-epoch losses and
accuracies. It owns its random streams (shuffling, input noise, augmentation
and torch's global generator used by dropout), all derived from ``seed``, so
the same model initialisation, data, config and seed give the same history.
Call :func:`seed_everything` before building the model to fix its
initialisation.

Each step is: shuffle once per epoch (one gather, then slices), optional
augmentation and input noise, forward, data loss plus explicit penalties,
backward, optional gradient clipping, the optimiser step, then the optional
proximal L1 step. No DataLoader: the sets here fit in memory and per-step
Python overhead dominates tiny models.

Penalties (``l1``, ``l2``, ``proximal_l1``) apply to the weights only
(parameters with two or more dimensions: linear and convolution kernels) by
default, leaving biases and normalisation parameters free, as scikit-learn's
``Lasso`` and ``Ridge`` leave the intercept free; ``penalty_on="all"`` covers
every parameter, which is what PyTorch's ``weight_decay`` does.

scikit-learn's ``Lasso(alpha)`` minimises :math:`\frac{1}{2n}\lVert y - Xw
\rVert^2 + \alpha \lVert w \rVert_1`; the same objective here is ``loss_fn =
0.5 * MSE`` with ``proximal_l1=alpha`` (or MSE with ``proximal_l1=2 * alpha``),
trained full-batch with plain SGD.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import random
import time
import types
import typing
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from ..data.datasets import Split
from ..nn import BatchNorm1d, BatchNorm2d
from ..functional._checks import check_choice, check_floating, check_number

__all__ = [
    "OPTIMIZERS",
    "TrainConfig",
    "History",
    "fit",
    "evaluate",
    "predict_logits",
    "seed_everything",
    "recalibrate_batch_norm",
]

#: Optimisers :class:`TrainConfig` accepts (``torch.optim`` classes).
OPTIMIZERS = ("sgd", "adam", "adamw")
_PENALTY_ON = ("weights", "all")


@dataclass(frozen=True)
class TrainConfig:
    """Everything :func:`fit` needs besides the model, the data and the seed.

    Build one with keywords, or derive one with :meth:`replace`; both check
    every value's type and range, and :meth:`replace` rejects unknown keys.
    """

    # Adam trains the small MLPs and CNNs here at one learning rate without per-model tuning.
    optimizer: str = "adam"
    # Adam's default step size (Kingma and Ba 2015); SGD experiments set their own.
    lr: float = 1e-3
    # SGD only. 0 gives the plain update the note describes; PyTorch's default too.
    momentum: float = 0.0
    # Adam/AdamW moment decay rates: the paper's and PyTorch's defaults.
    betas: tuple[float, float] = (0.9, 0.999)
    # Off: regularisation is what experiments switch on, one knob at a time.
    weight_decay: float = 0.0
    # False: weight_decay on every parameter, as torch.optim does. True: only on the
    # weights, via mustknow.nn.decay_groups (biases and norm parameters undecayed).
    decay_groups: bool = False
    # Enough for the small models here to fit digits; experiments size their own budget.
    epochs: int = 20
    # A common minibatch size; None trains full-batch (deterministic gradient descent).
    # A last batch of one sample joins the batch before it (BatchNorm needs two).
    batch_size: int | None = 64
    # Coefficient of the explicit penalty l1 * sum|w| added to the loss; 0 = off.
    l1: float = 0.0
    # Coefficient of the explicit penalty l2 * 0.5 * sum w^2 (gradient l2 * w, like
    # SGD's weight_decay); 0 = off.
    l2: float = 0.0
    # Threshold coefficient of the proximal L1 step w <- soft_threshold(w, lr * proximal_l1)
    # applied after each optimiser step (exact zeros; ISTA for plain SGD); 0 = off.
    proximal_l1: float = 0.0
    # Penalties on "weights" (ndim >= 2, intercepts free as in sklearn) or "all" parameters.
    penalty_on: str = "weights"
    # None: no early stopping. Otherwise the number of evaluations without a
    # val-loss improvement before stopping (needs a val split).
    early_stopping_patience: int | None = None
    # Smallest val-loss decrease that counts as an improvement; 0 counts any decrease.
    early_stopping_min_delta: float = 0.0
    # With early stopping: reload the best-val-loss weights at the end (Prechelt 1998's rule).
    restore_best: bool = True
    # None: no augmentation. Else a callable on the input batch; called with
    # generator=<fit's own CPU generator> when it accepts that keyword, for determinism
    # (e.g. functools.partial(mustknow.data.random_shift_rotate, max_shift=1)).
    augment: Callable[..., torch.Tensor] | None = None
    # Std of Gaussian noise added to every training input batch (noise injection); 0 = off.
    input_noise_std: float = 0.0
    # None: no clipping. Else the maximum global gradient L2 norm per step.
    grad_clip: float | None = None
    # None: run all epochs. Else stop after this many optimiser steps (fixed step budgets).
    max_steps: int | None = None
    # Stop and flag divergence once a step's loss is non-finite or exceeds this factor
    # times max(1, first loss); a thousandfold rise is far past any recovering run.
    divergence_factor: float = 1e3
    # False: train_loss/acc are running means over the epoch's steps (free, but in train
    # mode). True: re-evaluate the train split in eval mode after each epoch (clean gap).
    eval_train: bool = False
    # Evaluation batch size: bounds memory on big inputs; the small sets fit in one batch.
    eval_batch_size: int = 1024

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not _conforms(value, hints[f.name]):
                raise TypeError(
                    f"TrainConfig.{f.name} must be {_describe(hints[f.name])}; "
                    f"got {type(value).__name__} {value!r}"
                )
            if hints[f.name] is float and isinstance(value, int):
                object.__setattr__(self, f.name, float(value))
        check_choice(self.optimizer, "TrainConfig.optimizer", OPTIMIZERS)
        check_choice(self.penalty_on, "TrainConfig.penalty_on", _PENALTY_ON)
        check_number(self.lr, "TrainConfig.lr", low=0.0, low_inclusive=False)
        check_number(self.momentum, "TrainConfig.momentum", low=0.0, high=1.0, high_inclusive=False)
        for i, beta in enumerate(self.betas):
            check_number(beta, f"TrainConfig.betas[{i}]", low=0.0, high=1.0, high_inclusive=False)
        for name in ("weight_decay", "l1", "l2", "proximal_l1", "early_stopping_min_delta", "input_noise_std"):
            check_number(getattr(self, name), f"TrainConfig.{name}", low=0.0)
        check_number(self.epochs, "TrainConfig.epochs", low=1)
        check_number(self.eval_batch_size, "TrainConfig.eval_batch_size", low=1)
        check_number(self.divergence_factor, "TrainConfig.divergence_factor", low=1.0, low_inclusive=False)
        for name in ("batch_size", "early_stopping_patience", "max_steps"):
            if getattr(self, name) is not None:
                check_number(getattr(self, name), f"TrainConfig.{name}", low=1)
        if self.grad_clip is not None:
            check_number(self.grad_clip, "TrainConfig.grad_clip", low=0.0, low_inclusive=False)
        if self.optimizer != "sgd" and self.momentum != 0.0:
            warnings.warn(f"momentum={self.momentum} is ignored by optimizer={self.optimizer!r}", stacklevel=3)
        if self.optimizer == "sgd" and self.betas != (0.9, 0.999):
            warnings.warn(f"betas={self.betas} is ignored by optimizer='sgd'", stacklevel=3)

    def replace(self, **overrides: Any) -> TrainConfig:
        """A copy with ``overrides`` applied, type- and range-checked.

        Raises:
            TypeError: an unknown key, or a value of the wrong type.
            ValueError: a value out of range.

        Example:
            >>> TrainConfig().replace(optimizer="sgd", lr=0.1).lr
            0.1
        """
        names = [f.name for f in dataclasses.fields(self)]
        unknown = sorted(set(overrides) - set(names))
        if unknown:
            raise TypeError(f"unknown TrainConfig field(s) {', '.join(unknown)}; valid fields: {', '.join(names)}")
        return dataclasses.replace(self, **overrides)


def _conforms(value: Any, hint: Any) -> bool:
    """Whether ``value`` fits the annotation ``hint`` (the few kinds TrainConfig uses)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if origin is tuple:
        args = typing.get_args(hint)
        return (
            isinstance(value, tuple)
            and len(value) == len(args)
            and all(_conforms(v, a) for v, a in zip(value, args))
        )
    if origin is Callable or hint is Callable:
        return callable(value)
    return isinstance(value, hint)


def _describe(hint: Any) -> str:
    """A readable name for an annotation, for error messages."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(hint))
    if hint is type(None):
        return "None"
    if typing.get_origin(hint) is tuple:
        return f"a tuple ({', '.join(_describe(a) for a in typing.get_args(hint))})"
    if typing.get_origin(hint) is Callable:
        return "a callable"
    return getattr(hint, "__name__", str(hint))


@dataclass
class History:
    """What :func:`fit` measured.

    Attributes:
        train_loss, train_acc: one entry per completed epoch (the data loss,
            without penalties). ``train_acc`` stays empty for regression.
        val_loss, val_acc: one entry per evaluation, taken at the epochs
            listed in ``val_epochs`` (every ``eval_every`` epochs and the last).
        val_epochs: 1-based epoch numbers of the evaluations.
        best_epoch, best_val_loss: the evaluation with the lowest val loss
            (``None`` without a val split).
        diverged: True when training stopped on a non-finite or exploding loss.
        stop_reason: ``"epochs"``, ``"max_steps"``, ``"early_stopping"``,
            ``"diverged"`` or ``"callback"``.
        epochs: completed epochs; steps: optimiser steps taken.
        wall_s: wall-clock seconds of the whole call.
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    val_epochs: list[int] = field(default_factory=list)
    best_epoch: int | None = None
    best_val_loss: float | None = None
    diverged: bool = False
    stop_reason: str = "epochs"
    epochs: int = 0
    steps: int = 0
    wall_s: float = 0.0

    def to_series(self) -> dict[str, list[float | None]]:
        """The per-epoch lists as a JSON-ready dict (non-finite values become ``None``)."""
        names = ("train_loss", "train_acc", "val_loss", "val_acc", "val_epochs")
        return {n: [v if math.isfinite(v) else None for v in getattr(self, n)] for n in names}


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators (call before building a model).

    Example:
        >>> seed_everything(0); a = torch.randn(2)
        >>> seed_everything(0); bool((a == torch.randn(2)).all())
        True
    """
    check_number(seed, "seed", integer=True, low=0)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _mse(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error, accepting (N, 1) outputs for (N,) targets."""
    if output.shape != target.shape and output.numel() == target.numel():
        output = output.reshape(target.shape)  # (N, 1) -> (N,)
    return torch.nn.functional.mse_loss(output, target)


def _default_loss(target: torch.Tensor) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Cross-entropy for class-index targets, mean squared error for real ones."""
    if target.is_floating_point():
        return _mse
    from ..functional import cross_entropy  # imported at call time: functional is the lower floor

    return cross_entropy


def _correct(output: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
    """(number correct, number counted) as tensors, or None when accuracy is undefined.

    Class-index targets with one more output dim of size C > 1: argmax over
    dim 1 (also per pixel); negative targets (``ignore_index``) are not
    counted. Class-index targets with one output per target ((N,) or (N, 1),
    a single logit): the sign decides,
    for {0, 1} and {-1, +1} labels alike. Real-valued targets: None.
    """
    if target.is_floating_point():
        return None
    if output.dim() == target.dim() + 1 and output.shape[1] > 1:
        valid = target >= 0
        hits = (output.argmax(1) == target) & valid  # (N, C, ...) -> (N, ...)
        return hits.sum(), valid.sum()
    if output.numel() == target.numel():
        hits = (output.reshape(target.shape) > 0) == (target > 0)
        return hits.sum(), torch.tensor(target.numel(), device=target.device)
    return None


def _primary(output: Any) -> torch.Tensor:
    """The prediction in a model's output: the first element of a tuple or list output."""
    return output[0] if isinstance(output, (tuple, list)) else output


def _inputs_like(split: Split, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """The split's tensors on the model's device; x (and real y) in its float dtype."""
    param = next((p for p in model.parameters() if p.is_floating_point()), None)
    device = param.device if param is not None else split.x.device
    dtype = param.dtype if param is not None else split.x.dtype
    x = split.x.to(device=device, dtype=dtype)
    y = split.y.to(device=device, dtype=dtype if split.y.is_floating_point() else split.y.dtype)
    return x, y


@torch.no_grad()
def predict_logits(model: nn.Module, x: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """The model's outputs on ``x``, in eval mode, batched, without gradients.

    For a model returning a tuple or list (a multi-task model), the first
    element. The model's train/eval mode is restored afterwards.

    Example:
        >>> predict_logits(nn.Linear(3, 2), torch.zeros(5, 3)).shape
        torch.Size([5, 2])
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    check_number(batch_size, "batch_size", integer=True, low=1)
    was_training = model.training
    model.eval()
    try:
        outs = [_primary(model(x[i : i + batch_size])) for i in range(0, x.shape[0], batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(outs)  # batches of (B, ...) -> (N, ...)


@torch.no_grad()
def evaluate(
    model: nn.Module,
    split: Split,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    batch_size: int = 1024,
) -> dict[str, float]:
    """Mean loss and accuracy of ``model`` on ``split``, in eval mode, without gradients.

    The loss is the sample-weighted mean of the per-batch mean losses, which
    equals the full-set mean for per-sample losses; for losses that do not
    decompose over samples (Dice, Lovasz) use a batch size covering the split.

    Args:
        model: the network; its train/eval mode is restored afterwards.
        split: the data (:class:`~mustknow.data.Split`).
        loss_fn: ``loss_fn(output, target) -> scalar``. Default: cross-entropy
            for integer targets, mean squared error for real ones.
        batch_size: rows per forward pass. Default 1024.

    Returns:
        ``{"loss": float, "acc": float}``; ``acc`` is NaN for real-valued targets.

    Raises:
        TypeError: ``model`` is not a module or ``split`` not a Split.

    Example:
        >>> s = Split(torch.zeros(4, 3), torch.tensor([0, 1, 0, 1]))
        >>> evaluate(nn.Linear(3, 2), s, loss_fn=torch.nn.functional.cross_entropy)["acc"]
        0.5
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    if not isinstance(split, Split):
        raise TypeError(f"split must be a mustknow.data.Split; got {type(split).__name__}")
    check_number(batch_size, "batch_size", integer=True, low=1)
    x, y = _inputs_like(split, model)
    loss_fn = loss_fn or _default_loss(y)
    was_training = model.training
    model.eval()
    total, hits, counted = 0.0, 0, 0
    try:
        for i in range(0, x.shape[0], batch_size):
            xb, yb = x[i : i + batch_size], y[i : i + batch_size]
            out = model(xb)
            total += float(loss_fn(out, yb)) * yb.shape[0]
            c = _correct(_primary(out), yb)
            if c is not None:
                hits += int(c[0])
                counted += int(c[1])
    finally:
        model.train(was_training)
    n = max(x.shape[0], 1)
    return {"loss": total / n, "acc": hits / counted if counted else math.nan}


def _optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """The configured torch.optim optimiser over the model's trainable parameters."""
    if config.decay_groups:
        from ..nn import decay_groups  # imported at call time: nn is written independently

        params: Any = decay_groups(model, config.weight_decay)
    else:
        params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    cls = torch.optim.Adam if config.optimizer == "adam" else torch.optim.AdamW
    return cls(params, lr=config.lr, betas=config.betas, weight_decay=config.weight_decay)


def fit(
    model: nn.Module,
    train: Split,
    val: Split | None,
    config: TrainConfig,
    *,
    seed: int,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    eval_every: int = 1,
    on_epoch: Callable[[int, nn.Module, History], bool | None] | None = None,
    on_step: Callable[[int, nn.Module, torch.Tensor], None] | None = None,
) -> History:
    """Train ``model`` on ``train`` under ``config``; return the per-epoch history.

    The objective of one step on a batch :math:`B` is

    .. math::
        J(w) = \\frac{1}{|B|}\\sum_{i \\in B} \\ell(f_w(\\tilde x_i), y_i)
               + \\lambda_1 \\lVert w \\rVert_1 + \\tfrac{\\lambda_2}{2} \\lVert w \\rVert_2^2,
        \\qquad \\nabla J = \\nabla \\bar\\ell + \\lambda_1 \\operatorname{sign}(w) + \\lambda_2 w,

    with :math:`\\tilde x` the augmented, noised input; after the optimiser
    step the proximal step :math:`w \\leftarrow \\operatorname{sign}(w)
    \\max(|w| - \\eta\\lambda_p, 0)` (ISTA; Daubechies et al. 2004) sets small
    weights exactly to zero. ``weight_decay`` is the optimiser's own (coupled
    for SGD and Adam, decoupled for AdamW; Loshchilov and Hutter 2019).

    Training stops after ``config.epochs`` epochs, or earlier: after
    ``config.max_steps`` steps; when early stopping runs out of patience (the
    best weights are then restored if ``config.restore_best``); when
    ``on_epoch`` returns True; or on divergence, which is flagged in the
    history (``diverged=True``) instead of raised.

    Determinism: shuffling, input noise, augmentation and torch's global
    generator (used by dropout layers) are seeded from ``seed`` inside ``fit``;
    the model's initialisation is the caller's (see :func:`seed_everything`).

    Args:
        model: the network, trained in place on its own device and dtype.
        train: training data (:class:`~mustknow.data.Split`).
        val: validation data, or None (no val metrics, no early stopping).
        config: a :class:`TrainConfig`.
        seed: seed of every random draw inside fit (keyword only).
        loss_fn: ``loss_fn(output, target) -> scalar mean loss``. Default:
            :func:`mustknow.functional.cross_entropy` for integer targets,
            mean squared error for real ones. A model may return a tuple or
            list (an auxiliary head for multi-task learning): ``loss_fn``
            gets it whole, accuracy uses its first element.
        eval_every: evaluate ``val`` every this many epochs (and at the last).
            Default 1.
        on_epoch: ``on_epoch(epoch, model, history)`` after each epoch's
            bookkeeping; returning True stops training.
        on_step: ``on_step(step, model, loss)`` after every optimiser step
            (and proximal step); the step's gradients are still in ``.grad``
            and ``loss`` is the detached objective.

    Returns:
        History.

    Raises:
        TypeError: wrong types of ``model``, ``train``, ``val``, ``config``, ``seed``.
        ValueError: ``eval_every < 1``; an empty training split.

    Example:
        >>> from mustknow.data import load_dataset
        >>> ds = load_dataset("iris", seed=0)
        >>> seed_everything(0); model = nn.Linear(4, 3)
        >>> cfg = TrainConfig(optimizer="sgd", lr=0.5, epochs=30, batch_size=None)
        >>> h = fit(model, ds.train, ds.val, cfg, seed=0, loss_fn=torch.nn.functional.cross_entropy)
        >>> h.epochs, h.steps, h.train_loss[-1] < h.train_loss[0]
        (30, 30, True)
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    if not isinstance(train, Split):
        raise TypeError(f"train must be a mustknow.data.Split; got {type(train).__name__}")
    if val is not None and not isinstance(val, Split):
        raise TypeError(f"val must be a mustknow.data.Split or None; got {type(val).__name__}")
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig; got {type(config).__name__}")
    check_number(seed, "seed", integer=True, low=0)
    check_number(eval_every, "eval_every", integer=True, low=1)
    if len(train) == 0:
        raise ValueError("train split is empty; fit needs at least one row")
    if config.early_stopping_patience is not None and val is None:
        warnings.warn("early_stopping_patience is ignored because val is None", stacklevel=2)
    start_time = time.perf_counter()

    x, y = _inputs_like(train, model)
    device = x.device
    loss_fn = loss_fn or _default_loss(y)
    n = x.shape[0]
    batch = n if config.batch_size is None else min(config.batch_size, n)
    streams = (int(s) for s in np.random.SeedSequence(seed).generate_state(4))
    shuffler = torch.Generator().manual_seed(next(streams))
    noiser = torch.Generator(device=device).manual_seed(next(streams))
    augmenter = torch.Generator().manual_seed(next(streams))  # CPU: transforms draw on the CPU
    torch.manual_seed(next(streams))

    optimizer = _optimizer(model, config)
    trainable = [p for p in model.parameters() if p.requires_grad]
    penalised = trainable if config.penalty_on == "all" else [p for p in trainable if p.dim() >= 2]
    if config.l1 or config.l2 or config.proximal_l1:
        from ..functional import l1_penalty, l2_penalty, proximal_l1_  # call time: written independently
    stopper = None
    if config.early_stopping_patience is not None and val is not None:
        from ..nn import EarlyStopping

        stopper = EarlyStopping(
            config.early_stopping_patience,
            min_delta=config.early_stopping_min_delta,
            mode="min",
            restore_best=config.restore_best,
        )
    augment = config.augment
    augment_kwargs = {}
    if augment is not None:
        try:
            if "generator" in inspect.signature(augment).parameters:
                augment_kwargs = {"generator": augmenter}
        except (TypeError, ValueError):  # builtins without a signature
            pass

    bounds = list(range(0, n, batch)) + [n]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] == 1:
        # A one-sample last batch joins the one before it: batch statistics
        # (BatchNorm in training mode) need at least two samples.
        del bounds[-2]
    history = History()
    was_training = model.training
    bound: float | None = None
    for epoch in range(1, config.epochs + 1):
        model.train()
        if batch < n:
            perm = torch.randperm(n, generator=shuffler).to(device)
            xs, ys = x[perm], y[perm]  # one gather per epoch; batches below are views
        else:
            xs, ys = x, y  # full batch: the order does not matter
        loss_sum = 0.0
        hits = torch.zeros((), dtype=torch.long, device=device)
        counted = torch.zeros((), dtype=torch.long, device=device)
        seen = 0
        has_acc = True
        for first, last in zip(bounds[:-1], bounds[1:]):
            xb, yb = xs[first:last], ys[first:last]
            if augment is not None:
                xb = augment(xb, **augment_kwargs)
            if config.input_noise_std:
                noise = torch.randn(xb.shape, generator=noiser, device=device, dtype=xb.dtype)
                xb = xb + config.input_noise_std * noise
            out = model(xb)
            data_loss = loss_fn(out, yb)
            loss = data_loss
            if config.l1:
                loss = loss + config.l1 * l1_penalty(penalised)
            if config.l2:
                loss = loss + config.l2 * l2_penalty(penalised)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.grad_clip is not None:
                nn.utils.clip_grad_norm_(trainable, config.grad_clip)
            optimizer.step()
            if config.proximal_l1:
                proximal_l1_(penalised, config.lr, config.proximal_l1)
            history.steps += 1
            value = float(loss.detach())
            if bound is None:
                bound = config.divergence_factor * max(1.0, abs(value))
            if not math.isfinite(value) or value > bound:
                history.diverged = True
                history.stop_reason = "diverged"
                break
            loss_sum += float(data_loss.detach()) * yb.shape[0]
            seen += yb.shape[0]
            c = _correct(_primary(out).detach(), yb)
            if c is None:
                has_acc = False
            else:
                hits += c[0]
                counted += c[1]
            if on_step is not None:
                on_step(history.steps, model, loss.detach())
            if config.max_steps is not None and history.steps >= config.max_steps:
                history.stop_reason = "max_steps"
                break
        if history.diverged:
            break

        history.epochs = epoch
        if config.eval_train:
            res = evaluate(model, train, loss_fn, config.eval_batch_size)
            history.train_loss.append(res["loss"])
            if not math.isnan(res["acc"]):
                history.train_acc.append(res["acc"])
        else:
            history.train_loss.append(loss_sum / seen)
            if has_acc and int(counted) > 0:
                history.train_acc.append(int(hits) / int(counted))
        last = epoch == config.epochs or history.stop_reason == "max_steps"
        if val is not None and (epoch % eval_every == 0 or last):
            res = evaluate(model, val, loss_fn, config.eval_batch_size)
            history.val_loss.append(res["loss"])
            history.val_epochs.append(epoch)
            if not math.isnan(res["acc"]):
                history.val_acc.append(res["acc"])
            if not math.isnan(res["loss"]) and (history.best_val_loss is None or res["loss"] < history.best_val_loss):
                history.best_val_loss, history.best_epoch = res["loss"], epoch
            if stopper is not None and stopper.step(res["loss"], model):
                history.stop_reason = "early_stopping"
        if on_epoch is not None and on_epoch(epoch, model, history) and history.stop_reason == "epochs":
            history.stop_reason = "callback"
        if history.stop_reason != "epochs":
            break

    if stopper is not None and config.restore_best and stopper.best is not None:
        stopper.restore(model)
    model.train(was_training)
    history.wall_s = time.perf_counter() - start_time
    return history


class _Stop(Exception):
    """Ends a forward pass once the layer being recalibrated has seen its input."""


@torch.no_grad()
def recalibrate_batch_norm(model: torch.nn.Module, x: torch.Tensor, batch_size: int | None = None) -> torch.nn.Module:
    """Set every BN layer's running statistics to those of ``x`` under the final weights ("precise BN").

    After a short training run at a large learning rate the running averages
    (momentum 0.1) still mix statistics of the last few weight settings, and
    evaluation with them is noisy for reasons unrelated to the layer order;
    recomputing them over the training inputs (Wu & Johnson 2021, "Rethinking
    'Batch' in BatchNorm") gives both arms the statistics their final weights
    produce. The result is what one training-mode pass over all of ``x`` as a
    single batch gives: each layer's statistics of its input over the whole
    set, with the layers before it normalising by theirs.

    With ``batch_size=None`` that is what it does (memory grows with ``len(x)``).
    With a ``batch_size`` it gets the same statistics in chunks of that many
    rows, one layer at a time in the order the forward pass calls them: for
    each layer the chunks run up to it (the earlier layers already use their
    new statistics), its input's per-channel sum and sum of squares are
    accumulated in float64, and the pass stops there. Memory stays that of one
    chunk; the cost is one partial pass over ``x`` per BN layer. The model's
    mode and the layers' momentum are restored.

    Args:
        model: any module; its BatchNorm1d/BatchNorm2d layers are recalibrated.
        x: training inputs (N, ...).
        batch_size: rows per forward pass, or ``None`` (default) for one pass
            over all of ``x``.

    Raises:
        TypeError: ``model`` is not a module, ``x`` not a floating-point
            tensor, ``batch_size`` not an int.
        ValueError: ``x`` holds fewer than two samples; ``batch_size < 1``.

    Returns:
        ``model``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    check_floating(x, "x")
    if x.dim() == 0 or x.shape[0] < 2:
        raise ValueError(f"x must hold at least two samples (batch statistics); got shape {tuple(x.shape)}")
    if batch_size is not None:
        check_number(batch_size, "batch_size", integer=True, low=1)
    norms = [m for m in model.modules() if isinstance(m, (BatchNorm1d, BatchNorm2d)) and m.track_running_stats]
    if not norms:
        return model
    momenta = [m.momentum for m in norms]
    was_training = model.training
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average: after one batch, exactly that batch's statistics
    model.train()
    try:
        if batch_size is None or batch_size >= len(x):
            model(x)
        else:
            _recalibrate_in_chunks(model, norms, x, batch_size)
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        model.train(was_training)
    return model


def _recalibrate_in_chunks(model: nn.Module, norms: list[nn.Module], x: torch.Tensor, batch_size: int) -> None:
    """Whole-set statistics of each BN layer's input, layer by layer in call order, ``batch_size`` rows at a time."""
    order: list[nn.Module] = []
    hooks = [m.register_forward_pre_hook(lambda m, args: order.append(m) if m not in order else None) for m in norms]
    try:
        model(x[:2])  # the call order (two rows: BN accepts them in training mode)
    finally:
        for h in hooks:
            h.remove()
    for layer in order:
        layer.reset_running_stats()  # the probe pass above touched them
    counts: dict[nn.Module, int] = {}
    for layer in order:
        total = sq = None
        count = 0

        def grab(module, args):
            nonlocal total, sq, count
            h = args[0].double()
            dims = [d for d in range(h.dim()) if d != 1]  # every axis but the channels
            total = h.sum(dims) if total is None else total + h.sum(dims)
            sq = h.square().sum(dims) if sq is None else sq + h.square().sum(dims)
            count += h.numel() // h.shape[1]
            raise _Stop

        hook = layer.register_forward_pre_hook(grab)
        try:
            for start in range(0, len(x), batch_size):
                try:
                    model(x[start:start + batch_size])
                except _Stop:
                    pass
        finally:
            hook.remove()
        counts[layer] = count
        mean = total / count
        var = (sq / count - mean.square()).clamp_min(0.0)  # biased: what a training-mode batch divides by
        layer.running_mean.copy_(mean)
        layer.running_var.copy_(var)
        layer.eval()  # the next layers see this one normalise by the whole-set statistics
    for layer in order:  # stored as a one-batch pass leaves them: the unbiased variance, one batch tracked
        layer.running_var.mul_(counts[layer] / max(counts[layer] - 1, 1))
        layer.num_batches_tracked.fill_(1)
