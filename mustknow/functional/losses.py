r"""Classification losses: 0-1, hinge, multiclass hinge, cross-entropy, logistic,
binary cross-entropy with logits and focal loss.

Binary losses are written as functions of the *margin* :math:`m = y s` of a
score :math:`s` and a label :math:`y \in \{-1, +1\}`; a positive margin is a
correct decision:

.. math::

    \ell_{0\text{-}1}(m) = [m \le 0], \qquad
    \ell_{\text{hinge}}(m) = \max(0, 1 - m), \qquad
    \ell_{\text{logistic}}(m) = \log(1 + e^{-m}).

The hinge and logistic losses are convex upper bounds of the 0-1 loss (the
logistic one after dividing by :math:`\log 2`); unlike it they have useful
(sub)gradients, which is why they are trained and the 0-1 loss is reported.

Each differentiable loss is a ``torch.autograd.Function`` whose backward is
written from the derivative in its docstring. Backwards that are built from
saved *inputs* with ordinary tensor operations are themselves differentiable,
so the twice-differentiable losses support double backward.
"""

from __future__ import annotations

import warnings

import torch

from ._checks import (
    check_choice,
    check_class_indices,
    check_floating,
    check_number,
    check_tensor,
)
from ._reduction import check_reduction, reduce

__all__ = [
    "zero_one_loss",
    "hinge_loss",
    "multi_margin_loss",
    "cross_entropy",
    "logistic_loss",
    "binary_cross_entropy_with_logits",
    "focal_loss",
]


# --------------------------------------------------------------------------
# shared validation
# --------------------------------------------------------------------------


def _check_sign_labels(target: torch.Tensor, input: torch.Tensor) -> torch.Tensor:
    """Require ``target`` to hold labels in {-1, +1} with ``input``'s shape.

    Returns the labels in ``input``'s dtype.
    """
    check_tensor(target, "target")
    if target.shape != input.shape:
        raise ValueError(
            f"target must have the same shape as input {tuple(input.shape)}; "
            f"got {tuple(target.shape)}"
        )
    if target.is_complex() or target.dtype == torch.bool:
        raise TypeError(f"target must hold labels -1 and +1 (int or float); got dtype {target.dtype}")
    bad = (target != 1) & (target != -1)
    if bool(bad.any()):
        raise ValueError(
            f"target labels must be -1 or +1; found {target[bad].flatten()[0].item()!r}"
        )
    return target.to(input.dtype)


def _check_class_weight(weight, num_classes: int, input: torch.Tensor, name: str = "weight"):
    """Validate an optional per-class weight of shape (C,); return it detached in ``input``'s dtype."""
    if weight is None:
        return None
    check_floating(weight, name)
    if weight.shape != (num_classes,):
        raise ValueError(
            f"{name} must have shape (C,) = ({num_classes},), one entry per class; "
            f"got {tuple(weight.shape)}"
        )
    return weight.detach().to(dtype=input.dtype, device=input.device)


def _class_dim(input: torch.Tensor, what: str) -> tuple[int, int]:
    """Return the class dim (0 for unbatched (C,), else 1) and C, requiring C >= 1."""
    if input.dim() == 0:
        raise ValueError(f"input must be (C,), (N, C) or (N, C, d1, ...) {what}; got a 0-D tensor")
    class_dim = 0 if input.dim() == 1 else 1
    num_classes = input.shape[class_dim]
    if num_classes == 0:
        raise ValueError(
            f"input must have at least one class along dim {class_dim}; got shape {tuple(input.shape)}"
        )
    return class_dim, num_classes


def _check_index_target(
    input: torch.Tensor, target: torch.Tensor, ignore_index: int | None, what: str
) -> tuple[int, torch.Tensor | None, torch.Tensor]:
    """Validate class-index targets for ``input`` of shape (C,), (N, C) or (N, C, d1, ...).

    Returns the number of classes C, the mask of non-ignored elements (None
    without ``ignore_index``) and the targets with ignored entries set to 0
    (safe to index with).
    """
    class_dim, num_classes = _class_dim(input, what)
    expected = input.shape[:class_dim] + input.shape[class_dim + 1 :]
    if target.shape != expected:
        raise ValueError(
            f"target must have shape {tuple(expected)} (input {tuple(input.shape)} without its class "
            f"dim {class_dim}); got {tuple(target.shape)}"
        )
    if ignore_index is None:
        check_class_indices(target, num_classes)
        return num_classes, None, target
    valid = target != ignore_index  # (N, *)
    safe = target.masked_fill(~valid, 0)  # keeps target's dtype, so a float target still fails the check
    check_class_indices(safe, num_classes)  # safe is needed for indexing anyway; check it once
    return num_classes, valid, safe


# --------------------------------------------------------------------------
# stable softplus / sigmoid pair
# --------------------------------------------------------------------------


def _softplus_sigmoid(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Return :math:`(\log(1 + e^{z}), \sigma(z))` without overflow.

    With :math:`e = e^{-|z|} \in (0, 1]`:

    .. math::

        \log(1 + e^{z}) = \max(z, 0) + \log(1 + e), \qquad
        \sigma(z) = \begin{cases} 1 / (1 + e) & z \ge 0 \\ e / (1 + e) & z < 0 \end{cases}

    ``exp`` only ever sees non-positive arguments. Each branch is a smooth
    continuation of the function, so autograd through this helper gives the
    exact derivatives everywhere, including :math:`z = 0` (double backward of
    the losses below relies on that).
    """
    nonneg = z >= 0
    e = torch.exp(torch.where(nonneg, -z, z))  # e^{-|z|}
    log1pe = torch.log1p(e)
    softplus = torch.where(nonneg, z + log1pe, log1pe)
    sigmoid = torch.where(nonneg, 1.0 / (1.0 + e), e / (1.0 + e))
    return softplus, sigmoid


# --------------------------------------------------------------------------
# 0-1 loss
# --------------------------------------------------------------------------


def zero_one_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    r"""The 0-1 loss (misclassification rate): a metric, not a training loss.

    Binary scores :math:`s` with labels :math:`y \in \{-1, +1\}` (``target`` has
    ``input``'s shape), as a function of the margin :math:`m = ys`:

    .. math::

        \ell(m) = [m \le 0] = \begin{cases} 1 & m \le 0 \\ 0 & m > 0 \end{cases}

    A score of exactly 0 is no decision and counts as an error. Multiclass
    logits (``input`` (N, C, ...) with class indices, like :func:`cross_entropy`):
    :math:`\ell = [\arg\max_c s_c \ne y]`; ties go to the lowest class index
    (``torch.argmax``).

    Why gradient descent cannot train it: :math:`\ell` is piecewise constant
    in the scores, so :math:`\partial \ell / \partial s = 0` almost everywhere
    and undefined (a jump) at the step :math:`m = 0`. A gradient step gets no
    signal about which way to move a misclassified point. It is also
    non-convex, and minimising it exactly is NP-hard for linear classifiers
    (Ben-David, Eiron and Long, 2003). The hinge and logistic losses are the
    convex surrogates that bound it from above. The result therefore never
    requires grad.

    Args:
        input: scores (N, ...) for binary labels, or logits (C,), (N, C) or
            (N, C, d1, ...) for class indices.
        target: labels in {-1, +1} with ``input``'s shape, or integer class
            indices with ``input``'s shape minus the class dim.
        reduction: ``"mean"`` (default, the error rate) | ``"sum"`` (the error
            count) | ``"none"``.

    Shape:
        binary: input (N, *), target (N, *), output (N, *) or scalar.
        multiclass: input (N, C, *), target (N, *), output (N, *) or scalar.

    Raises:
        TypeError: non-tensor or non-float input, float class indices.
        ValueError: shapes that fit neither form, labels not in {-1, +1},
            class indices out of range, unknown reduction.

    Example:
        >>> zero_one_loss(torch.tensor([2.0, -1.0, 0.0]), torch.tensor([1, 1, -1]))
        tensor(0.6667)
    """
    check_floating(input, "input")
    check_tensor(target, "target")
    check_reduction(reduction)
    with torch.no_grad():
        if target.shape == input.shape:
            y = _check_sign_labels(target, input)
            loss = (y * input <= 0).to(input.dtype)  # (N, *)
        else:
            if target.is_floating_point():
                raise TypeError(
                    f"target of shape {tuple(target.shape)} for input {tuple(input.shape)} must hold "
                    f"integer class indices; got dtype {target.dtype} (float labels in {{-1, +1}} "
                    "must have input's shape)"
                )
            _check_index_target(input, target, None, "for class-index targets")
            class_dim = 0 if input.dim() == 1 else 1
            loss = (input.argmax(class_dim) != target).to(input.dtype)  # (N, C, *) -> (N, *)
        return reduce(loss, reduction)


# --------------------------------------------------------------------------
# hinge loss
# --------------------------------------------------------------------------


class _Hinge(torch.autograd.Function):
    r"""Binary hinge loss :math:`\ell = \max(0, \Delta - ys)`.

    .. math::

        \frac{\partial \ell}{\partial s} = \begin{cases} -y & ys < \Delta \\ 0 & ys \ge \Delta \end{cases}

    At the kink :math:`ys = \Delta` the subgradient 0 is used (the loss is 0
    there; the same choice as ``relu`` and ``multi_margin_loss``).
    """

    @staticmethod
    def forward(ctx, input, y, margin):
        ctx.save_for_backward(input, y)
        ctx.margin = margin
        return (margin - y * input).clamp_min_(0)  # (N, *)

    @staticmethod
    def backward(ctx, grad):
        input, y = ctx.saved_tensors
        active = (ctx.margin - y * input) > 0  # (N, *)
        return torch.where(active, -y * grad, torch.zeros_like(grad)), None, None


def hinge_loss(
    input: torch.Tensor, target: torch.Tensor, margin: float = 1.0, reduction: str = "mean"
) -> torch.Tensor:
    r"""Binary hinge loss of scores against labels in {-1, +1} (the SVM loss).

    As a function of the margin :math:`m = ys` with a required margin
    :math:`\Delta` (``margin``):

    .. math::

        \ell(m) = \max(0, \Delta - m), \qquad
        \ell'(m) = \begin{cases} -1 & m < \Delta \\ 0 & m \ge \Delta \end{cases},
        \qquad \frac{\partial \ell}{\partial s} = y\,\ell'(ys).

    With :math:`\Delta = 1` a positive example must score at least +1 and a
    negative one at most -1; short of that the loss grows linearly. It is
    continuous and convex but not differentiable at :math:`m = \Delta`; this
    implementation uses the subgradient 0 there. Cortes and Vapnik (1995),
    "Support-vector networks".

    Args:
        input: real scores :math:`s`.
        target: labels in {-1, +1} (int or float), same shape as ``input``.
        margin: :math:`\Delta \ge 0`. Default 1.0. ``margin=0`` gives the
            perceptron loss :math:`\max(0, -m)`.
        reduction: ``"mean"`` (default) | ``"sum"`` | ``"none"``.

    Shape:
        input (N, *), target (N, *), output scalar or (N, *) for ``"none"``.

    Raises:
        TypeError: non-tensor or non-float input, non-number margin.
        ValueError: shape mismatch, labels not in {-1, +1}, negative margin,
            unknown reduction.

    Example:
        >>> hinge_loss(torch.tensor([2.0, 0.5, -1.0]), torch.tensor([1, 1, 1]))
        tensor(0.8333)
    """
    check_floating(input, "input")
    check_number(margin, "margin", low=0.0)
    check_reduction(reduction)
    y = _check_sign_labels(target, input)
    return reduce(_Hinge.apply(input, y, float(margin)), reduction)


# --------------------------------------------------------------------------
# multiclass hinge
# --------------------------------------------------------------------------


class _MultiMargin(torch.autograd.Function):
    r"""Per-sample multiclass hinge loss.

    With :math:`z_c = \Delta - s_y + s_c` and :math:`h(z) = \max(0, z)^p`:

    .. math::

        \ell = \frac{w_y}{C} \sum_{c \ne y} h(z_c), \qquad
        \frac{\partial \ell}{\partial s_c} = \frac{w_y}{C} h'(z_c)\ (c \ne y), \qquad
        \frac{\partial \ell}{\partial s_y} = -\frac{w_y}{C} \sum_{c \ne y} h'(z_c),

    with :math:`h'(z) = [z > 0]` for p = 1 and :math:`2\max(0, z)` for p = 2
    (the subgradient 0 at the kink :math:`z = 0`, as PyTorch).
    """

    @staticmethod
    def forward(ctx, input, target, p, margin, w_y):
        idx = target.unsqueeze(1)  # (N,) -> (N, 1)
        h = input - (input.gather(1, idx) - margin)  # z: (N, C)
        h.clamp_min_(0).scatter_(1, idx, 0.0)  # max(0, z), target column excluded
        ctx.save_for_backward(input, idx, w_y, h)
        ctx.p, ctx.margin = p, margin
        total = h.sum(1) if p == 1 else (h * h).sum(1)  # (N, C) -> (N,)
        return total * (w_y / input.shape[1])

    @staticmethod
    def backward(ctx, grad):
        input, idx, w_y, h = ctx.saved_tensors
        scale = (grad * w_y / input.shape[1]).unsqueeze(1)  # (N,) -> (N, 1)
        if torch.is_grad_enabled():
            # Double backward: rebuild h from the saved scores, differentiably.
            h = (input - (input.gather(1, idx) - ctx.margin)).clamp_min(0).scatter(1, idx, 0.0)
            g = ((h > 0).to(h.dtype) if ctx.p == 1 else 2 * h) * scale  # (N, C)
            return g.scatter(1, idx, -g.sum(1, keepdim=True)), None, None, None, None
        # h >= 0, so sign(h) is the step [z > 0] (0 at the kink).
        g = h.sign().mul_(scale) if ctx.p == 1 else torch.mul(h, 2 * scale)  # (N, C)
        g.scatter_(1, idx, -g.sum(1, keepdim=True))  # d/ds_y: (N, C) -> (N, 1)
        return g, None, None, None, None


def multi_margin_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: torch.Tensor | None = None,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Multiclass hinge loss (Weston and Watkins, 1999), as ``torch.nn.functional.multi_margin_loss``.

    For scores :math:`s \in \mathbb{R}^C` and true class :math:`y`, the
    margins :math:`m_c = s_y - s_c` of the true class over each other class:

    .. math::

        \ell = \frac{w_y}{C} \sum_{c \ne y} \max(0, \Delta - m_c)^p, \qquad
        \frac{\partial \ell}{\partial s_c} = \frac{w_y}{C}\, p \max(0, \Delta - m_c)^{p-1}\ (c \ne y),
        \qquad \frac{\partial \ell}{\partial s_y} = -\sum_{c \ne y} \frac{\partial \ell}{\partial s_c}

    (for p = 1 the factor is the step :math:`[\Delta - m_c > 0]`; the
    subgradient 0 is used at the kink). The class weight multiplies the
    hinge *after* the power, as PyTorch computes it (its documentation puts
    it inside). ``"mean"`` divides by N, not by the weights. An empty batch
    gives 0 for ``"mean"`` where PyTorch gives NaN.

    Args:
        input: scores (N, C) or (C,).
        target: class indices (N,) or ().
        p: 1 (default, hinge) or 2 (squared hinge).
        margin: :math:`\Delta \ge 0`. Default 1.0.
        weight: per-class weight :math:`w` (C,) or None (all ones). Treated as
            a constant (no gradient).
        reduction: ``"mean"`` (default) | ``"sum"`` | ``"none"``.

    Shape:
        input (N, C), target (N,), output scalar or (N,) for ``"none"``.

    Raises:
        TypeError: non-float input, float target, non-number margin.
        ValueError: p not in {1, 2}, negative margin, wrong shapes or weight
            shape, class index out of range, unknown reduction.

    Example:
        >>> multi_margin_loss(torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([3]))
        tensor(0.3250)
    """
    check_floating(input, "input")
    check_tensor(target, "target")
    check_choice(p, "p", (1, 2))
    check_number(margin, "margin", low=0.0)
    check_reduction(reduction)
    if input.dim() not in (1, 2):
        raise ValueError(f"input must be 1-D (C,) or 2-D (N, C); got shape {tuple(input.shape)}")
    num_classes, _, _ = _check_index_target(input, target, None, "for multi_margin_loss")
    w = _check_class_weight(weight, num_classes, input)
    unbatched = input.dim() == 1
    if unbatched:
        input, target = input.unsqueeze(0), target.unsqueeze(0)  # (C,) -> (1, C); () -> (1,)
    w_y = torch.ones_like(target, dtype=input.dtype) if w is None else w[target]  # (N,)
    loss = _MultiMargin.apply(input, target, p, float(margin), w_y)  # (N,)
    if unbatched:
        loss = loss.squeeze(0)  # (1,) -> ()
    return reduce(loss, reduction)


# --------------------------------------------------------------------------
# cross-entropy
# --------------------------------------------------------------------------


class _CrossEntropyIndex(torch.autograd.Function):
    r"""Per-element cross-entropy of logits (N, C, *) against class indices.

    With :math:`\log p_c = x_c - \operatorname{lse}(x)`, smoothing
    :math:`\varepsilon`, class weights :math:`w` (:math:`W = \sum_c w_c`):

    .. math::

        \ell = -(1 - \varepsilon) w_y \log p_y - \frac{\varepsilon}{C} \sum_c w_c \log p_c

    .. math::

        \frac{\partial \ell}{\partial x_c}
        = \Big((1 - \varepsilon) w_y + \frac{\varepsilon W}{C}\Big) p_c
          - (1 - \varepsilon) w_y [c = y] - \frac{\varepsilon}{C} w_c

    (using :math:`\partial \log p_k / \partial x_c = [k = c] - p_c`). Without
    weights and smoothing this is the familiar :math:`p - \mathrm{onehot}(y)`.
    Ignored elements have :math:`\ell = 0` and zero gradient.

    Forward computes :math:`d = x - \max_c x` once, :math:`e = \exp(d)` in
    place, :math:`S = \sum_c e_c` and :math:`\log p_y = d_y - \log S`, and
    saves only :math:`e` (besides per-element factors such as the row
    coefficient over :math:`S`). Backward writes
    :math:`e \cdot (\text{row coefficient} / S)` in one pass and adds the
    :math:`-[c = y]` term by a scatter of N values; no one-hot of the
    input's size is built. Under ``create_graph=True`` backward recomputes
    the softmax from the saved logits with differentiable operations, so
    double backward works.
    """

    @staticmethod
    def forward(ctx, input, safe, valid, weight, eps):
        num_classes = input.shape[1]
        m = input.amax(1, keepdim=True)  # (N, C, *) -> (N, 1, *)
        d = input - m  # (N, C, *), <= 0
        d_y = d.gather(1, safe)  # (N, 1, *)
        smooth = None
        if eps > 0:
            # sum_c w_c (m - x_c) >= 0, taken before exp overwrites d.
            wd = d.sum(1) if weight is None else (d * _class_view(weight, d)).sum(1)  # (N, C, *) -> (N, *)
            smooth = -wd
        e = d.exp_()  # (N, C, *), in place: d is no longer needed
        s = e.sum(1, keepdim=True)  # (N, C, *) -> (N, 1, *)
        log_s = s.log()  # (N, 1, *)
        nll = torch.sub(log_s, d_y).squeeze(1)  # -log p_y: (N, 1, *) -> (N, *)
        coef_y = valid.to(input.dtype)  # (N, *): 0 where ignored
        if weight is not None:
            coef_y = coef_y * weight[safe.squeeze(1)]
        if eps > 0:
            coef_y = coef_y * (1 - eps)
        loss = nll.mul_(coef_y)
        coef_p = coef_y
        if eps > 0:
            # -sum_c w_c log p_c = sum_c w_c (m - x_c) + W log S
            big_w = num_classes if weight is None else weight.sum()
            v = valid.to(input.dtype)
            loss = loss + (eps / num_classes) * v * (smooth + big_w * log_s.squeeze(1))
            coef_p = coef_y + (eps * big_w / num_classes) * v
        scale_p = coef_p.unsqueeze(1) / s  # (N, 1, *): the softmax's row factor over S
        ctx.save_for_backward(input, e, scale_p, safe, coef_y, coef_p, valid, weight)
        ctx.eps = eps
        return loss

    @staticmethod
    def backward(ctx, grad):
        input, e, scale_p, safe, coef_y, coef_p, valid, weight = ctx.saved_tensors
        eps, num_classes = ctx.eps, input.shape[1]
        g = grad.unsqueeze(1)  # (N, *) -> (N, 1, *)
        if torch.is_grad_enabled():
            # Double backward: the softmax from the saved logits, differentiably.
            p = torch.exp(input - torch.logsumexp(input, 1, keepdim=True))  # (N, C, *)
            gx = p * (coef_p.unsqueeze(1) * g)
            if eps > 0:
                w = torch.ones_like(p) if weight is None else _class_view(weight, p)
                gx = gx - (eps / num_classes) * w * (valid.unsqueeze(1) * g)
            return gx.scatter_add(1, safe, -(coef_y.unsqueeze(1) * g)), None, None, None, None
        gx = torch.mul(e, g * scale_p)  # (N, C, *), the one full pass
        if eps > 0:
            g_valid = valid.unsqueeze(1) * g  # (N, 1, *)
            if weight is None:
                gx.sub_(g_valid * (eps / num_classes))  # broadcast over C, no (N, C, *) temporary
            else:
                gx.addcmul_(g_valid, _class_view(weight, e), value=-eps / num_classes)
        gx.scatter_add_(1, safe, torch.mul(coef_y.unsqueeze(1), g).neg_())  # the -[c = y] term: N values
        return gx, None, None, None, None


class _CrossEntropyProb(torch.autograd.Function):
    r"""Per-element cross-entropy of logits (N, C, *) against class probabilities.

    With smoothed targets :math:`t'_c = (1 - \varepsilon) t_c + \varepsilon / C`
    and :math:`T = \sum_c w_c t'_c`:

    .. math::

        \ell = -\sum_c w_c t'_c \log p_c, \qquad
        \frac{\partial \ell}{\partial x_c} = T p_c - w_c t'_c, \qquad
        \frac{\partial \ell}{\partial t_c} = -(1 - \varepsilon) w_c \log p_c.
    """

    @staticmethod
    def forward(ctx, input, target, weight, eps):
        num_classes = input.shape[1]
        t = target if eps == 0 else target * (1 - eps) + eps / num_classes  # (N, C, *)
        wt = t if weight is None else t * _class_view(weight, t)  # (N, C, *)
        m = input.amax(1, keepdim=True)  # (N, C, *) -> (N, 1, *)
        d = input - m  # (N, C, *)
        wtd = (wt * d).sum(1)  # (N, C, *) -> (N, *)
        big_t = wt.sum(1, keepdim=True)  # (N, C, *) -> (N, 1, *)
        e = d.exp_()
        s = e.sum(1, keepdim=True)  # (N, C, *) -> (N, 1, *)
        loss = big_t.squeeze(1) * s.log().squeeze(1) - wtd  # (N, *)
        ctx.save_for_backward(input, target, weight, e, s, wt, big_t)
        ctx.eps = eps
        return loss

    @staticmethod
    def backward(ctx, grad):
        input, target, weight, e, s, wt, big_t = ctx.saved_tensors
        eps, num_classes = ctx.eps, input.shape[1]
        g = grad.unsqueeze(1)  # (N, *) -> (N, 1, *)
        recompute = torch.is_grad_enabled()
        if recompute:
            # Double backward: rebuild everything from the saved inputs, differentiably.
            t = target if eps == 0 else target * (1 - eps) + eps / num_classes
            wt = t if weight is None else t * _class_view(weight, t)
            big_t = wt.sum(1, keepdim=True)
            log_p = input - torch.logsumexp(input, 1, keepdim=True)
            p = torch.exp(log_p)
        else:
            p = e / s
        gx = (big_t * p - wt) * g if ctx.needs_input_grad[0] else None
        gt = None
        if ctx.needs_input_grad[1]:
            if not recompute:
                log_p = input - (input.amax(1, keepdim=True) + torch.log(s))
            w = 1.0 if weight is None else _class_view(weight, log_p)
            gt = -(1 - eps) * w * log_p * g
        return gx, gt, None, None


def _class_view(weight: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """View a (C,) weight as (1, C, 1, ..., 1) to broadcast against (N, C, *)."""
    return weight.view(1, -1, *([1] * (like.dim() - 2)))


def cross_entropy(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    r"""Cross-entropy between softmax(logits) and a target, as ``torch.nn.functional.cross_entropy``.

    For logits :math:`x \in \mathbb{R}^C`, :math:`\log p_c = x_c - \log\sum_k e^{x_k}`
    and target distribution :math:`q`:

    .. math::

        \ell = -\sum_c w_c q_c \log p_c, \qquad
        \frac{\partial \ell}{\partial x_c} = \Big(\sum_k w_k q_k\Big) p_c - w_c q_c,

    which is :math:`p - q` without weights: the gradient is the prediction
    minus the target. A class index :math:`y` means :math:`q = \mathrm{onehot}(y)`
    and :math:`\ell = -w_y \log p_y`. Label smoothing :math:`\varepsilon`
    (Szegedy et al., 2016, "Rethinking the Inception architecture") mixes the
    target with the uniform distribution: :math:`q' = (1 - \varepsilon) q + \varepsilon / C`.
    For two classes with :math:`s = x_1 - x_0` and :math:`y \in \{-1, +1\}`
    this is the logistic loss :math:`\log(1 + e^{-ys})` of the margin
    (see :func:`logistic_loss`).

    Target rule: an integer tensor with ``input``'s shape minus the class dim
    holds class indices; a floating tensor with exactly ``input``'s shape
    holds class probabilities. Anything else raises.

    Reductions follow PyTorch. Indices: ``"mean"`` divides by
    :math:`\sum_n w_{y_n}` over non-ignored elements (smoothing included).
    Probabilities: ``"mean"`` divides by the number of elements
    :math:`N d_1 \cdots d_k`; ``ignore_index`` does not apply.

    Difference from PyTorch: when every target is ``ignore_index`` (or the
    batch is empty) ``"mean"`` returns 0 with zero gradient, not NaN, so one
    fully ignored batch cannot poison training.

    Numerics: :math:`\log p` is formed as :math:`(x - \max x) - \log\sum e^{x - \max x}`,
    finite for any finite logits (including :math:`\pm 10^4`). The class
    ``weight`` is treated as a constant (no gradient), as in PyTorch; with
    probability targets the target does get a gradient.

    Args:
        input: logits (C,), (N, C) or (N, C, d1, ..., dk).
        target: class indices (), (N,) or (N, d1, ..., dk) (integer), or class
            probabilities with ``input``'s shape (floating, same dtype).
        weight: per-class weight (C,) or None. Default None.
        ignore_index: index whose elements contribute neither loss nor
            gradient (index targets only). Default -100.
        reduction: ``"mean"`` (default) | ``"sum"`` | ``"none"``.
        label_smoothing: :math:`\varepsilon \in [0, 1]`. Default 0.0.

    Shape:
        input (N, C, *), target (N, *) or (N, C, *), output scalar or (N, *)
        for ``"none"``; unbatched input (C,) gives a scalar.

    Raises:
        TypeError: non-float input, float targets with the index shape,
            probability targets of another dtype, non-number label_smoothing.
        ValueError: wrong target or weight shape, class index out of range,
            label_smoothing outside [0, 1], unknown reduction.

    Example:
        >>> cross_entropy(torch.tensor([[2.0, 0.0, -1.0]]), torch.tensor([0]))
        tensor(0.1698)
    """
    check_floating(input, "input")
    check_tensor(target, "target")
    check_number(ignore_index, "ignore_index", integer=True)
    check_reduction(reduction)
    eps = float(check_number(label_smoothing, "label_smoothing", low=0.0, high=1.0))
    class_dim, num_classes = _class_dim(input, "logits")
    probabilities = target.is_floating_point()
    if probabilities:
        if target.shape != input.shape:
            index_shape = input.shape[:class_dim] + input.shape[class_dim + 1 :]
            if target.shape == index_shape:
                raise TypeError(
                    f"target of shape {tuple(target.shape)} looks like class indices but has dtype "
                    f"{target.dtype}; class indices must be integer (torch.long), and float targets "
                    f"are class probabilities with input's shape {tuple(input.shape)}"
                )
            raise ValueError(
                f"float target holds class probabilities and must have input's shape "
                f"{tuple(input.shape)}; got {tuple(target.shape)}"
            )
        if target.dtype != input.dtype:
            raise TypeError(
                f"probability target must have input's dtype {input.dtype}; got {target.dtype}"
            )
        if ignore_index != -100:
            warnings.warn("ignore_index is ignored for class-probability targets", stacklevel=2)
    else:
        _, valid, safe = _check_index_target(input, target, ignore_index, "logits")
    w = _check_class_weight(weight, num_classes, input)

    if class_dim == 0:
        input, target = input.unsqueeze(0), target.unsqueeze(0)  # (C,) -> (1, C); () -> (1,) or (C,) -> (1, C)
    if probabilities:
        loss = _CrossEntropyProb.apply(input, target, w, eps)  # (N, C, *) -> (N, *)
        denominator = loss.numel()
    else:
        if class_dim == 0:
            valid, safe = valid.unsqueeze(0), safe.unsqueeze(0)  # () -> (1,)
        # (N, C, *) -> (N, *); safe: (N, *) -> (N, 1, *)
        loss = _CrossEntropyIndex.apply(input, safe.unsqueeze(1), valid, w, eps)
        if w is None:
            denominator = valid.sum().to(loss.dtype)
        else:
            denominator = torch.where(valid, w[safe], 0).sum()
    if class_dim == 0:
        loss = loss.squeeze(0)  # (1,) -> ()
    return reduce(loss, reduction, denominator)


# --------------------------------------------------------------------------
# logistic loss and binary cross-entropy with logits
# --------------------------------------------------------------------------


class _Logistic(torch.autograd.Function):
    r"""Logistic loss of the margin :math:`m = ys`.

    .. math::

        \ell = \log(1 + e^{-m}), \qquad
        \frac{\partial \ell}{\partial s} = -y\,\sigma(-m) = \frac{-y}{1 + e^{m}}.
    """

    @staticmethod
    def forward(ctx, input, y):
        ctx.save_for_backward(input, y)
        loss, _ = _softplus_sigmoid(-y * input)
        return loss

    @staticmethod
    def backward(ctx, grad):
        input, y = ctx.saved_tensors
        _, sig = _softplus_sigmoid(-y * input)  # sigma(-m)
        return -y * sig * grad, None


def logistic_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    r"""Logistic (log) loss of scores against labels in {-1, +1}.

    As a function of the margin :math:`m = ys`:

    .. math::

        \ell(m) = \log(1 + e^{-m}), \qquad
        \ell'(m) = -\sigma(-m) = -\frac{1}{1 + e^{m}}, \qquad
        \ell''(m) = \sigma(m)\,\sigma(-m) > 0,

    so it is smooth and strictly convex in :math:`s`. It is the negative
    log-likelihood of :math:`P(y \mid s) = \sigma(ys)` (logistic regression,
    Cox 1958) and equals ``binary_cross_entropy_with_logits(s, (y + 1) / 2)``;
    it is cross-entropy for two classes. PyTorch calls it
    ``soft_margin_loss``, which overflows to ``inf`` for margins below about
    -710 (float64) where this form stays finite.

    Numerics: :math:`\log(1 + e^{-m}) = \max(-m, 0) + \log(1 + e^{-|m|})`,
    finite for any finite score; :math:`\sigma` is formed from
    :math:`e^{-|m|}` so it never overflows.

    Args:
        input: real scores :math:`s`.
        target: labels in {-1, +1} (int or float), same shape as ``input``.
        reduction: ``"mean"`` (default) | ``"sum"`` | ``"none"``.

    Shape:
        input (N, *), target (N, *), output scalar or (N, *) for ``"none"``.

    Raises:
        TypeError: non-float input.
        ValueError: shape mismatch, labels not in {-1, +1}, unknown reduction.

    Example:
        >>> logistic_loss(torch.tensor([0.0]), torch.tensor([1]))
        tensor(0.6931)
    """
    check_floating(input, "input")
    check_reduction(reduction)
    y = _check_sign_labels(target, input)
    return reduce(_Logistic.apply(input, y), reduction)


class _BCEWithLogits(torch.autograd.Function):
    r"""Elementwise weighted binary cross-entropy of a logit :math:`x` and target :math:`t`.

    With :math:`\lambda = 1 + (\rho - 1) t` (:math:`\rho` = pos_weight) and
    :math:`\operatorname{sp}(z) = \log(1 + e^{z})`:

    .. math::

        \ell = w\big[\rho t\,\operatorname{sp}(-x) + (1 - t)\operatorname{sp}(x)\big]
             = w\big[(1 - t) x + \lambda \operatorname{sp}(-x)\big]

    .. math::

        \frac{\partial \ell}{\partial x} = w\big[(1 - t) - \lambda \sigma(-x)\big], \qquad
        \frac{\partial \ell}{\partial t} = w\big[-x + (\rho - 1)\operatorname{sp}(-x)\big].
    """

    @staticmethod
    def forward(ctx, input, target, weight, pos_weight):
        ctx.save_for_backward(input, target, weight, pos_weight)
        sp = _BCEWithLogits._softplus_neg(input)
        loss = torch.addcmul(input, target, input, value=-1.0)  # (1 - t) x
        if pos_weight is None:
            loss.add_(sp)
        else:
            loss.addcmul_(1.0 + (pos_weight - 1.0) * target, sp)
        return loss if weight is None else loss.mul_(weight)

    @staticmethod
    def _softplus_neg(x):
        """sp(-x) = log(1 + e^{-|x|}) + max(-x, 0), in place on one temporary (no autograd)."""
        return x.abs().neg_().exp_().log1p_().sub_(x.clamp(max=0))

    @staticmethod
    def backward(ctx, grad):
        input, target, weight, pos_weight = ctx.saved_tensors
        g = grad if weight is None else grad * weight
        gx = gt = None
        if torch.is_grad_enabled():
            # Double backward: differentiable operations on the saved inputs.
            sp, sig = _softplus_sigmoid(-input)  # sp(-x), sigma(-x)
            if ctx.needs_input_grad[0]:
                lam = 1.0 if pos_weight is None else 1.0 + (pos_weight - 1.0) * target
                gx = g * ((1.0 - target) - lam * sig)
            if ctx.needs_input_grad[1]:
                gt = g * (-input if pos_weight is None else (pos_weight - 1.0) * sp - input)
            return gx, gt, None, None
        if ctx.needs_input_grad[0]:
            # sigma(x) = 1 / (1 + e^{-x}); for x << 0, e^{-x} overflows to inf and
            # the reciprocal is exactly 0 (never NaN). (1 - t) - lam sigma(-x) = lam sigma(x) - rho t.
            sig = torch.exp(-input).add_(1.0).reciprocal_()
            if pos_weight is None:
                gx = sig.sub_(target).mul_(g)
            else:
                gx = sig.mul_(1.0 + (pos_weight - 1.0) * target).sub_(pos_weight * target).mul_(g)
        if ctx.needs_input_grad[1]:
            if pos_weight is None:
                gt = -input * g
            else:
                gt = _BCEWithLogits._softplus_neg(input).mul_(pos_weight - 1.0).sub_(input).mul_(g)
        return gx, gt, None, None


def _check_broadcast_weight(weight, name: str, input: torch.Tensor):
    """Validate an optional weight that broadcasts to ``input``'s shape; return it detached."""
    if weight is None:
        return None
    check_floating(weight, name)
    try:
        shape = torch.broadcast_shapes(weight.shape, input.shape)
    except RuntimeError:
        shape = None
    if shape != input.shape:
        raise ValueError(
            f"{name} must broadcast to input's shape {tuple(input.shape)}; got {tuple(weight.shape)}"
        )
    return weight.detach().to(dtype=input.dtype, device=input.device)


def binary_cross_entropy_with_logits(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None = None,
    reduction: str = "mean",
    pos_weight: torch.Tensor | None = None,
) -> torch.Tensor:
    r"""Binary cross-entropy of sigmoid(logits) and targets in [0, 1], as PyTorch's.

    With :math:`p = \sigma(x)`, weight :math:`w`, positive weight :math:`\rho`:

    .. math::

        \ell = -w\big[\rho\, t \log p + (1 - t) \log(1 - p)\big]
             = w\big[(1 - t)x + (1 + (\rho - 1)t)\log(1 + e^{-x})\big],

    .. math::

        \frac{\partial \ell}{\partial x} = w\big[(1 + (\rho - 1)t)\,p - \rho t\big]
        \;(= w(p - t) \text{ for } \rho = 1), \qquad
        \frac{\partial \ell}{\partial t} = w\big[(\rho - 1)\log(1 + e^{-x}) - x\big].

    For hard targets :math:`t = (y + 1)/2` and :math:`\rho = w = 1` this is the
    logistic loss :math:`\log(1 + e^{-yx})` of the margin :math:`yx`.
    ``pos_weight`` (:math:`\rho > 1` raises recall) broadcasts along the last
    (class) dim, as in PyTorch. ``"mean"`` divides by the number of elements;
    an empty input gives 0 where PyTorch gives NaN.

    Numerics: :math:`\log(1 + e^{-x})` as :math:`\max(-x, 0) + \log(1 + e^{-|x|})`,
    finite for any finite logit. ``weight`` and ``pos_weight`` are constants
    (no gradient); the target gets a gradient.

    Args:
        input: logits :math:`x`, any shape.
        target: probabilities :math:`t \in [0, 1]`, same shape and dtype.
        weight: rescaling weight broadcastable to ``input``, or None.
        reduction: ``"mean"`` (default) | ``"sum"`` | ``"none"``.
        pos_weight: weight of positive examples broadcastable to ``input``
            (typically (C,)), or None.

    Shape:
        input (N, *), target (N, *), output scalar or (N, *) for ``"none"``.

    Raises:
        TypeError: non-float input or target, target of another dtype.
        ValueError: shape mismatch, targets outside [0, 1], weights that do
            not broadcast, unknown reduction.

    Example:
        >>> binary_cross_entropy_with_logits(torch.tensor([0.0, 2.0]), torch.tensor([1.0, 1.0]))
        tensor(0.4100)
    """
    check_floating(input, "input")
    check_floating(target, "target")
    check_reduction(reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"target must have the same shape as input {tuple(input.shape)}; got {tuple(target.shape)}"
        )
    if target.dtype != input.dtype:
        raise TypeError(f"target must have input's dtype {input.dtype}; got {target.dtype}")
    if target.numel() > 0:
        lo, hi = torch.aminmax(target.detach())
        if lo < 0 or hi > 1:
            bad = lo if lo < 0 else hi
            raise ValueError(f"target must hold probabilities in [0, 1]; found {bad.item()!r}")
    w = _check_broadcast_weight(weight, "weight", input)
    pw = _check_broadcast_weight(pos_weight, "pos_weight", input)
    return reduce(_BCEWithLogits.apply(input, target, w, pw), reduction)


# --------------------------------------------------------------------------
# focal loss
# --------------------------------------------------------------------------


def _focal_factor(log_pt: torch.Tensor, gamma: float) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Return :math:`(1 - p_t)^\gamma` and :math:`\gamma (1 - p_t)^{\gamma - 1}`.

    :math:`1 - p_t` is ``-expm1(log p_t)`` (exact near :math:`p_t = 1`). Where
    :math:`p_t = 1` the second factor is set to 1 (it always multiplies
    :math:`\log p_t = 0` there), avoiding :math:`0^{\gamma - 1} = \infty` for
    :math:`\gamma < 1`.
    """
    q = -torch.expm1(log_pt)
    q_safe = torch.where(q > 0, q, torch.ones_like(q))
    return q.pow(gamma), gamma * q_safe.pow(gamma - 1)


class _FocalMulticlass(torch.autograd.Function):
    r"""Per-element multiclass focal loss from logits (N, C, *) and class indices.

    With :math:`\log p_t = x_y - \operatorname{lse}(x)` and :math:`q = 1 - p_t`:

    .. math::

        \ell = -\alpha_y q^{\gamma} \log p_t, \qquad
        \frac{\partial \ell}{\partial \log p_t}
        = -\alpha_y\big[q^{\gamma} - \gamma q^{\gamma - 1} p_t \log p_t\big] =: G,

    .. math::

        \frac{\partial \ell}{\partial x_c} = G\,([c = y] - p_c).
    """

    @staticmethod
    def forward(ctx, input, safe, coef, gamma):
        ctx.save_for_backward(input, safe, coef)
        ctx.gamma = gamma
        log_p = input - torch.logsumexp(input, 1, keepdim=True)  # (N, C, *)
        log_pt = log_p.gather(1, safe).squeeze(1)  # (N, 1, *) -> (N, *)
        focal, _ = _focal_factor(log_pt, gamma)
        return -coef * focal * log_pt

    @staticmethod
    def backward(ctx, grad):
        input, safe, coef = ctx.saved_tensors
        log_p = input - torch.logsumexp(input, 1, keepdim=True)  # (N, C, *)
        p = torch.exp(log_p)
        log_pt = log_p.gather(1, safe).squeeze(1)  # (N, 1, *) -> (N, *)
        focal, dfocal = _focal_factor(log_pt, ctx.gamma)
        big_g = (-coef * (focal - dfocal * torch.exp(log_pt) * log_pt) * grad).unsqueeze(1)  # (N, 1, *)
        gx = (-big_g * p).scatter_add(1, safe, big_g)
        return gx, None, None, None


class _FocalBinary(torch.autograd.Function):
    r"""Elementwise binary focal loss from logits (the form of Lin et al. for soft targets).

    With :math:`p = \sigma(x)`, :math:`p_t = pt + (1 - p)(1 - t)`, :math:`q = 1 - p_t`
    and the cross-entropy :math:`c = \operatorname{sp}(x) - tx`:

    .. math::

        \ell = \alpha_t\, q^{\gamma} c, \qquad
        \frac{\partial \ell}{\partial x}
        = \alpha_t\big[q^{\gamma}(p - t) - \gamma q^{\gamma - 1}(2t - 1)\,p(1 - p)\,c\big],

    using :math:`\partial c / \partial x = p - t` and
    :math:`\partial q / \partial x = -(2t - 1)p(1 - p)`.
    """

    @staticmethod
    def forward(ctx, input, target, coef, gamma):
        ctx.save_for_backward(input, target, coef)
        ctx.gamma = gamma
        ce, q, _, _, _ = _FocalBinary._parts(input, target)
        return coef * q.pow(gamma) * ce

    @staticmethod
    def _parts(input, target):
        """Return c, q, p, 1 - p and the factor with q -> 1 where q = 0."""
        sp_pos, p = _softplus_sigmoid(input)
        _, one_minus_p = _softplus_sigmoid(-input)
        ce = sp_pos - target * input
        q = p * (1 - target) + one_minus_p * target
        q_safe = torch.where(q > 0, q, torch.ones_like(q))
        return ce, q, p, one_minus_p, q_safe

    @staticmethod
    def backward(ctx, grad):
        input, target, coef = ctx.saved_tensors
        gamma = ctx.gamma
        ce, q, p, one_minus_p, q_safe = _FocalBinary._parts(input, target)
        d = q.pow(gamma) * (p - target) - gamma * q_safe.pow(gamma - 1) * (2 * target - 1) * p * one_minus_p * ce
        return coef * d * grad, None, None, None


def focal_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    alpha: float | torch.Tensor | None = None,
    gamma: float = 2.0,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Focal loss (Lin, Goyal, Girshick, He and Dollar, 2017, "Focal loss for dense object detection").

    Cross-entropy scaled by :math:`(1 - p_t)^\gamma`, which shrinks the loss of
    well-classified examples (:math:`p_t \to 1`) so training focuses on hard
    ones:

    .. math::

        \mathrm{FL}(p_t) = -\alpha_t (1 - p_t)^{\gamma} \log p_t, \qquad
        \frac{\partial\,\mathrm{FL}}{\partial \log p_t}
        = -\alpha_t\big[(1 - p_t)^{\gamma} - \gamma (1 - p_t)^{\gamma - 1} p_t \log p_t\big].

    Multiclass: ``input`` logits (N, C, *), ``target`` class indices (N, *),
    :math:`p_t = \mathrm{softmax}(x)_y`, :math:`\partial \log p_t / \partial x_c = [c = y] - p_c`,
    :math:`\alpha_t = \alpha_y` from a per-class tensor (C,). Binary:
    ``target`` with ``input``'s shape holds probabilities in [0, 1],
    :math:`p = \sigma(x)`, :math:`p_t = pt + (1 - p)(1 - t)`,
    :math:`\alpha_t = \alpha t + (1 - \alpha)(1 - t)` for a scalar
    :math:`\alpha \in [0, 1]`, and :math:`-\log p_t` is the binary cross-entropy
    (this equals the paper's form for hard targets). For the margin
    :math:`m = ys` of a binary score, :math:`p_t = \sigma(m)` and
    :math:`\mathrm{FL} = \sigma(-m)^{\gamma} \log(1 + e^{-m})`.

    With :math:`\gamma = 0` and no :math:`\alpha` it equals :func:`cross_entropy`
    (binary: :func:`binary_cross_entropy_with_logits`). ``"mean"`` divides by
    the number of non-ignored elements, not by :math:`\sum \alpha_t` (so with
    ``alpha`` it is ``cross_entropy(weight=alpha, reduction="sum")`` over the
    count, not the weighted mean of ``cross_entropy``). A fully ignored or
    empty batch gives 0 with zero gradient. ``alpha`` and the target get no
    gradient.

    Args:
        input: logits (N, C, *) or (C,) (multiclass), or (N, *) (binary).
        target: class indices (N, *) or () (integer), or probabilities with
            ``input``'s shape (binary).
        alpha: multiclass: tensor (C,) or None; binary: number in [0, 1] or
            None. Default None (no class balancing).
        gamma: focusing parameter :math:`\gamma \ge 0`. Default 2.0 (the
            paper's best setting).
        ignore_index: target value whose elements are skipped. Default -100.
        reduction: ``"mean"`` (default) | ``"sum"`` | ``"none"``.

    Shape:
        multiclass: input (N, C, *), target (N, *); binary: both (N, *);
        output scalar or (N, *) for ``"none"``.

    Raises:
        TypeError: non-float input, float targets with the index shape, a
            scalar alpha for multiclass input or a tensor alpha for binary.
        ValueError: negative gamma, wrong shapes, class index out of range,
            binary targets outside [0, 1], alpha of the wrong shape or range,
            unknown reduction.

    Example:
        >>> focal_loss(torch.tensor([[2.0, 0.0, -1.0]]), torch.tensor([0]), gamma=2.0)
        tensor(0.0041)
    """
    check_floating(input, "input")
    check_tensor(target, "target")
    gamma = float(check_number(gamma, "gamma", low=0.0))
    check_number(ignore_index, "ignore_index", integer=True)
    check_reduction(reduction)
    zero = torch.zeros((), dtype=input.dtype, device=input.device)
    if target.shape == input.shape:
        if isinstance(alpha, torch.Tensor):
            raise TypeError("alpha must be a number in [0, 1] or None for binary targets; got a tensor")
        if alpha is not None:
            check_number(alpha, "alpha", low=0.0, high=1.0)
        valid = target != ignore_index  # (N, *)
        t = torch.where(valid, target, 0).to(input.dtype)
        if t.numel() > 0 and (bool((t < 0).any()) or bool((t > 1).any())):
            raise ValueError("binary focal_loss target must hold probabilities in [0, 1] (or ignore_index)")
        coef = torch.ones_like(t) if alpha is None else alpha * t + (1 - alpha) * (1 - t)
        coef = torch.where(valid, coef, zero)
        loss = _FocalBinary.apply(input, t, coef, gamma)  # (N, *)
    else:
        if target.is_floating_point():
            raise TypeError(
                f"target of shape {tuple(target.shape)} for input {tuple(input.shape)} must hold integer "
                f"class indices; got dtype {target.dtype} (binary probability targets need input's shape)"
            )
        num_classes, valid, safe = _check_index_target(input, target, ignore_index, "logits")
        if alpha is not None and not isinstance(alpha, torch.Tensor):
            raise TypeError(
                f"alpha must be a tensor of shape (C,) = ({num_classes},) or None for multiclass input; "
                f"got {type(alpha).__name__}"
            )
        a = _check_class_weight(alpha, num_classes, input, "alpha")
        unbatched = input.dim() == 1
        if unbatched:
            input, valid, safe = input.unsqueeze(0), valid.unsqueeze(0), safe.unsqueeze(0)  # (C,) -> (1, C)
        coef = torch.where(valid, 1.0 if a is None else a[safe], zero).to(input.dtype)
        loss = _FocalMulticlass.apply(input, safe.unsqueeze(1), coef, gamma)  # (N, C, *) -> (N, *)
        if unbatched:
            loss = loss.squeeze(0)  # (1,) -> ()
    denominator = valid.sum().to(loss.dtype)
    return reduce(loss, reduction, denominator)
