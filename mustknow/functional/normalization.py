"""Normalisation layers as functions: batch, layer, instance and group norm.

The four norms differ only in *which axes* the mean and variance are taken
over. They share one autograd Function, :class:`Normalize`, that normalises a
tensor viewed as ``(P, Q, S, R)`` over the axes ``P``, ``S`` and ``R``
separately for every ``q`` in ``Q``, with an affine that may vary along
``Q`` and ``S``; each norm is a reshape onto that layout. In the note's
notation (its question 7), for an input ``(N, C, H, W)``:

============  ==========================  ============================
norm          statistics over             one (mean, var) per
============  ==========================  ============================
batch norm    (N, H, W)                   channel C
layer norm    (C, H, W)                   sample N
instance norm (H, W)                      sample N and channel C
group norm    (C/G, H, W)                 sample N and group G
============  ==========================  ============================

so group norm with ``G = 1`` is layer norm over (C, H, W) and with ``G = C``
it is instance norm. Every norm uses the *biased* variance (divide by n) to
normalise, as the papers and PyTorch do; batch norm's running variance stores
the *unbiased* estimate (n / (n - 1) times it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ._checks import check_floating, check_ndim, check_number

__all__ = ["batch_norm", "layer_norm", "instance_norm", "group_norm"]


class Normalize(torch.autograd.Function):
    r"""Normalise ``x`` of shape (P, Q, S, R) over axes (P, S, R), per ``q``, with an affine per (q, s).

    Every norm is a view of its input in this layout (see the wrappers):
    batch norm ``(N, C, 1, HW)``, instance norm ``(1, N C, 1, HW)``, group
    norm ``(1, N G, C/G, HW)``, layer norm ``(1, N, CHW, 1)``. The affine
    ``weight``/``bias`` :math:`\gamma, \beta` have shape (Q, S), or (1, S)
    for one row shared by every ``q``: constant over P and R, so per-channel
    for batch, instance and group norm and elementwise (a shared row) for
    layer norm.

    Forward, with :math:`n = P S R` values :math:`x_i` per ``q``:

    .. math::

        \mu = \frac1n \sum_i x_i, \qquad
        v = \frac1n \sum_i (x_i - \mu)^2, \qquad
        \sigma = \sqrt{v + \epsilon}, \qquad
        \hat x_i = \frac{x_i - \mu}{\sigma}, \qquad
        y_i = \gamma_i \hat x_i + \beta_i .

    Backward. Let :math:`g_i = \partial L / \partial y_i` and
    :math:`h_i = \gamma_i g_i = \partial L / \partial \hat x_i`. The affine
    part gives :math:`\partial L/\partial\beta = \sum g` and
    :math:`\partial L/\partial\gamma = \sum g \hat x` (summed over P and R).
    For the normalisation, :math:`\partial\mu/\partial x_j = 1/n` and
    :math:`\partial v/\partial x_j = \frac2n (x_j - \mu)` (the term
    :math:`\frac2n\sum_i (x_i-\mu)` vanishes), so
    :math:`\partial\sigma/\partial x_j = \hat x_j / n` and

    .. math::

        \frac{\partial \hat x_i}{\partial x_j}
        = \frac{1}{\sigma}\Big(\delta_{ij} - \frac1n - \frac{\hat x_i \hat x_j}{n}\Big),
        \qquad
        \frac{\partial L}{\partial x_j}
        = \frac{1}{\sigma}\Big(h_j - \overline{h} - \hat x_j\,\overline{h \hat x}\Big),

    with :math:`\overline{h} = \frac1n\sum_i h_i` and
    :math:`\overline{h\hat x} = \frac1n\sum_i h_i \hat x_i`. In the centred
    input :math:`x^c = x - \mu` this is affine in :math:`g_j` and :math:`x^c_j`,

    .. math::

        \frac{\partial L}{\partial x_j} = a_j\, g_j + b\, x^c_j + c, \quad
        a_j = \frac{\gamma_j}{\sigma},\;
        b = -\frac{1}{n \sigma^3}\sum_i \gamma_i g_i x^c_i,\;
        c = -\frac{1}{n \sigma}\sum_i \gamma_i g_i,

    and since :math:`\gamma` is constant over P and R, every sum needs only
    two partial sums of the gradient per (q, s): :math:`\sum_{p,r} g` and
    :math:`\sum_{p,r} g x^c`; they also give :math:`\partial L/\partial\beta`
    and :math:`\partial L/\partial\gamma = \frac1\sigma\sum_{p,r} g x^c`.

    Numerical choices: the variance is the biased one, computed from the
    centred input (no :math:`E[x^2] - \mu^2` cancellation). The rounded mean
    :math:`\mu_0` leaves the centred values a tiny mean :math:`\delta`, added
    back exactly at the cost of one reduction: :math:`\mu = \mu_0 + \delta`,
    :math:`v = \overline{(x-\mu_0)^2} - \delta^2` and
    :math:`x - \mu = (x - \mu_0) - \delta` in every sum. The centred input
    :math:`x - \mu_0` is the one saved tensor, reused by every backward sum.
    The forward also returns ``mean`` and the biased ``var``, shape (Q,), with
    no gradient, for running statistics. The backward is differentiable once
    only (no ``gradgradcheck``).

    Shape:
        x: (P, Q, S, R); weight, bias: (Q, S), or (1, S) shared by every q, or None; returns y (P, Q, S, R),
        mean (Q,), var (Q,).
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, x: torch.Tensor, weight: torch.Tensor | None, bias: torch.Tensor | None, eps: float
    ):
        n = x.shape[0] * x.shape[2] * x.shape[3]
        dims = (0, 2, 3)
        mean0 = _sum_over(x, dims) / n  # (P, Q, S, R) -> (1, Q, 1, 1)
        xc = x - mean0  # (P, Q, S, R), centred on the rounded mean
        # Rounding leaves the centred values a small mean delta; correct mean and
        # variance for it exactly: var = mean(xc^2) - delta^2 (no cancellation, delta ~ 0).
        delta = _sum_over(xc, dims) / n  # (1, Q, 1, 1)
        mean = mean0 + delta
        sum_sq = _sum_sq_over_stats_axes(xc)  # (P, Q, S, R) -> (1, Q, 1, 1)
        var = (sum_sq / n - delta.square()).clamp_min(0.0)  # biased
        rstd = (var + eps).rsqrt()
        if weight is not None and _shared_row(weight, x):
            # Layer norm: gamma varies over the whole row, so a fused per-element
            # scale would be a full tensor; normalise, then apply the affine.
            # Two fused passes: x_hat = xc / sigma - delta / sigma, then gamma x_hat + beta.
            x_hat = torch.addcmul(-delta * rstd, xc, rstd)  # (P, Q, S, R)
            w = weight.unsqueeze(-1)  # (1, S) -> (1, S, 1)
            y = x_hat.mul_(w) if bias is None else torch.addcmul(bias.unsqueeze(-1), x_hat, w, out=x_hat)
        else:
            scale = rstd if weight is None else rstd * weight.unsqueeze(-1)  # (1, Q, S, 1)
            shift = -delta * scale if bias is None else bias.unsqueeze(-1) - delta * scale
            # gamma * (x - mean) / sigma + beta with per-(q, s) scale and shift. (An
            # out-of-place addcmul with a broadcast first operand is slower on CPU.)
            y = (xc * scale).add_(shift)
        ctx.save_for_backward(xc, weight, rstd, delta)
        ctx.bias_shape = None if bias is None else bias.shape
        mean_q, var_q = mean.view(-1), var.view(-1)  # (1, Q, 1, 1) -> (Q,)
        ctx.mark_non_differentiable(mean_q, var_q)
        return y, mean_q, var_q

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad_y: torch.Tensor, _grad_mean: Any, _grad_var: Any):  # type: ignore[override]
        xc, weight, rstd, delta = ctx.saved_tensors
        p, q, s, r = xc.shape
        n = p * s * r
        # Partial sums over P and R, about mean0: (P, Q, S, R) -> (1, Q, S, 1).
        gxc = grad_y * xc  # (P, Q, S, R); reused below as grad_x's storage (one fresh tensor less)
        sum_g = _sum_over(grad_y, (0, 3))
        sum_gxc = _sum_over(gxc, (0, 3))  # gxc itself when P = R = 1 (layer norm): read it before grad_x
        grad_x = grad_w = grad_b = None
        if weight is not None and ctx.needs_input_grad[1]:
            if _shared_row(weight, xc):  # sum over q by matrix products, (1, Q) @ (Q, S) -> (1, S)
                grad_w = rstd.view(1, q) @ sum_gxc.reshape(q, s) - (rstd * delta).view(1, q) @ sum_g.reshape(q, s)
            else:
                grad_w = ((sum_gxc - delta * sum_g) * rstd).view(q, s)  # (1, Q, S, 1) -> (Q, S)
        if ctx.bias_shape is not None and ctx.needs_input_grad[2]:
            grad_b = sum_g.reshape(q, s).sum_to_size(ctx.bias_shape)  # (1, Q, S, 1) -> (Q or 1, S)
        if ctx.needs_input_grad[0]:
            # (1, Q, S, 1) -> (1, Q, 1, 1): sums over S weighted by gamma; x - mean = xc - delta.
            sum_h = _weighted_sum_over_s(sum_g, weight)
            sum_hxc = _weighted_sum_over_s(sum_gxc, weight) - delta * sum_h
            b = -rstd.pow(3) * sum_hxc / n
            c = -rstd * sum_h / n - b * delta
            # c + a g in one fused pass, then + b xc: (P, Q, S, R)
            if weight is None:
                grad_x = torch.addcmul(c, grad_y, rstd, out=gxc)  # a = 1 / sigma
            elif _shared_row(weight, xc):  # layer norm: c + (g gamma) / sigma, no full-size a
                h = torch.mul(grad_y, weight.unsqueeze(-1), out=gxc)
                grad_x = torch.addcmul(c, h, rstd, out=h)
            else:
                grad_x = torch.addcmul(c, grad_y, rstd * weight.unsqueeze(-1), out=gxc)  # a: (1, Q, S, 1)
            grad_x.addcmul_(xc, b)
        return grad_x, grad_w, grad_b, None


def _rows(t: torch.Tensor, dims: tuple[int, ...]) -> torch.Tensor | None:
    """A contiguous (P, Q, S, R) ``t`` as (P, M, L), L the trailing dims in ``dims``; None if not possible.

    ``dims`` (0, 2, 3) gives (P, Q, S R), ``dims`` (0, 3) gives (P, Q S, R).
    """
    p, q, s, r = t.shape
    if not t.is_contiguous() or dims not in ((0, 2, 3), (0, 3)):
        return None
    return t.view(p, q, s * r) if 2 in dims else t.view(p, q * s, r)


def _sum_over(t: torch.Tensor, dims: tuple[int, ...]) -> torch.Tensor:
    """``t.sum(dims, keepdim=True)``, skipping size-1 dims (no copy when all are size 1).

    Speed: for the statistics axes (0, 2, 3) and the partial-sum axes (0, 3) of
    a contiguous tensor, the contiguous trailing dims are summed first on a
    3-d view, then P: on CPU that is several times faster than one strided
    multi-dim reduction.
    """
    rows = _rows(t, dims)
    if rows is None:
        dims = tuple(d for d in dims if t.shape[d] > 1)
        return t.sum(dim=dims, keepdim=True) if dims else t
    if rows.shape[2] > 1:
        rows = rows.sum(2, keepdim=True)  # (P, M, L) -> (P, M, 1)
    if rows.shape[0] > 1:
        rows = rows.sum(0, keepdim=True)  # (P, M, 1) -> (1, M, 1)
    keep = [1 if d in dims else n for d, n in enumerate(t.shape)]
    return rows.view(keep) if rows is not t else t  # (1, M, 1) -> (1, Q, 1 or S, 1)


def _sum_sq_over_stats_axes(t: torch.Tensor) -> torch.Tensor:
    """Sum of squares of a (P, Q, S, R) ``t`` over (P, S, R), as (1, Q, 1, 1).

    Squared 2-norms: one read, no squared copy; for a contiguous ``t`` the
    norms are taken over each contiguous (S R) row, then their squares summed over P.
    """
    rows = _rows(t, (0, 2, 3))
    if rows is None:
        return torch.linalg.vector_norm(t, 2, dim=(0, 2, 3), keepdim=True).square()
    sq = torch.linalg.vector_norm(rows, 2, dim=2).square_()  # (P, Q, S R) -> (P, Q)
    return sq.sum(0).view(1, -1, 1, 1)  # (P, Q) -> (1, Q, 1, 1)


def _shared_row(weight: torch.Tensor, x: torch.Tensor) -> bool:
    """True when a (1, S) weight row is shared by Q > 1 rows of x (P, Q, S, R): layer norm."""
    return weight.shape[0] == 1 < x.shape[1] and x.shape[2] > 1


def _weighted_sum_over_s(t: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
    """``sum_s weight[q, s] * t[0, q, s, 0]`` as (1, Q, 1, 1); weight (Q, S), (1, S) or None (ones)."""
    _, q, s, _ = t.shape
    if weight is None:
        return _sum_over(t, (2,))
    if _shared_row(weight, t):  # a matrix-vector product, (Q, S) @ (S,) -> (Q,)
        return (t.reshape(q, s) @ weight.view(s)).view(1, q, 1, 1)
    return _sum_over(t * weight.unsqueeze(-1), (2,))


def _normalize(
    x: torch.Tensor, weight: torch.Tensor | None, bias: torch.Tensor | None, eps: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Apply :class:`Normalize` to a (P, Q, S, R) view; returns (y, mean (Q,), var (Q,))."""
    y, mean, var = Normalize.apply(x, weight, bias, eps)
    return y, mean, var


def _check_param(p: torch.Tensor | None, name: str, shape: tuple[int, ...], what: str) -> None:
    if p is None:
        return
    check_floating(p, name)
    if tuple(p.shape) != shape:
        raise ValueError(f"{name} must have shape {shape} ({what}); got {tuple(p.shape)}")


def _check_eps(eps: float) -> None:
    check_number(eps, "eps", low=0.0)


def _update_running(
    running: torch.Tensor, batch_value: torch.Tensor, factor: float
) -> None:
    """In place: running <- (1 - factor) * running + factor * batch_value."""
    with torch.no_grad():
        running.lerp_(batch_value.to(running.dtype), factor)


def _affine_from_stats(
    input: torch.Tensor,
    mean: torch.Tensor,
    var: torch.Tensor,
    weight: torch.Tensor | None,
    bias: torch.Tensor | None,
    eps: float,
) -> torch.Tensor:
    """Normalise (N, C, *) with fixed per-channel statistics (eval mode).

    With the statistics constant this is an affine map per channel,
    ``y = x * scale + shift``; autograd differentiates the composition.
    """
    shape = (1, -1) + (1,) * (input.dim() - 2)
    scale = (var + eps).rsqrt()
    if weight is not None:
        scale = scale * weight
    shift = -mean * scale
    if bias is not None:
        shift = shift + bias
    return torch.addcmul(shift.view(shape), input, scale.view(shape))


def batch_norm(
    input: torch.Tensor,
    running_mean: torch.Tensor | None,
    running_var: torch.Tensor | None,
    weight: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    training: bool = False,
    momentum: float | None = 0.1,
    eps: float = 1e-5,
    *,
    num_batches_tracked: torch.Tensor | None = None,
) -> torch.Tensor:
    r"""Batch normalisation: statistics over (N, H, W), one mean and variance per channel.

    .. math::

        y = \gamma_c \frac{x - \mu_c}{\sqrt{v_c + \epsilon}} + \beta_c,

    with :math:`\mu_c, v_c` the mean and biased variance of channel ``c`` over
    the batch and every spatial position (the note's [N, H, W]) in training,
    and the running estimates in evaluation. The gradient is derived in
    :class:`Normalize`.

    Running statistics (training with ``running_mean``/``running_var`` given)
    are updated in place as PyTorch defines them:
    :math:`r \leftarrow (1 - m)\, r + m\, s`, where ``s`` is the batch mean, or
    the *unbiased* batch variance :math:`\frac{n}{n-1} v_c` for the variance
    (n = N * H * W values per channel). With ``momentum=None`` the factor is
    :math:`m = 1 / t` after ``num_batches_tracked`` is incremented to ``t``:
    a cumulative (equal-weight) average of all batches seen.

    Args:
        input: (N, C) or (N, C, L) or (N, C, H, W) (any trailing spatial dims).
        running_mean, running_var: (C,) buffers or None. Required when
            ``training=False``.
        weight, bias: (C,) affine parameters or None (identity).
        training: use batch statistics (and update the running ones). Default False.
        momentum: running-average factor in [0, 1], or None for the cumulative
            average. Default 0.1.
        eps: added to the variance. Default 1e-5.
        num_batches_tracked: keyword only; a scalar integer tensor counting
            batches, incremented in place by one per training call that
            updates running statistics. Required when ``momentum=None``.

    Shape:
        input (N, C, *) -> output (N, C, *).

    Raises:
        ValueError: input with fewer than 2 dims; parameter or buffer shapes
            not (C,); training with a single value per channel; evaluation
            without running statistics; ``momentum=None`` without
            ``num_batches_tracked``.
        TypeError: non-floating input.

    Example:
        >>> x = torch.randn(8, 3, 4, 4)
        >>> rm, rv = torch.zeros(3), torch.ones(3)
        >>> y = batch_norm(x, rm, rv, training=True)
        >>> y.mean(dim=(0, 2, 3)).abs().max() < 1e-5
        tensor(True)

    Reference: Ioffe & Szegedy (2015), "Batch Normalization: Accelerating Deep
    Network Training by Reducing Internal Covariate Shift".
    """
    check_floating(input, "input")
    check_ndim(input, "input", range(2, 9), "(N, C, *)")
    _check_eps(eps)
    c = input.shape[1]
    for p, name in ((weight, "weight"), (bias, "bias"), (running_mean, "running_mean"), (running_var, "running_var")):
        _check_param(p, name, (c,), "one per channel C")
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must both be given or both be None")
    if momentum is not None:
        check_number(momentum, "momentum", low=0.0, high=1.0)
    track = training and running_mean is not None
    if track and momentum is None and num_batches_tracked is None:
        raise ValueError("momentum=None (cumulative average) needs num_batches_tracked")
    if not training:
        if running_mean is None:
            raise ValueError(
                "batch_norm with training=False needs running_mean and running_var; "
                "got None (pass training=True to use batch statistics)"
            )
        return _affine_from_stats(input, running_mean, running_var, weight, bias, eps)
    n_per_channel = input.numel() // c if c else 0
    if n_per_channel <= 1:
        raise ValueError(
            f"batch_norm in training mode needs more than 1 value per channel to "
            f"estimate a variance; got input of shape {tuple(input.shape)}"
        )
    x = input.reshape(input.shape[0], c, 1, -1)  # (N, C, *) -> (N, C, 1, L)
    w = None if weight is None else weight.view(c, 1)  # (C,) -> (C, 1)
    b = None if bias is None else bias.view(c, 1)
    y, mean, var = _normalize(x, w, b, eps)
    if track:
        if num_batches_tracked is not None:
            with torch.no_grad():
                num_batches_tracked.add_(1)
        factor = 1.0 / float(num_batches_tracked) if momentum is None else momentum
        _update_running(running_mean, mean, factor)
        _update_running(running_var, var * (n_per_channel / (n_per_channel - 1)), factor)
    return y.view(input.shape)  # (N, C, 1, L) -> (N, C, *)


def layer_norm(
    input: torch.Tensor,
    normalized_shape: int | Sequence[int],
    weight: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    eps: float = 1e-5,
) -> torch.Tensor:
    r"""Layer normalisation: statistics over the trailing ``normalized_shape`` dims, per sample.

    For an image batch with ``normalized_shape = (C, H, W)`` the statistics are
    over (C, H, W), one mean and variance per sample (the note's [C, H, W]):

    .. math::

        y = \gamma \odot \frac{x - \mu_n}{\sqrt{v_n + \epsilon}} + \beta,

    where :math:`\gamma, \beta` have shape ``normalized_shape`` (elementwise
    affine). Same in training and evaluation: no running statistics. The
    gradient is derived in :class:`Normalize`.

    Args:
        input: (*, *normalized_shape).
        normalized_shape: int or sequence of ints, the trailing dims to normalise.
        weight, bias: tensors of shape ``normalized_shape`` or None.
        eps: added to the variance. Default 1e-5.

    Shape:
        input (*, *normalized_shape) -> output of the same shape.

    Raises:
        ValueError: ``normalized_shape`` empty, non-positive, or not the
            trailing dims of ``input``; weight/bias of another shape.
        TypeError: non-floating input, non-int sizes.

    Example:
        >>> x = torch.randn(2, 3, 4, 4)
        >>> y = layer_norm(x, (3, 4, 4))
        >>> y.flatten(1).mean(1).abs().max() < 1e-5
        tensor(True)

    Reference: Ba, Kiros & Hinton (2016), "Layer Normalization".
    """
    check_floating(input, "input")
    _check_eps(eps)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape:
        raise ValueError("normalized_shape must name at least one dim; got ()")
    for s in shape:
        check_number(s, "normalized_shape entries", low=1, integer=True)
    if tuple(input.shape[input.dim() - len(shape):]) != shape or input.dim() < len(shape):
        raise ValueError(
            f"normalized_shape {shape} must match the trailing dims of input; "
            f"got input of shape {tuple(input.shape)}"
        )
    _check_param(weight, "weight", shape, "normalized_shape")
    _check_param(bias, "bias", shape, "normalized_shape")
    k = 1
    for s in shape:
        k *= s
    x = input.reshape(1, -1, k, 1)  # (*, *normalized_shape) -> (1, M, K, 1): one row per sample
    w = None if weight is None else weight.reshape(1, k)  # normalized_shape -> (1, K), shared by all rows
    b = None if bias is None else bias.reshape(1, k)
    y, _, _ = _normalize(x, w, b, eps)
    return y.view(input.shape)


def instance_norm(
    input: torch.Tensor,
    running_mean: torch.Tensor | None = None,
    running_var: torch.Tensor | None = None,
    weight: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> torch.Tensor:
    r"""Instance normalisation: statistics over (H, W), per sample and channel.

    .. math::

        y_{nc} = \gamma_c \frac{x_{nc} - \mu_{nc}}{\sqrt{v_{nc} + \epsilon}} + \beta_c,

    with :math:`\mu_{nc}, v_{nc}` over the spatial positions of one sample's
    channel (the note's [H, W]). When running statistics are given and
    ``use_input_stats=True`` they are updated in place with the batch average
    of the per-instance mean and unbiased variance, as PyTorch does; with
    ``use_input_stats=False`` the running statistics normalise instead. The
    gradient is derived in :class:`Normalize`.

    Args:
        input: (N, C, L) or (N, C, H, W) (at least one spatial dim).
        running_mean, running_var: (C,) buffers or None.
        weight, bias: (C,) or None.
        use_input_stats: normalise with per-instance statistics. Default True.
        momentum: running-average factor in [0, 1]. Default 0.1.
        eps: added to the variance. Default 1e-5.

    Shape:
        input (N, C, *) -> output (N, C, *).

    Raises:
        ValueError: fewer than 3 dims; a single spatial value while using
            input statistics; shapes not (C,); ``use_input_stats=False``
            without running statistics.
        TypeError: non-floating input.

    Example:
        >>> x = torch.randn(2, 3, 5, 5)
        >>> y = instance_norm(x)
        >>> y.mean(dim=(2, 3)).abs().max() < 1e-5
        tensor(True)

    Reference: Ulyanov, Vedaldi & Lempitsky (2016), "Instance Normalization:
    The Missing Ingredient for Fast Stylization".
    """
    check_floating(input, "input")
    check_ndim(input, "input", range(3, 9), "(N, C, *spatial)")
    _check_eps(eps)
    check_number(momentum, "momentum", low=0.0, high=1.0)
    n, c = input.shape[0], input.shape[1]
    for p, name in ((weight, "weight"), (bias, "bias"), (running_mean, "running_mean"), (running_var, "running_var")):
        _check_param(p, name, (c,), "one per channel C")
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must both be given or both be None")
    if not use_input_stats:
        if running_mean is None:
            raise ValueError("instance_norm with use_input_stats=False needs running_mean and running_var")
        return _affine_from_stats(input, running_mean, running_var, weight, bias, eps)
    spatial = input[0, 0].numel() if n and c else 0
    if spatial <= 1:
        raise ValueError(
            f"instance_norm needs more than 1 spatial value per channel; got input of shape {tuple(input.shape)}"
        )
    x = input.reshape(1, n * c, 1, -1)  # (N, C, *) -> (1, N*C, 1, L): one row per (sample, channel)
    w = None if weight is None else weight.repeat(n).view(n * c, 1)  # (C,) -> (N*C, 1)
    b = None if bias is None else bias.repeat(n).view(n * c, 1)
    y, mean, var = _normalize(x, w, b, eps)
    if running_mean is not None:
        _update_running(running_mean, mean.view(n, c).mean(0), momentum)  # (N*C,) -> (C,)
        unbiased = var.view(n, c).mean(0) * (spatial / (spatial - 1))
        _update_running(running_var, unbiased, momentum)
    return y.view(input.shape)


def group_norm(
    input: torch.Tensor,
    num_groups: int,
    weight: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    eps: float = 1e-5,
) -> torch.Tensor:
    r"""Group normalisation: statistics over (C/G, H, W), per sample and group of channels.

    The C channels are split into ``num_groups`` = G contiguous groups of C/G;
    each sample's group is normalised over its channels and positions (the
    note's [C//G, H, W]), then a per-channel affine is applied:

    .. math::

        y_{nc} = \gamma_c \frac{x_{nc} - \mu_{n,g(c)}}{\sqrt{v_{n,g(c)} + \epsilon}} + \beta_c.

    G = 1 is layer norm over (C, H, W) (with a per-channel affine); G = C is
    instance norm. Same in training and evaluation. The gradient is derived in
    :class:`Normalize`.

    Args:
        input: (N, C, *) (``(N, C)`` allowed).
        num_groups: G, a positive divisor of C.
        weight, bias: (C,) or None.
        eps: added to the variance. Default 1e-5.

    Shape:
        input (N, C, *) -> output (N, C, *).

    Raises:
        ValueError: fewer than 2 dims; C not divisible by ``num_groups``;
            weight/bias not (C,).
        TypeError: non-floating input or non-int ``num_groups``.

    Example:
        >>> x = torch.randn(2, 8, 4, 4)
        >>> y = group_norm(x, 4)
        >>> y.view(2, 4, -1).mean(-1).abs().max() < 1e-5
        tensor(True)

    Reference: Wu & He (2018), "Group Normalization".
    """
    check_floating(input, "input")
    check_ndim(input, "input", range(2, 9), "(N, C, *)")
    _check_eps(eps)
    check_number(num_groups, "num_groups", low=1, integer=True)
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise ValueError(f"number of channels C={c} must be divisible by num_groups={num_groups}")
    _check_param(weight, "weight", (c,), "one per channel C")
    _check_param(bias, "bias", (c,), "one per channel C")
    g = num_groups
    x = input.reshape(1, n * g, c // g, -1)  # (N, C, *) -> (1, N*G, C/G, L): one row per (sample, group)
    # (C,) -> (G, C/G) -> (N*G, C/G): row q = n*G + g holds group g's channels.
    w = None if weight is None else weight.view(1, g, c // g).expand(n, g, c // g).reshape(n * g, c // g)
    b = None if bias is None else bias.view(1, g, c // g).expand(n, g, c // g).reshape(n * g, c // g)
    y, _, _ = _normalize(x, w, b, eps)
    return y.view(input.shape)
