r"""Segmentation losses and class-weight estimators (question 9 of the note).

The note lists the losses used for semantic segmentation: softmax + cross
entropy (FCN, U-Net), its class-weighted version (SegNet), an adversarial loss
(Luc et al. 2016), sigmoid + Dice (V-Net), online bootstrapped cross entropy
(FRRN, Pohlen et al. 2017) and Jaccard / IoU. This module implements them with
one set of conventions.

Conventions shared by every overlap loss (Dice, Jaccard, Tversky, generalized
Dice):

* ``input`` holds logits ``(N, C, H, W)`` or ``(N, C, D, H, W)``
  (probabilities when ``from_logits=False``).
* ``mode="multiclass"``: softmax over ``C`` (``C >= 2``); ``target`` is class
  indices ``(N, H, W)`` or one-hot / soft ``(N, C, H, W)`` summing to 1 over
  ``C``. ``mode="binary"``: ``C == 1``, a sigmoid; ``target`` is ``{0, 1}``
  indices ``(N, H, W)`` or a soft ``(N, 1, H, W)`` map. ``mode="multilabel"``:
  one sigmoid per channel; ``target`` is a soft ``(N, C, H, W)`` map in [0, 1].
* ``ignore_index`` applies to class-index targets: those pixels take no part
  in any sum and receive exactly zero gradient.
* Index targets are never expanded to a one-hot tensor of the input's size:
  the per-class sums are gathered and scattered into ``(N, C)`` bins.
* **Soft-target-correct overlap.** With prediction :math:`p` and target
  :math:`t` in [0, 1] the statistics of class :math:`c` are the L1 forms

  .. math::
      I = \sum_i \min(p_i, t_i),\quad
      FP = \sum_i (p_i - t_i)_+,\quad FN = \sum_i (t_i - p_i)_+ .

  For hard targets they equal the usual :math:`\sum p t`,
  :math:`\sum p(1-t)`, :math:`\sum (1-p) t`; for soft targets they make every
  loss exactly 0 when :math:`p = t` (the product forms do not: with
  :math:`t = 0.5` everywhere the product Dice prefers :math:`p = 1`). This is
  the soft Dice / Jaccard of Wang and Blaschko (2023, "Dice semimetric losses:
  optimizing the Dice score with soft labels"). The V-Net squared denominator
  (``squared_pred=True``) is soft-correct as it stands:
  :math:`1 - 2\langle p,t\rangle / (\|p\|^2 + \|t\|^2) = \|p-t\|^2/(\|p\|^2+\|t\|^2)`.
* **Absent classes.** Each class's loss is :math:`(\mathrm{den} - \mathrm{num}) /
  \mathrm{den}` with ``smooth`` added to both. A class absent from the target
  keeps its false positives in the loss, :math:`\alpha FP / (\alpha FP + s)`,
  a smooth function of the predicted mass when ``smooth > 0`` (with
  ``smooth=0`` it is exactly 1 with zero gradient). A class absent from both
  target and prediction (``den == 0``: only possible with ``smooth=0`` and a
  prediction of exactly zero mass) scores a perfect 0 with zero gradient, never
  0/0. Every class selected by ``include_background`` counts in the mean.
* ``per_image=True`` computes the statistics per image and averages the
  per-image, per-class losses; ``per_image=False`` pools the statistics over
  the batch first. For a batch of one they agree.
* ``weight`` (``(C,)``, non-negative) gives the weighted mean over classes:
  :math:`\sum_c w_c \ell_c / \sum_c w_c`.

The heavy part of every overlap loss is one fused ``torch.autograd.Function``
(:class:`OverlapStats`): activation, masking and the per-class sums in the
forward; the vector-Jacobian product through the sums and the softmax written
by hand in the backward. The ratio on the small ``(N, C)`` statistics is plain
tensor arithmetic.
"""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import torch

from . import activations as _act
from . import losses as _losses
from ._checks import (
    check_choice,
    check_class_indices,
    check_floating,
    check_ndim,
    check_number,
    check_same_shape,
    check_tensor,
)
from ._reduction import check_reduction, reduce

__all__ = [
    "OverlapStats",
    "dice_loss",
    "generalized_dice_loss",
    "jaccard_loss",
    "tversky_loss",
    "dice_ce_loss",
    "bootstrapped_cross_entropy",
    "ohem_cross_entropy",
    "adversarial_loss",
    "LovaszSoftmaxStats",
    "lovasz_softmax",
    "median_frequency_weights",
    "inverse_frequency_weights",
    "effective_number_weights",
]

MODES = ("binary", "multiclass", "multilabel")
_SOFT_SUM_TOL = 1e-3  # tolerance for "one-hot / soft targets sum to 1 over C"


class _Prepared(NamedTuple):
    x: torch.Tensor  # (N, C, S) input, spatial dims flattened
    index: torch.Tensor | None  # (N, S) long class indices, ignored pixels set to 0
    soft: torch.Tensor | None  # (N, C, S) soft target in the input's dtype
    valid: torch.Tensor | None  # (N, S) bool, None when no pixel is ignored
    activation: str  # "softmax" | "sigmoid" | "none"


# --------------------------------------------------------------------------- #
# validation
# --------------------------------------------------------------------------- #


def _check_input(input: torch.Tensor, mode: str, name: str = "input") -> None:
    check_floating(input, name)
    check_ndim(input, name, (4, 5), "(N, C, H, W) or (N, C, D, H, W)")
    check_choice(mode, "mode", MODES)
    c = input.shape[1]
    if mode == "multiclass" and c < 2:
        raise ValueError(
            f"mode='multiclass' needs at least 2 classes in {name} (N, C, ...); got C={c}. "
            "Use mode='binary' for a single foreground channel"
        )
    if mode == "binary" and c != 1:
        raise ValueError(
            f"mode='binary' needs {name} of shape (N, 1, ...); got C={c}. "
            "Use mode='multiclass' or 'multilabel' for several channels"
        )


def _check_soft(target: torch.Tensor, mode: str) -> None:
    if target.numel() == 0:
        return
    lo, hi = float(target.min()), float(target.max())
    if lo < 0.0 or hi > 1.0:
        raise ValueError(f"soft / one-hot target values must lie in [0, 1]; found range [{lo}, {hi}]")
    if mode == "multiclass":
        dev = float((target.sum(1) - 1.0).abs().max())
        if dev > _SOFT_SUM_TOL:
            raise ValueError(
                "one-hot / soft targets of shape (N, C, ...) must sum to 1 over the class dim C "
                f"in mode='multiclass'; found a pixel whose sum is off by {dev:.4g}"
            )


def _check_weight(weight: torch.Tensor | None, num_classes: int, ref: torch.Tensor) -> torch.Tensor | None:
    if weight is None:
        return None
    check_floating(weight, "weight")
    if weight.shape != (num_classes,):
        raise ValueError(f"weight must have shape (C,) = ({num_classes},); got {tuple(weight.shape)}")
    if weight.numel() and float(weight.min()) < 0:
        raise ValueError(f"weight must be non-negative; found {float(weight.min())}")
    return weight.to(device=ref.device, dtype=ref.dtype)


def _prepare(
    input: torch.Tensor, target: torch.Tensor, mode: str, from_logits: bool, ignore_index: int
) -> _Prepared:
    """Validate ``input``/``target`` and flatten them to ``(N, C, S)`` / ``(N, S)``."""
    _check_input(input, mode)
    check_tensor(target, "target")
    check_number(ignore_index, "ignore_index", integer=True)
    if not isinstance(from_logits, bool):
        raise TypeError(f"from_logits must be a bool; got {type(from_logits).__name__}")
    n, c = input.shape[:2]
    spatial = tuple(input.shape[2:])
    x = input.reshape(n, c, -1)  # (N, C, *spatial) -> (N, C, S)
    if mode == "multiclass":
        activation = "softmax" if from_logits else "none"
    else:
        activation = "sigmoid" if from_logits else "none"

    index_shape = (n, *spatial)
    if tuple(target.shape) == tuple(input.shape) and mode != "binary" or (
        mode == "binary" and tuple(target.shape) == tuple(input.shape) and target.is_floating_point()
    ):
        soft = target.to(dtype=input.dtype)
        _check_soft(soft, mode)
        if ignore_index != -100:
            warnings.warn(
                f"ignore_index={ignore_index} is ignored: it applies to class-index targets, "
                "not to one-hot / soft targets of shape (N, C, ...)",
                stacklevel=4,
            )
        return _Prepared(x, None, soft.reshape(n, c, -1), None, activation)  # (N, C, S)
    if mode == "multilabel":
        raise ValueError(
            f"mode='multilabel' needs a target of shape (N, C, ...) = {tuple(input.shape)}; "
            f"got {tuple(target.shape)}"
        )
    if tuple(target.shape) != index_shape:
        raise ValueError(
            f"target must have shape (N, ...) = {index_shape} (class indices) or "
            f"(N, C, ...) = {tuple(input.shape)} (one-hot / soft) matching input; "
            f"got {tuple(target.shape)}"
        )
    check_class_indices(target, 2 if mode == "binary" else c, ignore_index)
    flat = target.reshape(n, -1)  # (N, *spatial) -> (N, S)
    ignored = flat == ignore_index
    valid = None
    if bool(ignored.any()):
        valid = ~ignored
        flat = flat.masked_fill(ignored, 0)
    if mode == "binary":
        soft = flat.to(input.dtype).unsqueeze(1)  # (N, S) -> (N, 1, S)
        return _Prepared(x, None, soft, valid, activation)
    return _Prepared(x, flat, None, valid, activation)


# --------------------------------------------------------------------------- #
# the fused primitive
# --------------------------------------------------------------------------- #


def _activate(x: torch.Tensor, activation: str, valid: torch.Tensor | None) -> torch.Tensor:
    """``p = act(x)`` (N, C, S) with ignored pixels set to 0; a new tensor unless act is the identity."""
    if activation == "softmax":
        p = torch.softmax(x, 1)  # (N, C, S)
    elif activation == "sigmoid":
        p = torch.sigmoid(x)
    else:
        p = x
    if valid is not None:
        keep = valid.unsqueeze(1)  # (N, S) -> (N, 1, S)
        p = p.masked_fill(~keep, 0.0) if p is x else p.masked_fill_(~keep, 0.0)
    return p


class OverlapStats(torch.autograd.Function):
    r"""Per-image, per-class overlap statistics of a prediction, activation fused.

    Forward, with :math:`p = \mathrm{act}(x)` (softmax over ``C``, sigmoid, or
    the identity), valid-pixel mask :math:`m` and target :math:`t`, returns
    ``(N, C, 3)``: either the L1 statistics

    .. math::
        I_{nc} = \sum_i m_i \min(p_{nci}, t_{nci}),\;
        FP_{nc} = \sum_i m_i (p_{nci} - t_{nci})_+,\;
        FN_{nc} = \sum_i m_i (t_{nci} - p_{nci})_+

    or, with ``squared=True``, :math:`(\sum m p t, \sum m p^2, \sum m t^2)`.
    For class-index targets :math:`t \in \{0, 1\}` and the L1 statistics reduce
    to :math:`I = \sum_{i: y_i = c} m_i p_{ci}` (a gather and a scatter-add into
    ``(N, C)`` bins), :math:`FP = \sum_i m_i p_{ci} - I`,
    :math:`FN = \#\{i: y_i = c\} - I`: no one-hot tensor is built.

    Backward. Given :math:`g = \partial L / \partial(\text{stats})`, the
    gradient with respect to :math:`p_{ci}` is

    .. math::
        G_{ci} = m_i\bigl[(g_I - g_{FN})(1 - h_{ci}) + g_{FP} h_{ci}\bigr],\quad
        h = [p > t] + (1 - t)[p = t],

    where at the kink :math:`p = t` we take the subgradient that equals the
    derivative of the product forms (:math:`h = 1 - t`), so hard targets see the
    smooth product-form gradient everywhere. For hard targets this is
    :math:`G_{ci} = m_i(a_c + t_{ci} b_c)` with :math:`a = g_{FP}`,
    :math:`b = g_I - g_{FP} - g_{FN}`. The squared statistics give
    :math:`G = m(g_0 t + 2 g_1 p)`. Through the activation:

    .. math::
        \text{softmax: } \frac{\partial L}{\partial x_{ci}} =
            p_{ci}\Bigl(G_{ci} - \sum_k p_{ki} G_{ki}\Bigr),\qquad
        \text{sigmoid: } G_{ci}\, p_{ci}(1 - p_{ci}).

    With index targets :math:`\sum_k p_{ki} G_{ki} = \sum_k p_{ki} a_k +
    p_{y_i i} b_{y_i}` is a batched matrix-vector product plus a gather, and
    :math:`p_{ci}(a_c - s_i)` is written into the storage of :math:`p` (kept
    from the forward, recomputed from :math:`x` if a retained graph is
    differentiated again): the backward allocates no ``(N, C, S)`` tensor.
    Ignored pixels have :math:`p` set to 0 in the forward, so every term above
    vanishes there: their gradient is exactly zero. The target gets no gradient.

    Args (positional, for ``apply``): ``x`` (N, C, S); ``index`` (N, S) long or
    ``None``; ``soft`` (N, C, S) or ``None``; ``valid`` (N, S) bool or ``None``;
    ``activation`` ``"softmax"|"sigmoid"|"none"``; ``squared`` bool.

    The softmax and sigmoid of the forward are PyTorch's kernels (one pass each);
    their derivatives above are applied by hand. Index sums accumulate in
    float64 (a float32 scatter-add over 10^5 pixels loses digits).
    """

    @staticmethod
    def forward(ctx, x, index, soft, valid, activation, squared):  # noqa: D102
        p = _activate(x, activation, valid)  # (N, C, S)
        n, c, _ = p.shape
        if index is not None:
            bins = p.new_zeros((n, c), dtype=torch.float64)
            p_y = p.gather(1, index.unsqueeze(1)).squeeze(1)  # (N, C, S) -> (N, S)
            inter = bins.scatter_add(1, index, p_y.double()).to(p.dtype)  # (N, S) -> (N, C)
            ones = valid.double() if valid is not None else p_y.new_ones((), dtype=torch.float64).expand_as(index)
            count = bins.scatter_add(1, index, ones).to(p.dtype)  # (N, S) -> (N, C)
            if squared:
                stats = torch.stack((inter, torch.linalg.vecdot(p, p), count), -1)  # (N, C, 3)
            else:
                mass = p.sum(2)  # (N, C, S) -> (N, C)
                stats = torch.stack(
                    (inter, (mass - inter).clamp_min(0.0), (count - inter).clamp_min(0.0)), -1
                )  # (N, C, 3)
            ctx.save_for_backward(x, index, None)
        else:
            t = soft if valid is None else soft * valid.unsqueeze(1)  # (N, C, S)
            if squared:
                stats = torch.stack(
                    (torch.linalg.vecdot(p, t), torch.linalg.vecdot(p, p), torch.linalg.vecdot(t, t)), -1
                )  # (N, C, S) -> (N, C, 3)
            else:
                fp = (p - t).clamp_min(0.0).sum(2)  # (N, C, S) -> (N, C)
                inter = p.sum(2) - fp
                stats = torch.stack((inter.clamp_min(0.0), fp, (t.sum(2) - inter).clamp_min(0.0)), -1)
            ctx.save_for_backward(x, None, t)
        # p is an intermediate this Function owns (unless it is the caller's x): the first backward
        # writes the gradient into its storage; a second backward (retain_graph) recomputes it.
        ctx.p = p
        ctx.activation = activation
        ctx.squared = squared
        ctx.valid = valid
        return stats

    @staticmethod
    def backward(ctx, grad):  # noqa: D102
        x, index, t = ctx.saved_tensors
        p = ctx.p if ctx.p is not None else _activate(x, ctx.activation, ctx.valid)
        ctx.p = None
        g0, g1, g2 = grad.unbind(-1)  # (N, C, 3) -> 3 x (N, C)
        if ctx.squared:
            a, b, q = torch.zeros_like(g0), g0, 2.0 * g1
        else:
            a, b, q = g1, g0 - g1 - g2, None
        if index is not None and ctx.activation == "softmax" and q is None:
            # In place in p's storage: dx = p (a_c - s_i), one image at a time so the
            # broadcast temporary is (C, S), then + p_y b_y at the target class.
            idx = index.unsqueeze(1)  # (N, S) -> (N, 1, S)
            pyb = p.gather(1, idx) * b.gather(1, index).unsqueeze(1)  # (N, 1, S)
            s = torch.bmm(a.unsqueeze(1), p)  # (N, 1, C) @ (N, C, S) -> (N, 1, S)
            s += pyb
            for n in range(p.shape[0]):
                p[n].mul_(a[n].unsqueeze(1) - s[n])  # (C, 1) - (1, S) -> (C, S)
            p.scatter_add_(1, idx, pyb)
            return p, None, None, None, None, None
        if index is not None and ctx.activation == "softmax":
            idx = index.unsqueeze(1)  # (N, S) -> (N, 1, S)
            pyb = p.gather(1, idx) * b.gather(1, index).unsqueeze(1)  # (N, 1, S)
            s = torch.bmm(a.unsqueeze(1), p)  # (N, 1, C) @ (N, C, S) -> (N, 1, S)
            s += pyb
            if q is not None:
                pp = p * p
                s += torch.bmm(q.unsqueeze(1), pp)
            dx = a.unsqueeze(2) - s  # (N, C, 1) - (N, 1, S) -> (N, C, S)
            dx.mul_(p)
            dx.scatter_add_(1, idx, pyb)
            if q is not None:
                dx.addcmul_(pp, q.unsqueeze(2))
            return dx, None, None, None, None, None
        if index is not None:
            # G = a + t b + q p, built without a one-hot: broadcast a, scatter b.
            g = a.unsqueeze(2).expand_as(p).clone()  # (N, C) -> (N, C, S)
            g.scatter_add_(1, index.unsqueeze(1), b.gather(1, index).unsqueeze(1))
        elif ctx.squared:
            g = t * b.unsqueeze(2)  # (N, C, S)
        else:
            h = torch.where(p > t, 1.0, torch.where(p < t, 0.0, 1.0 - t))  # (N, C, S)
            g = (g0 - g2).unsqueeze(2) + h * (g1 - g0 + g2).unsqueeze(2)
        if q is not None:
            g = g + p * q.unsqueeze(2)
        if ctx.activation == "softmax":
            dx = p * (g - (p * g).sum(1, keepdim=True))  # (N, C, S) -> (N, 1, S) -> (N, C, S)
        elif ctx.activation == "sigmoid":
            dx = g * p * (1.0 - p)  # ignored pixels have p = 0: zero gradient
        else:
            dx = g if ctx.valid is None else g * ctx.valid.unsqueeze(1)
        return dx, None, None, None, None, None


# --------------------------------------------------------------------------- #
# overlap losses
# --------------------------------------------------------------------------- #


def _select(
    stats: torch.Tensor, weight: torch.Tensor | None, include_background: bool, mode: str
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Drop class 0 when ``include_background=False`` (warn where there is none)."""
    if not include_background:
        if mode == "binary":
            warnings.warn(
                "include_background=False is ignored in mode='binary': its single channel is the foreground",
                stacklevel=4,
            )
        else:
            stats = stats[:, 1:]  # (N, C, 3) -> (N, C-1, 3)
            weight = None if weight is None else weight[1:]
    return stats, weight


def _ratio(stats: torch.Tensor, k: float, d: tuple[float, float, float], smooth: float) -> torch.Tensor:
    r"""``1 - (k A + s) / (d . (A, B, C) + s)``, computed as ``(den - num) / den``.

    The numerator of the loss, :math:`(d_0 - k) A + d_1 B + d_2 C`, is formed
    directly (for the L1 statistics it is :math:`\alpha FP + \beta FN`), so a
    loss near 0 has no cancellation error. ``den == 0`` gives 0, not 0/0.
    """
    a, b, c = stats.unbind(-1)  # (G, C, 3) -> 3 x (G, C)
    den = d[0] * a + d[1] * b + d[2] * c + smooth
    excess = (d[0] - k) * a + d[1] * b + d[2] * c
    positive = den > 0
    return torch.where(positive, excess / torch.where(positive, den, torch.ones_like(den)), torch.zeros_like(den))


def _reduce_classes(
    loss: torch.Tensor, weight: torch.Tensor | None, reduction: str, per_image: bool
) -> torch.Tensor:
    """Weighted mean / sum over (group, class); ``"none"`` keeps (N, C') or (C',)."""
    if weight is not None:
        loss = loss * weight  # (G, C') * (C',)
        denominator = weight.sum() * loss.shape[0]
    else:
        denominator = None
    if reduction == "none":
        return loss if per_image else loss.squeeze(0)
    return reduce(loss, reduction, denominator)


def _overlap_loss(
    input, target, *, k, d, squared, mode, from_logits, ignore_index, include_background, weight, per_image,
    smooth, reduction,
):
    check_reduction(reduction)
    check_number(smooth, "smooth", low=0.0)
    prep = _prepare(input, target, mode, from_logits, ignore_index)
    weight = _check_weight(weight, input.shape[1], input)
    stats = OverlapStats.apply(prep.x, prep.index, prep.soft, prep.valid, prep.activation, squared)  # (N, C, 3)
    stats, weight = _select(stats, weight, include_background, mode)
    if not per_image:
        stats = stats.sum(0, keepdim=True)  # (N, C', 3) -> (1, C', 3)
    return _reduce_classes(_ratio(stats, k, d, smooth), weight, reduction, per_image)


_COMMON_ARGS = """
        mode: ``"binary"`` | ``"multiclass"`` | ``"multilabel"``. Default ``"multiclass"``.
        from_logits: ``input`` holds logits (softmax / sigmoid applied inside)
            rather than probabilities. Default ``True``.
        ignore_index: class index whose pixels take no part (index targets
            only); they get exactly zero gradient. Default ``-100``.
        include_background: keep class 0 (channel 0). Default ``True``.
        weight: per-class weights ``(C,)`` for the mean over classes.
            Default ``None`` (uniform).
        per_image: average per-image losses instead of pooling the
            statistics over the batch. Default ``False`` (pooled: fewer
            classes absent from the sums).
        smooth: ``s >= 0`` added to numerator and denominator. Default ``1.0``:
            keeps a class absent from the target a smooth function of its
            predicted mass, and is negligible next to the pixel counts of an
            image.
        reduction: ``"mean"`` | ``"sum"`` | ``"none"``. Default ``"mean"``.
            ``"none"`` returns the (weighted) per-class losses, ``(N, C')``
            with ``per_image=True`` and ``(C',)`` otherwise (``C' = C - 1``
            without background)."""

_COMMON_SHAPE = """
    Shape:
        - input: :math:`(N, C, H, W)` or :math:`(N, C, D, H, W)`.
        - target: class indices :math:`(N, H, W)` / :math:`(N, D, H, W)`, or
          one-hot / soft :math:`(N, C, \\ldots)` like ``input``.
        - output: scalar, or see ``reduction="none"``."""

_COMMON_RAISES = """
    Raises:
        TypeError: non-floating input, non-integer class indices.
        ValueError: bad mode / reduction, shape mismatch, class index out of
            range (other than ``ignore_index``), one-hot / soft targets outside
            [0, 1] or not summing to 1 in ``"multiclass"`` mode, ``C = 1`` with
            ``mode="multiclass"``, negative ``smooth`` or ``weight``."""


def dice_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    mode: str = "multiclass",
    from_logits: bool = True,
    ignore_index: int = -100,
    include_background: bool = True,
    weight: torch.Tensor | None = None,
    per_image: bool = False,
    smooth: float = 1.0,
    squared_pred: bool = False,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Soft Dice loss (Milletari et al. 2016, V-Net), one minus the Dice score per class.

    .. math::
        \ell_c = 1 - \frac{2 I_c + s}{2 I_c + FP_c + FN_c + s}
               = \frac{FP_c + FN_c}{|p_c|_1 + |t_c|_1 + s}

    with the soft-target-correct L1 statistics of the module docstring (for
    hard targets :math:`2I + FP + FN = \sum p + \sum t`, the usual soft Dice).
    ``squared_pred=True`` uses the V-Net denominator:
    :math:`\ell_c = 1 - (2\sum pt + s)/(\sum p^2 + \sum t^2 + s)`. The gradient
    is :math:`\partial\ell/\partial(I, FP, FN) = (-(FP+FN)\cdot 2,\; 2I + s,\;
    2I + s) / \mathrm{den}^2` chained through :class:`OverlapStats`.

    Args:
        input: logits (or probabilities with ``from_logits=False``).
        target: class indices or one-hot / soft target.
        squared_pred: V-Net squared denominator. Default ``False``.
    """ + _COMMON_ARGS + _COMMON_SHAPE + _COMMON_RAISES + """

    Example:
        >>> logits = torch.randn(2, 3, 8, 8, requires_grad=True)
        >>> target = torch.randint(0, 3, (2, 8, 8))
        >>> dice_loss(logits, target).backward()
    """
    return _overlap_loss(
        input, target, k=2.0, d=(0.0, 1.0, 1.0) if squared_pred else (2.0, 1.0, 1.0), squared=squared_pred,
        mode=mode, from_logits=from_logits, ignore_index=ignore_index, include_background=include_background,
        weight=weight, per_image=per_image, smooth=smooth, reduction=reduction,
    )


def jaccard_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    mode: str = "multiclass",
    from_logits: bool = True,
    ignore_index: int = -100,
    include_background: bool = True,
    weight: torch.Tensor | None = None,
    per_image: bool = False,
    smooth: float = 1.0,
    squared_pred: bool = False,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Soft Jaccard (IoU) loss, one minus the soft intersection over union per class.

    .. math::
        \ell_c = 1 - \frac{I_c + s}{I_c + FP_c + FN_c + s}
               = \frac{FP_c + FN_c}{I_c + FP_c + FN_c + s}

    with the soft-target-correct L1 statistics (for hard targets
    :math:`I + FP + FN = \sum p + \sum t - \sum pt`, the soft IoU of Rahman and
    Wang 2016). This is the soft Jaccard metric loss of Wang and Blaschko (2023)
    for soft targets. ``squared_pred=True``:
    :math:`1 - (\sum pt + s) / (\sum p^2 + \sum t^2 - \sum pt + s)`.

    Args:
        input: logits (or probabilities with ``from_logits=False``).
        target: class indices or one-hot / soft target.
        squared_pred: squared denominator. Default ``False``.
    """ + _COMMON_ARGS + _COMMON_SHAPE + _COMMON_RAISES + """

    Example:
        >>> logits = torch.randn(2, 3, 8, 8, requires_grad=True)
        >>> target = torch.randint(0, 3, (2, 8, 8))
        >>> jaccard_loss(logits, target).backward()
    """
    return _overlap_loss(
        input, target, k=1.0, d=(-1.0, 1.0, 1.0) if squared_pred else (1.0, 1.0, 1.0), squared=squared_pred,
        mode=mode, from_logits=from_logits, ignore_index=ignore_index, include_background=include_background,
        weight=weight, per_image=per_image, smooth=smooth, reduction=reduction,
    )


def tversky_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    alpha: float = 0.3,
    beta: float = 0.7,
    mode: str = "multiclass",
    from_logits: bool = True,
    ignore_index: int = -100,
    include_background: bool = True,
    weight: torch.Tensor | None = None,
    per_image: bool = False,
    smooth: float = 1.0,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Tversky loss (Salehi et al. 2017): Dice with separate false-positive and false-negative costs.

    .. math::
        \ell_c = 1 - \frac{I_c + s}{I_c + \alpha FP_c + \beta FN_c + s}
               = \frac{\alpha FP_c + \beta FN_c}{I_c + \alpha FP_c + \beta FN_c + s}

    :math:`\alpha = \beta = 1/2` is Dice (up to the scale of ``smooth``),
    :math:`\alpha = \beta = 1` is Jaccard. The L1 statistics make it 0 when a
    soft prediction equals a soft target.

    Args:
        input: logits (or probabilities with ``from_logits=False``).
        target: class indices or one-hot / soft target.
        alpha: cost of false positives, ``>= 0``. Default ``0.3``.
        beta: cost of false negatives, ``>= 0``; ``alpha + beta > 0``.
            Default ``0.7`` (Salehi et al.'s choice, favouring recall).
    """ + _COMMON_ARGS + _COMMON_SHAPE + _COMMON_RAISES + """
        ValueError: negative alpha or beta, or ``alpha + beta == 0``.

    Example:
        >>> logits = torch.randn(2, 3, 8, 8, requires_grad=True)
        >>> target = torch.randint(0, 3, (2, 8, 8))
        >>> tversky_loss(logits, target, alpha=0.3, beta=0.7).backward()
    """
    check_number(alpha, "alpha", low=0.0)
    check_number(beta, "beta", low=0.0)
    if alpha + beta == 0:
        raise ValueError("alpha + beta must be > 0 (the loss would be identically 0); got alpha=0, beta=0")
    return _overlap_loss(
        input, target, k=1.0, d=(1.0, float(alpha), float(beta)), squared=False,
        mode=mode, from_logits=from_logits, ignore_index=ignore_index, include_background=include_background,
        weight=weight, per_image=per_image, smooth=smooth, reduction=reduction,
    )


W_TYPES = ("square", "simple", "uniform")


def _sudre_weights(count: torch.Tensor, w_type: str) -> torch.Tensor:
    """Sudre weights ``1/T^2``, ``1/T`` or ``1`` per (group, class); absent classes get the group's max."""
    count = count.detach()
    present = count > 0
    safe = torch.where(present, count, torch.ones_like(count))
    if w_type == "square":
        w = safe.reciprocal().square()
    elif w_type == "simple":
        w = safe.reciprocal()
    else:
        w = torch.ones_like(count)
    w = torch.where(present, w, torch.zeros_like(w))
    top = w.amax(1, keepdim=True)  # (G, C) -> (G, 1)
    top = torch.where(top > 0, top, torch.ones_like(top))  # no class present: uniform
    return torch.where(present, w, top)


def generalized_dice_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    w_type: str = "square",
    mode: str = "multiclass",
    from_logits: bool = True,
    ignore_index: int = -100,
    include_background: bool = True,
    weight: torch.Tensor | None = None,
    per_image: bool = False,
    smooth: float = 1e-5,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Generalized Dice loss (Sudre et al. 2017): one Dice over all classes, each weighted by its rarity.

    .. math::
        \ell = 1 - \frac{2\sum_c w_c I_c + s}{\sum_c w_c (2 I_c + FP_c + FN_c) + s}
             = \frac{\sum_c w_c (FP_c + FN_c)}{\sum_c w_c(|p_c|_1 + |t_c|_1) + s},
        \qquad w_c = \frac{\omega_c}{T_c^{\,2}},\ \frac{\omega_c}{T_c}\ \text{or}\ \omega_c

    for ``w_type="square"``, ``"simple"``, ``"uniform"``; :math:`T_c =
    I_c + FN_c` is the target volume of class :math:`c` in the group (image or
    batch), :math:`\omega` the optional ``weight``. The weights are constants
    for the gradient (computed from the target). Because the classes share one
    ratio, the weights do not cancel (they would in a per-class ratio).

    **Absent classes.** :math:`T_c = 0` would give an infinite weight. Such a
    class gets the largest weight of the classes present in the same group, so
    its false positives cost as much as those of the rarest present class; a
    group with no class present weights all classes 1. This is MONAI's rule,
    which makes the two agree.

    Args:
        input: logits (or probabilities with ``from_logits=False``).
        target: class indices or one-hot / soft target.
        w_type: ``"square"`` | ``"simple"`` | ``"uniform"``. Default ``"square"`` (Sudre et al.).
        smooth: default ``1e-5``: with weights near :math:`1/T^2` the sums
            are tiny, so a smoothing of 1 would dominate them.
        mode, from_logits, ignore_index, include_background, weight, per_image:
            as in :func:`dice_loss`.
        reduction: ``"mean"`` | ``"sum"`` | ``"none"`` (``(N,)`` per image or a
            0-d tensor pooled). Default ``"mean"``.

    Shape:
        - input: :math:`(N, C, H, W)` or :math:`(N, C, D, H, W)`.
        - target: :math:`(N, H, W)` indices or :math:`(N, C, H, W)` one-hot / soft.
        - output: scalar, or :math:`(N,)` with ``reduction="none", per_image=True``.
    """ + _COMMON_RAISES + """

    Example:
        >>> logits = torch.randn(2, 4, 8, 8, requires_grad=True)
        >>> target = torch.randint(0, 4, (2, 8, 8))
        >>> generalized_dice_loss(logits, target, w_type="simple").backward()
    """
    check_choice(w_type, "w_type", W_TYPES)
    check_reduction(reduction)
    check_number(smooth, "smooth", low=0.0)
    prep = _prepare(input, target, mode, from_logits, ignore_index)
    weight = _check_weight(weight, input.shape[1], input)
    stats = OverlapStats.apply(prep.x, prep.index, prep.soft, prep.valid, prep.activation, False)  # (N, C, 3)
    stats, weight = _select(stats, weight, include_background, mode)
    if not per_image:
        stats = stats.sum(0, keepdim=True)  # (N, C', 3) -> (1, C', 3)
    inter, fp, fn = stats.unbind(-1)  # 3 x (G, C')
    w = _sudre_weights(inter + fn, w_type)
    if weight is not None:
        w = w * weight
    den = (w * (2.0 * inter + fp + fn)).sum(1) + smooth  # (G, C') -> (G,)
    excess = (w * (fp + fn)).sum(1)
    positive = den > 0
    loss = torch.where(positive, excess / torch.where(positive, den, torch.ones_like(den)), torch.zeros_like(den))
    if reduction == "none":
        return loss if per_image else loss.squeeze(0)
    return reduce(loss, reduction)


# --------------------------------------------------------------------------- #
# Lovasz-softmax
# --------------------------------------------------------------------------- #


class LovaszSoftmaxStats(torch.autograd.Function):
    r"""Per-(group, class) Lovász extension of the Jaccard loss, softmax fused.

    Forward (Berman et al. 2018, Alg. 1): with :math:`p = \mathrm{softmax}(x)`
    and errors :math:`e_{ci} = |[y_i = c] - p_{ci}|` over the valid pixels of a
    group (one image, or the whole batch), sort the errors of class :math:`c`
    in decreasing order, :math:`e_{\pi_1} \ge e_{\pi_2} \ge \dots`, and form the
    Jaccard loss of each prefix of the ordering,

    .. math::
        J_k = 1 - \frac{|F| - \sum_{j\le k} f_{\pi_j}}{|F| + \sum_{j \le k}(1 - f_{\pi_j})},
        \qquad g_k = J_k - J_{k-1}\ (J_0 = 0),

    with :math:`f_i = [y_i = c]` and :math:`|F| = \sum_i f_i`. The loss is
    :math:`\ell_c = \sum_k e_{\pi_k} g_k`, piecewise linear in :math:`e`.

    Backward: inside a piece (fixed ordering) :math:`\partial\ell_c/\partial
    e_{\pi_k} = g_k`, so :math:`\partial \ell_c/\partial e_{ci} = g_{\pi^{-1}(i)}`
    (computed in the forward and scattered back, so the permutation is not kept);
    :math:`\partial e_{ci}/\partial p_{ci} = 1 - 2 f_{ci}`; and through the
    softmax :math:`\partial L/\partial x_{ci} = p_{ci}(G_{ci} - \sum_k p_{ki}
    G_{ki})` with :math:`G_{ci} = \bar\ell_{c}\,(1 - 2f_{ci})\, g_{\pi^{-1}(i)}`,
    :math:`\bar\ell = \partial L/\partial \ell`. Ignored pixels are given the
    error -1 so they sort last, after every valid pixel; their :math:`g` is
    masked to 0, so they change neither the loss nor any gradient.

    Args (for ``apply``): ``x`` (N, C, S) logits; ``index`` (N, S) long;
    ``valid`` (N, S) bool or ``None``; ``per_image`` bool. Returns ``(G, C)``
    losses and ``(G, C)`` target counts :math:`|F|` (non-differentiable).
    """

    @staticmethod
    def forward(ctx, x, index, valid, per_image):  # noqa: D102
        n, c, s = x.shape
        p = torch.softmax(x, 1)  # (N, C, S)
        err = p.clone()
        idx = index.unsqueeze(1)  # (N, S) -> (N, 1, S)
        err.scatter_(1, idx, 1.0 - p.gather(1, idx))  # e = 1 - p at the target class
        labels = index.to(torch.uint8 if c <= 255 else torch.int64)
        if valid is not None:
            err.masked_fill_(~valid.unsqueeze(1), -1.0)
        if not per_image:
            err = err.transpose(0, 1).reshape(1, c, n * s)  # (N, C, S) -> (1, C, N*S)
            labels = labels.reshape(1, n * s)  # (N, S) -> (1, N*S)
        e_sorted, perm = torch.sort(err, dim=2, descending=True)  # (G, C, S')
        del err
        lab_sorted = labels.unsqueeze(1).expand(-1, c, -1).gather(2, perm)  # (G, C, S')
        fg = lab_sorted == torch.arange(c, device=x.device).view(1, c, 1)  # (G, C, S') bool
        del lab_sorted
        ok = e_sorted >= 0  # valid pixels sort first
        fg_f = fg.to(p.dtype)
        total = fg_f.sum(2, keepdim=True)  # (G, C, S') -> (G, C, 1)
        jac = fg_f.cumsum(2).neg_().add_(total)  # |F| - cumsum(f): the intersection
        del fg_f
        union = (~fg & ok).to(p.dtype).cumsum(2).add_(total)
        del fg
        empty = union == 0  # no target pixel and nothing valid yet
        jac.div_(union.clamp_min_(1.0)).neg_().add_(1.0).masked_fill_(empty, 0.0)  # J_k
        del union, empty
        g = torch.diff(jac, dim=2, prepend=jac.new_zeros(jac.shape[:2] + (1,))).mul_(ok)  # (G, C, S')
        del jac, ok
        loss = torch.linalg.vecdot(e_sorted.clamp_min_(0.0), g)  # (G, C, S') -> (G, C)
        del e_sorted
        de = torch.empty_like(g).scatter_(2, perm, g)  # back to pixel order
        del g, perm
        if not per_image:
            de = de.view(c, n, s).transpose(0, 1)  # (1, C, N*S) -> (N, C, S)
        ctx.save_for_backward(p, de, index)
        ctx.per_image = per_image
        counts = total.squeeze(2)
        ctx.mark_non_differentiable(counts)
        return loss, counts

    @staticmethod
    def backward(ctx, grad, _):  # noqa: D102
        p, de, index = ctx.saved_tensors
        n, c, s = p.shape
        scale = grad.unsqueeze(2) if ctx.per_image else grad.view(1, c, 1)  # (G, C) -> (G or 1, C, 1)
        g = de * scale  # (N, C, S)
        idx = index.unsqueeze(1)
        g.scatter_(1, idx, -g.gather(1, idx))  # de/dp = -1 at the target class
        total = torch.linalg.vecdot(p, g, dim=1).unsqueeze(1)  # (N, C, S) -> (N, 1, S)
        return g.sub_(total).mul_(p), None, None, None


LOVASZ_CLASSES = ("present", "all")


def lovasz_softmax(
    input: torch.Tensor,
    target: torch.Tensor,
    classes: str = "present",
    per_image: bool = False,
    ignore_index: int = -100,
    weight: torch.Tensor | None = None,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Lovász-softmax loss (Berman, Rannen Triki and Blaschko 2018): a convex surrogate of 1 - IoU.

    .. math::
        L = \frac{\sum_{c \in K} w_c\, \overline{\Delta_{J_c}}(e_c)}{\sum_{c \in K} w_c},
        \qquad e_{ci} = |[y_i = c] - \mathrm{softmax}(x)_{ci}|

    where :math:`\overline{\Delta_{J_c}}` is the Lovász extension of the
    Jaccard loss of class :math:`c` (see :class:`LovaszSoftmaxStats` for the
    forward and the hand-written gradient) and :math:`K` the classes present in
    the group's target (``classes="present"``) or all classes (``"all"``). An
    absent class under ``"all"`` scores its largest predicted probability. With
    ``per_image=True`` each image is a group and the loss is the mean over
    images that have a class in :math:`K`; otherwise the batch is one group.

    Args:
        input: logits :math:`(N, C, H, W)` or :math:`(N, C, D, H, W)`, ``C >= 2``.
        target: class indices, or a hard one-hot :math:`(N, C, ...)`
            (the soft Lovász extension needs hard labels).
        classes: ``"present"`` | ``"all"``. Default ``"present"`` (Berman et al.).
        per_image: one loss per image, then the mean. Default ``False``.
        ignore_index: label of pixels to leave out (zero gradient). Default ``-100``.
        weight: per-class weights ``(C,)``. Default ``None``.
        reduction: ``"mean"`` | ``"sum"`` | ``"none"`` (``(N,)`` per image,
            0-d pooled). Default ``"mean"``.

    Shape:
        - input: :math:`(N, C, *)`; target: :math:`(N, *)` or :math:`(N, C, *)`.

    Raises:
        TypeError, ValueError: as :func:`dice_loss`; soft (non one-hot) targets.

    Example:
        >>> logits = torch.randn(2, 3, 8, 8, requires_grad=True)
        >>> target = torch.randint(0, 3, (2, 8, 8))
        >>> lovasz_softmax(logits, target).backward()
    """
    check_choice(classes, "classes", LOVASZ_CLASSES)
    check_reduction(reduction)
    if isinstance(target, torch.Tensor) and target.shape == getattr(input, "shape", None):
        _check_input(input, "multiclass")
        _check_soft(target.to(input.dtype), "multiclass")
        if not bool(((target == 0) | (target == 1)).all()):
            raise ValueError("lovasz_softmax needs hard labels: a (N, C, ...) target must be one-hot (0/1)")
        target = target.argmax(1)
    prep = _prepare(input, target, "multiclass", True, ignore_index)
    weight = _check_weight(weight, input.shape[1], input)
    loss, counts = LovaszSoftmaxStats.apply(prep.x, prep.index, prep.valid, per_image)  # (G, C) each
    chosen = counts > 0 if classes == "present" else torch.ones_like(counts, dtype=torch.bool)
    w = chosen.to(loss.dtype) if weight is None else chosen * weight
    norm = w.sum(1)  # (G, C) -> (G,)
    has = norm > 0
    group = torch.where(has, (loss * w).sum(1) / torch.where(has, norm, torch.ones_like(norm)), torch.zeros_like(norm))
    if reduction == "none":
        return group if per_image else group.squeeze(0)
    return reduce(group, reduction, has.sum().to(group.dtype))


# --------------------------------------------------------------------------- #
# cross-entropy based losses
# --------------------------------------------------------------------------- #


def _index_target(input: torch.Tensor, target: torch.Tensor, ignore_index: int) -> torch.Tensor:
    """Validate logits (N, C, ...) and class indices (N, ...); return the valid mask (N, S)."""
    _check_input(input, "multiclass")
    check_tensor(target, "target")
    check_number(ignore_index, "ignore_index", integer=True)
    expected = (input.shape[0], *input.shape[2:])
    if tuple(target.shape) != expected:
        raise ValueError(
            f"target must hold class indices of shape (N, ...) = {expected} matching input "
            f"(N, C, ...) = {tuple(input.shape)}; got {tuple(target.shape)}"
        )
    check_class_indices(target, input.shape[1], ignore_index)
    return target.reshape(target.shape[0], -1) != ignore_index  # (N, *) -> (N, S)


def _pixel_weights(
    weight: torch.Tensor | None, target: torch.Tensor, valid: torch.Tensor, ref: torch.Tensor
) -> torch.Tensor:
    """Per-pixel class weight ``w[y]`` (N, S), 0 at ignored pixels."""
    if weight is None:
        return valid.to(ref.dtype)
    flat = target.reshape(target.shape[0], -1).masked_fill(~valid, 0)  # (N, *) -> (N, S)
    return weight[flat] * valid


def bootstrapped_cross_entropy(
    input: torch.Tensor,
    target: torch.Tensor,
    k: int | float = 0.0625,
    weight: torch.Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Online bootstrapped cross entropy (Pohlen et al. 2017, FRRN): the mean over each image's K hardest pixels.

    .. math::
        L = \frac{\sum_n \sum_{i \in \mathcal{K}_n} w_{y_i}\, \ell_i}{\sum_n \sum_{i \in \mathcal{K}_n} w_{y_i}},
        \qquad \ell_i = -\log \mathrm{softmax}(x_i)_{y_i}

    where :math:`\mathcal{K}_n` holds the ``K`` valid pixels of image
    :math:`n` with the largest unweighted :math:`\ell_i` (fewer if the image
    has fewer valid pixels). The selection is a constant for the gradient:
    the kept pixels get the cross-entropy gradient
    :math:`(\mathrm{softmax}(x_i) - e_{y_i})\,w_{y_i}/\sum w`, all others 0.
    Built on :func:`mustknow.functional.cross_entropy`. Unlike
    :func:`ohem_cross_entropy` the number of pixels is fixed per image and no
    probability threshold is used.

    Args:
        input: logits :math:`(N, C, H, W)` or :math:`(N, C, D, H, W)`.
        target: class indices :math:`(N, H, W)` / :math:`(N, D, H, W)`.
        k: pixels per image: an ``int >= 1``, or a ``float`` in ``(0, 1]``
            read as a fraction of the pixels. Default ``0.0625``: FRRN's
            :math:`K = 512 \cdot 64` on its :math:`512 \times 1024` crops.
        weight: per-class weights ``(C,)``. Default ``None``.
        ignore_index: label never selected. Default ``-100``.
        reduction: ``"mean"`` | ``"sum"`` | ``"none"`` (the per-pixel loss,
            0 where not selected, shaped like ``target``). Default ``"mean"``.

    Raises:
        TypeError, ValueError: bad input/target as :func:`dice_loss`; ``k`` out of range.

    Example:
        >>> logits = torch.randn(2, 3, 8, 8, requires_grad=True)
        >>> target = torch.randint(0, 3, (2, 8, 8))
        >>> bootstrapped_cross_entropy(logits, target, k=16).backward()
    """
    check_reduction(reduction)
    if isinstance(k, float):
        check_number(k, "k", low=0.0, high=1.0, low_inclusive=False)
    else:
        check_number(k, "k", low=1, integer=True)
    valid = _index_target(input, target, ignore_index)
    weight = _check_weight(weight, input.shape[1], input)
    n, s = valid.shape
    kk = min(s, max(1, math.ceil(k * s)) if isinstance(k, float) else k)
    nll = _losses.cross_entropy(input, target, ignore_index=ignore_index, reduction="none")  # (N, *)
    flat = nll.reshape(n, s)  # (N, *) -> (N, S)
    key = flat.detach().masked_fill(~valid, -math.inf)
    top = key.topk(kk, dim=1)  # (N, S) -> (N, K)
    chosen = torch.zeros_like(valid).scatter_(1, top.indices, top.values > -math.inf)  # (N, S)
    w = _pixel_weights(weight, target, valid, flat) * chosen
    loss = flat * w
    if reduction == "none":
        return loss.view_as(target)
    return reduce(loss, reduction, w.sum())


def ohem_cross_entropy(
    input: torch.Tensor,
    target: torch.Tensor,
    thresh: float = 0.7,
    min_kept: int = 100_000,
    weight: torch.Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Online hard example mining cross entropy, the semantic-segmentation variant.

    Keeps the valid pixels whose predicted probability of the true class is
    below ``thresh``; if fewer than ``min_kept`` pass, the threshold is raised
    to the probability of the ``min_kept``-th hardest pixel of the batch:

    .. math::
        \tau = \max\bigl(\text{thresh},\ p_{(\text{min\_kept})}\bigr),\qquad
        L = \frac{\sum_{i: p_{i,y_i} < \tau} w_{y_i}\,\ell_i}{\sum_{i: p_{i,y_i} < \tau} w_{y_i}}

    (pixels tied with the ``min_kept``-th are kept too). OHEM was introduced
    by Shrivastava, Gupta and Girshick (2016) for object detection: it ranks
    region proposals by their loss and back-propagates only the hardest ones
    of each image (after non-maximum suppression). The segmentation variant
    (used in PSPNet-style training code) ranks pixels, selects by a
    probability threshold over the whole batch with a floor of ``min_kept``,
    so the number kept varies with how hard the batch is; FRRN's
    :func:`bootstrapped_cross_entropy` keeps a fixed number per image.

    Args:
        input: logits :math:`(N, C, *)`. target: class indices :math:`(N, *)`.
        thresh: probability threshold in ``(0, 1]``. Default ``0.7`` (a common choice).
        min_kept: least number of pixels kept over the batch, ``>= 0``.
            Default ``100000`` (about 1/5 of a 8 x 256 x 256 batch).
        weight: per-class weights ``(C,)``. Default ``None``.
        ignore_index: label never kept. Default ``-100``.
        reduction: ``"mean"`` | ``"sum"`` | ``"none"`` (per-pixel, 0 where not
            kept). Default ``"mean"``.

    Raises:
        TypeError, ValueError: bad input/target; ``thresh`` or ``min_kept`` out of range.

    Example:
        >>> logits = torch.randn(2, 3, 8, 8, requires_grad=True)
        >>> target = torch.randint(0, 3, (2, 8, 8))
        >>> ohem_cross_entropy(logits, target, thresh=0.7, min_kept=32).backward()
    """
    check_reduction(reduction)
    check_number(thresh, "thresh", low=0.0, high=1.0, low_inclusive=False)
    check_number(min_kept, "min_kept", low=0, integer=True)
    valid = _index_target(input, target, ignore_index)
    weight = _check_weight(weight, input.shape[1], input)
    n, s = valid.shape
    nll = _losses.cross_entropy(input, target, ignore_index=ignore_index, reduction="none")  # (N, *)
    flat = nll.reshape(n, s)  # (N, *) -> (N, S)
    prob = torch.exp(-flat.detach())  # probability of the true class
    keep = valid & (prob < thresh)
    need = min(min_kept, int(valid.sum()))
    if int(keep.sum()) < need:
        kth = prob[valid].kthvalue(need).values
        keep = valid & (prob <= kth)
    w = _pixel_weights(weight, target, valid, flat) * keep
    loss = flat * w
    if reduction == "none":
        return loss.view_as(target)
    return reduce(loss, reduction, w.sum())


def dice_ce_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    lambda_dice: float = 1.0,
    lambda_ce: float = 1.0,
    weight: torch.Tensor | None = None,
    ignore_index: int = -100,
    include_background: bool = True,
    per_image: bool = False,
    smooth: float = 1.0,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Weighted sum of the soft Dice loss and softmax cross entropy (multiclass).

    .. math::
        L = \lambda_{\text{dice}}\, L_{\text{Dice}} + \lambda_{\text{ce}}\, L_{\text{CE}}

    Cross entropy gives every pixel a gradient from the start; Dice counters
    the class imbalance (a combination popular since nnU-Net, Isensee et al.
    2021). With class-index targets the cross entropy is
    :func:`mustknow.functional.cross_entropy`; with one-hot / soft targets it
    is :math:`-\sum_c t_c \log\mathrm{softmax}(x)_c` averaged over pixels
    (weighted by :math:`\sum_c w_c t_c` when ``weight`` is given). ``weight``,
    ``ignore_index`` apply to both terms; ``include_background``,
    ``per_image``, ``smooth`` to the Dice term (see :func:`dice_loss`).

    Args:
        input: logits :math:`(N, C, *)`, ``C >= 2``.
        target: class indices :math:`(N, *)` or one-hot / soft :math:`(N, C, *)`.
        lambda_dice: weight of the Dice term, ``>= 0``. Default ``1.0``.
        lambda_ce: weight of the cross-entropy term, ``>= 0``. Default ``1.0``.
        reduction: ``"mean"`` | ``"sum"`` (the two terms have different
            unreduced shapes, so ``"none"`` is not offered). Default ``"mean"``.

    Raises:
        TypeError, ValueError: as :func:`dice_loss`; negative lambdas.

    Example:
        >>> logits = torch.randn(2, 3, 8, 8, requires_grad=True)
        >>> target = torch.randint(0, 3, (2, 8, 8))
        >>> dice_ce_loss(logits, target).backward()
    """
    check_choice(reduction, "reduction", ("mean", "sum"))
    check_number(lambda_dice, "lambda_dice", low=0.0)
    check_number(lambda_ce, "lambda_ce", low=0.0)
    dice = dice_loss(
        input, target, "multiclass", True, ignore_index, include_background, weight, per_image, smooth,
        reduction=reduction,
    )
    if target.shape == input.shape:
        logp = _act.log_softmax(input, 1)  # (N, C, *)
        soft = target.to(input.dtype)
        if weight is None:
            pix_w = torch.ones_like(logp[:, 0])
            nll = -(soft * logp).sum(1)  # (N, C, *) -> (N, *)
        else:
            shape = (1, -1) + (1,) * (input.dim() - 2)
            w = weight.to(input.dtype).view(shape)
            pix_w = (soft * w).sum(1)
            nll = -(soft * w * logp).sum(1)
        ce = reduce(nll, reduction, pix_w.sum())
    else:
        ce = _losses.cross_entropy(input, target, weight=weight, ignore_index=ignore_index, reduction=reduction)
    return lambda_dice * dice + lambda_ce * ce


def adversarial_loss(
    fake_logits: torch.Tensor, real_logits: torch.Tensor | None = None, reduction: str = "mean"
) -> torch.Tensor:
    r"""Non-saturating GAN loss for adversarial segmentation (Luc, Couprie, Chintala and Verbeek 2016).

    The discriminator :math:`d` scores (image, label map) pairs: logits
    :math:`z_\text{real} = d(x, y)` for the ground truth and
    :math:`z_\text{fake} = d(x, s(x))` for the segmenter's probabilities.

    .. math::
        L_d = -\log\sigma(z_\text{real}) - \log(1 - \sigma(z_\text{fake}))
            = \mathrm{softplus}(-z_\text{real}) + \mathrm{softplus}(z_\text{fake}),\qquad
        L_s = -\log\sigma(z_\text{fake}) = \mathrm{softplus}(-z_\text{fake})

    ``real_logits=None`` gives the segmenter's loss :math:`L_s` (the
    non-saturating form of Goodfellow et al. 2014, which Luc et al. use: its
    gradient does not vanish when the discriminator wins); with
    ``real_logits`` it gives the discriminator's :math:`L_d`. Softplus keeps
    both finite for any finite logits; gradients come from
    :func:`mustknow.functional.softplus`.

    Args:
        fake_logits: discriminator logits on predicted label maps, any shape
            (per image :math:`(N,)` or per patch :math:`(N, h, w)`).
        real_logits: logits on ground-truth maps, same shape, or ``None``.
        reduction: ``"mean"`` | ``"sum"`` | ``"none"``. Default ``"mean"``.

    Raises:
        TypeError: non-floating logits. ValueError: shape mismatch, bad reduction.

    Example:
        >>> fake, real = torch.randn(4), torch.randn(4)
        >>> d_loss = adversarial_loss(fake, real)
        >>> s_loss = adversarial_loss(fake)
    """
    check_reduction(reduction)
    check_floating(fake_logits, "fake_logits")
    if real_logits is None:
        return reduce(_act.softplus(-fake_logits), reduction)
    check_floating(real_logits, "real_logits")
    check_same_shape(fake_logits, real_logits, "fake_logits", "real_logits")
    return reduce(_act.softplus(-real_logits) + _act.softplus(fake_logits), reduction)


# --------------------------------------------------------------------------- #
# class-weight estimators
# --------------------------------------------------------------------------- #


def _counts(target: torch.Tensor, num_classes: int, ignore_index: int) -> torch.Tensor:
    """Per-image class pixel counts ``(N, C)`` in float64, ignored pixels skipped."""
    check_tensor(target, "target")
    check_number(num_classes, "num_classes", low=1, integer=True)
    check_number(ignore_index, "ignore_index", integer=True)
    if target.dim() < 1:
        raise ValueError(f"target must be (N, ...) class indices; got shape {tuple(target.shape)}")
    check_class_indices(target, num_classes, ignore_index)
    n = target.shape[0]
    flat = target.reshape(n, -1)  # (N, *spatial) -> (N, S)
    valid = flat != ignore_index
    rows = torch.arange(n, device=target.device).unsqueeze(1).expand_as(flat)
    keys = (rows * num_classes + flat)[valid]
    return torch.bincount(keys, minlength=n * num_classes).view(n, num_classes).double()  # (N*C,) -> (N, C)


def _fill_absent(w: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
    """Classes absent from the data get the largest weight of the present ones (1 if none is present)."""
    if not bool(present.any()):
        return torch.ones_like(w)
    top = w[present].max()
    return torch.where(present, w, top)


def median_frequency_weights(target: torch.Tensor, num_classes: int, ignore_index: int = -100) -> torch.Tensor:
    r"""Median-frequency class balancing (Eigen and Fergus 2015; used by SegNet, Badrinarayanan et al. 2017).

    .. math::
        f_c = \frac{\sum_n \mathrm{count}_{nc}}{\sum_{n:\,\mathrm{count}_{nc} > 0} \mathrm{pixels}_n},
        \qquad w_c = \frac{\mathrm{median}_{c'} f_{c'}}{f_c}

    The frequency of a class counts only the images where it appears; the
    median runs over the classes present in the data. Pixels equal to
    ``ignore_index`` are skipped (in the counts and in ``pixels_n``). A class
    absent from the data gets the largest weight of the present classes (it is
    at least as rare); if nothing is present every weight is 1.

    Args:
        target: class indices :math:`(N, *)`.
        num_classes: :math:`C`.
        ignore_index: label to skip. Default ``-100``.

    Returns:
        float32 weights :math:`(C,)`, for ``cross_entropy(weight=...)``.

    Raises:
        TypeError: non-integer target. ValueError: index out of range.

    Example:
        >>> median_frequency_weights(torch.tensor([[0, 0, 0, 1]]), 2)
        tensor([0.6667, 2.0000])
    """
    counts = _counts(target, num_classes, ignore_index)  # (N, C)
    pixels = counts.sum(1, keepdim=True)  # (N, C) -> (N, 1)
    seen = counts > 0
    exposure = (pixels * seen).sum(0)  # (N, C) -> (C,)
    present = exposure > 0
    freq = counts.sum(0) / torch.where(present, exposure, torch.ones_like(exposure))
    if not bool(present.any()):
        return torch.ones(num_classes)
    median = freq[present].median() if int(present.sum()) % 2 else freq[present].quantile(0.5)
    w = median / torch.where(present, freq, torch.ones_like(freq))
    return _fill_absent(w, present).float()


def inverse_frequency_weights(target: torch.Tensor, num_classes: int, ignore_index: int = -100) -> torch.Tensor:
    r"""Inverse-frequency class weights, normalised so the average pixel weight is 1.

    .. math::
        w_c = \frac{\sum_{c'} n_{c'}}{K\, n_c}

    with :math:`n_c` the pixel count of class :math:`c` (``ignore_index``
    skipped) and :math:`K` the number of classes present (scikit-learn's
    "balanced" rule). Absent classes get the largest present weight; nothing
    present gives all ones.

    Args:
        target: class indices :math:`(N, *)`.
        num_classes: :math:`C`.
        ignore_index: label to skip. Default ``-100``.

    Returns:
        float32 weights :math:`(C,)`.

    Raises:
        TypeError: non-integer target. ValueError: index out of range.

    Example:
        >>> inverse_frequency_weights(torch.tensor([[0, 0, 0, 1]]), 2)
        tensor([0.6667, 2.0000])
    """
    n = _counts(target, num_classes, ignore_index).sum(0)  # (N, C) -> (C,)
    present = n > 0
    k = int(present.sum())
    w = n.sum() / (max(k, 1) * torch.where(present, n, torch.ones_like(n)))
    return _fill_absent(w, present).float()


def effective_number_weights(
    target: torch.Tensor, num_classes: int, beta: float = 0.9999, ignore_index: int = -100
) -> torch.Tensor:
    r"""Class-balanced weights from the effective number of samples (Cui et al. 2019).

    .. math::
        E_c = \frac{1 - \beta^{n_c}}{1 - \beta},\qquad
        w_c \propto \frac{1}{E_c},\qquad \sum_c w_c = C

    :math:`\beta = 0` gives uniform weights, :math:`\beta \to 1` inverse
    frequency. :math:`1 - \beta^{n} = -\mathrm{expm1}(n \log\beta)` is computed
    in float64 for accuracy at :math:`\beta` near 1. Pixels at
    ``ignore_index`` are skipped; a class absent from the data (:math:`E_c = 0`)
    gets the largest present weight before the normalisation.

    Args:
        target: class indices :math:`(N, *)`.
        num_classes: :math:`C`.
        beta: in ``[0, 1)``. Default ``0.9999`` (Cui et al.'s choice for large sets).
        ignore_index: label to skip. Default ``-100``.

    Returns:
        float32 weights :math:`(C,)` summing to :math:`C`.

    Raises:
        TypeError: non-integer target. ValueError: index out of range, beta outside [0, 1).

    Example:
        >>> effective_number_weights(torch.tensor([[0, 0, 0, 1]]), 2, beta=0.5)
        tensor([0.7273, 1.2727])
    """
    check_number(beta, "beta", low=0.0, high=1.0, high_inclusive=False)
    n = _counts(target, num_classes, ignore_index).sum(0)  # (N, C) -> (C,)
    present = n > 0
    if beta == 0.0:
        w = torch.ones_like(n)
    else:
        effective = -torch.expm1(n * math.log(beta)) / (1.0 - beta)
        w = 1.0 / torch.where(present, effective, torch.ones_like(effective))
    w = _fill_absent(w, present)
    return (w * num_classes / w.sum()).float()
