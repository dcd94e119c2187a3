r"""Regularisation as functions: dropout, noise, L1/L2 penalties, the L1 proximal step.

Weight decay and the L2 penalty
-------------------------------
The note (question 5) calls weight decay "the coefficient in front of the
regulariser", usually L2. Whether the two are the *same thing* depends on the
optimizer. mustknow does not re-implement optimizers: this section states what
PyTorch's own ``torch.optim`` classes do with ``weight_decay`` :math:`\lambda`,
with learning rate :math:`\gamma`, loss :math:`f` and
:math:`g_t = \nabla f(\theta_{t-1})`. Throughout,

.. math::

    \mathrm{l2\_penalty}(\theta) = \tfrac12 \lVert\theta\rVert_2^2,
    \qquad \nabla_\theta\, \lambda\,\mathrm{l2\_penalty}(\theta) = \lambda\,\theta .

**SGD** (``torch.optim.SGD``, momentum :math:`\mu`, dampening :math:`\tau`):

.. math::

    g'_t = g_t + \lambda\theta_{t-1}, \qquad
    b_t = \mu\, b_{t-1} + (1-\tau)\, g'_t \;(b_1 = g'_1), \qquad
    \theta_t = \theta_{t-1} - \gamma\, b_t

(Nesterov uses :math:`g'_t + \mu b_t` in place of :math:`b_t`). The decay term
enters *before* the momentum buffer, exactly where the gradient of
:math:`\lambda\,\mathrm{l2\_penalty}` would, so SGD's ``weight_decay`` **is**
an L2 penalty: minimising :math:`f + \lambda\,\mathrm{l2\_penalty}` with
``weight_decay=0`` follows the same trajectory, with or without momentum.
Without momentum the step is also a multiplicative shrink,
:math:`\theta_t = (1 - \gamma\lambda)\theta_{t-1} - \gamma g_t`, which is where
the name "decay" comes from.

**Adam** (``torch.optim.Adam``), with :math:`\beta_1, \beta_2, \epsilon` and
bias corrections :math:`\hat m_t = m_t/(1-\beta_1^t)`,
:math:`\hat v_t = v_t/(1-\beta_2^t)`:

.. math::

    g'_t = g_t + \lambda\theta_{t-1},\quad
    m_t = \beta_1 m_{t-1} + (1-\beta_1) g'_t,\quad
    v_t = \beta_2 v_{t-1} + (1-\beta_2) {g'_t}^2,\quad
    \theta_t = \theta_{t-1} - \gamma\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.

Again identical to adding :math:`\lambda\,\mathrm{l2\_penalty}` to the loss,
but now the decay is divided by :math:`\sqrt{\hat v_t}` together with the
gradient: an L2 penalty *coupled through the adaptive scaling*. Weights with
large or noisy gradients are decayed less, weights with small gradients more;
it is not a uniform shrink of the weights.

**AdamW** (``torch.optim.AdamW``) decouples the decay from the gradient:

.. math::

    \theta'_{t-1} = \theta_{t-1} - \gamma\lambda\,\theta_{t-1}, \qquad
    m_t, v_t \text{ from } g_t \text{ alone}, \qquad
    \theta_t = \theta'_{t-1} - \gamma\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.

Every weight shrinks by the same factor :math:`1 - \gamma\lambda` whatever its
gradient history; AdamW with :math:`\lambda` is *not* Adam with an L2 penalty.
Note that PyTorch multiplies the decay by the learning rate :math:`\gamma`; in
Loshchilov & Hutter's algorithm the decay is scaled only by the schedule
multiplier :math:`\eta_t`, not by Adam's step size :math:`\alpha`
(:math:`\theta_t = \theta_{t-1} - \eta_t(\alpha\,\hat m_t/(\sqrt{\hat v_t}+\epsilon)
+ \lambda\theta_{t-1})`), so PyTorch's ``weight_decay`` equals the paper's
:math:`\lambda` divided by the learning rate.

Reference: Loshchilov & Hutter (2019), "Decoupled Weight Decay
Regularization" (ICLR).

L1 and the proximal step
------------------------
Subgradient descent on :math:`\lambda\lVert w\rVert_1` moves each weight by
:math:`\pm\gamma\lambda` per step and so oscillates around 0 without ever
reaching it. The proximal gradient method (ISTA) instead takes the gradient
step on the smooth loss and then applies the proximal operator of the L1 term,
:func:`soft_threshold`, which sets weights with :math:`|w| \le \gamma\lambda`
to exactly 0: :func:`proximal_l1_` after ``optimizer.step()``.
References: Tibshirani (1996), "Regression Shrinkage and Selection via the
Lasso"; Beck & Teboulle (2009), "A Fast Iterative Shrinkage-Thresholding
Algorithm for Linear Inverse Problems".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from ._checks import check_floating, check_ndim, check_number, check_probability, check_tensor

__all__ = [
    "dropout",
    "dropout2d",
    "gaussian_noise",
    "l1_penalty",
    "l2_penalty",
    "soft_threshold",
    "proximal_l1_",
]


class InvertedDropout(torch.autograd.Function):
    r"""Multiply by a random mask of kept units scaled by :math:`1/(1-p)`.

    Forward, with :math:`b_i \sim \mathrm{Bernoulli}(1-p)` drawn once per mask
    element (the mask may broadcast over trailing dims, as in
    :func:`dropout2d`):

    .. math::

        m_i = \frac{b_i}{1-p}, \qquad y_i = m_i\, x_i,
        \qquad \mathbb{E}[y_i] = x_i .

    Backward: the mask is a constant of the forward pass, so

    .. math::

        \frac{\partial L}{\partial x_i} = m_i \frac{\partial L}{\partial y_i}

    (with a broadcast mask, as in :func:`dropout2d`, the same product
    broadcasts over the gradient; no reduction is needed since the mask, not
    the input, is the broadcast operand). At :math:`p = 1` every :math:`m_i = 0`: the output and the gradient
    are exact zeros, with no division by :math:`1-p = 0` (and zeros even for
    infinite inputs, where :math:`0 \cdot \infty` would be NaN).

    Numerical choices: the mask is drawn with one ``bernoulli_`` call in the
    input's dtype and scaled in place, and this one scaled mask (the size of
    the mask shape, not the input's when it broadcasts) is the only tensor
    saved for backward. The backward is itself differentiable (it is linear
    in the incoming gradient), so ``gradgradcheck`` applies.

    Shape:
        input (*); mask_shape broadcastable to input's shape; output (*).
    """

    @staticmethod
    def forward(ctx: Any, input: torch.Tensor, p: float, mask_shape: tuple[int, ...], generator: torch.Generator | None):  # type: ignore[override]
        if p == 1.0:
            mask = input.new_zeros(mask_shape)
            out = torch.zeros_like(input)
        else:
            mask = input.new_empty(mask_shape).bernoulli_(1.0 - p, generator=generator)
            mask.div_(1.0 - p)  # b / (1 - p): kept units scaled, dropped ones 0
            out = input * mask  # mask broadcasts over trailing dims when smaller
        ctx.save_for_backward(mask)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor):  # type: ignore[override]
        (mask,) = ctx.saved_tensors
        return grad_out * mask, None, None, None


def _check_random_args(input: Any, training: Any, generator: Any) -> None:
    """Validate the arguments every random regulariser shares."""
    check_floating(input, "input")
    if not isinstance(training, bool):
        raise TypeError(f"training must be a bool; got {type(training).__name__} {training!r}")
    if generator is not None:
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator or None; got {type(generator).__name__}")
        if generator.device.type != input.device.type:
            raise ValueError(
                f"generator is on device {generator.device} but input is on {input.device}; "
                "create the generator on the input's device"
            )


def dropout(
    input: torch.Tensor,
    p: float = 0.5,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""Inverted dropout: zero each element with probability ``p``, scale the rest by 1/(1-p).

    .. math::

        y_i = \frac{b_i}{1-p}\, x_i, \quad b_i \sim \mathrm{Bernoulli}(1-p)
        \text{ i.i.d.}, \qquad
        \frac{\partial y_i}{\partial x_i} = \frac{b_i}{1-p}

    (derivation in :class:`InvertedDropout`). Because kept units are scaled
    up during training, :math:`\mathbb{E}[y] = x` and evaluation needs no
    rescaling: with ``training=False`` dropout is the identity (the input is
    returned as is). ``p=0`` is also the exact identity; ``p=1`` gives exact
    zeros and zero gradients.

    **Per sample or per batch?** (the note's question 4). Per element of
    every sample: the mask has the full shape of ``input``, drawn
    independently for each sample of the mini-batch, so each training
    example is seen by its own thinned network, as in Srivastava et al.
    (2014, section 4: "for each training case in a mini-batch, we sample a
    thinned network"). The note's "each mini-batch trains a different
    network" describes the batch-shared alternative: one mask of shape
    ``(1, *input.shape[1:])`` broadcast over the batch, which drops the same
    units for all samples of the batch (cheaper to draw, but the samples'
    gradients then share one thinned network and are correlated). A fresh
    mask is drawn at every call, so it is random, not fixed.

    Args:
        input: a floating-point tensor of any shape.
        p: probability of zeroing an element, in [0, 1]. Default 0.5.
        training: apply dropout (True) or return ``input`` unchanged (False).
            Default True.
        generator: a ``torch.Generator`` on the input's device to draw the
            mask from; None uses the global generator. Default None. A fresh
            generator with a fixed seed at every call gives the same mask
            every call (what ``gradcheck`` needs).

    Shape:
        input (*) -> output (*), same shape.

    Raises:
        ValueError: ``p`` outside [0, 1]; generator on another device.
        TypeError: non-floating input, non-bool ``training``, ``generator``
            not a ``torch.Generator``.

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> y = dropout(torch.ones(2, 4), p=0.5, generator=g)
        >>> sorted(set(y.flatten().tolist())) in ([0.0, 2.0], [0.0], [2.0])
        True

    Reference: Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov
    (2014), "Dropout: A Simple Way to Prevent Neural Networks from
    Overfitting" (JMLR). The original paper scales weights by :math:`1-p` at
    test time; the inverted form here (scale at training time) gives the same
    expectation.
    """
    _check_random_args(input, training, generator)
    check_probability(p, "p")
    if not training or p == 0.0:
        return input
    return InvertedDropout.apply(input, float(p), tuple(input.shape), generator)


def dropout2d(
    input: torch.Tensor,
    p: float = 0.5,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""Spatial (channel) dropout: zero whole channels of each sample with probability ``p``.

    .. math::

        y_{n,c,\ldots} = \frac{b_{n,c}}{1-p}\, x_{n,c,\ldots}, \quad
        b_{n,c} \sim \mathrm{Bernoulli}(1-p) \text{ i.i.d.}, \qquad
        \frac{\partial y_{n,c,\ldots}}{\partial x_{n,c,\ldots}} = \frac{b_{n,c}}{1-p}

    One Bernoulli draw per (sample, channel), shared by all spatial
    positions: neighbouring pixels of a feature map are strongly correlated,
    so dropping single pixels barely removes information, while dropping the
    whole map does (Tompson et al.). The mask is (N, C, 1, 1) or (N, C, 1) and
    broadcasts; the gradient is derived in :class:`InvertedDropout`.
    ``training=False`` and ``p=0`` return the input, ``p=1`` gives zeros.

    Args:
        input: (N, C, H, W) or (N, C, L), floating point.
        p: probability of zeroing a channel, in [0, 1]. Default 0.5.
        training: apply dropout or return ``input``. Default True.
        generator: ``torch.Generator`` on the input's device, or None for the
            global one. Default None.

    Shape:
        input (N, C, H, W) or (N, C, L) -> output, same shape.

    Raises:
        ValueError: input not 3-D or 4-D; ``p`` outside [0, 1]; generator on
            another device.
        TypeError: non-floating input, non-bool ``training``, bad generator.

    Example:
        >>> y = dropout2d(torch.ones(2, 8, 3, 3), p=0.5)
        >>> bool(((y == 0).all(dim=(2, 3)) | (y == 2).all(dim=(2, 3))).all())
        True

    Reference: Tompson, Goroshin, Jain, LeCun & Bregler (2015), "Efficient
    Object Localization Using Convolutional Networks" (CVPR), SpatialDropout.
    """
    _check_random_args(input, training, generator)
    check_probability(p, "p")
    check_ndim(input, "input", (3, 4), "(N, C, L) or (N, C, H, W)")
    if not training or p == 0.0:
        return input
    mask_shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)  # (N, C, 1[, 1])
    return InvertedDropout.apply(input, float(p), mask_shape, generator)


def gaussian_noise(
    input: torch.Tensor,
    std: float,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""Add zero-mean Gaussian noise of standard deviation ``std`` (noise injection).

    .. math::

        y = x + \sigma\,\varepsilon, \quad \varepsilon \sim \mathcal N(0, I),
        \qquad \frac{\partial y}{\partial x} = I .

    Composed of torch primitives (``randn`` and an addition), so autograd
    gives the identity gradient. For small :math:`\sigma`, training with
    input noise is equivalent to a Tikhonov (L2-type) penalty on the
    model's input gradient (Bishop 1995). ``training=False`` or ``std=0``
    returns the input unchanged.

    Args:
        input: floating-point tensor, any shape.
        std: noise standard deviation :math:`\sigma \ge 0`.
        training: add noise (True) or return ``input`` (False). Default True.
        generator: ``torch.Generator`` on the input's device or None for the
            global one. Default None.

    Shape:
        input (*) -> output (*).

    Raises:
        ValueError: negative ``std``; generator on another device.
        TypeError: non-floating input, non-number ``std``, non-bool
            ``training``, bad generator.

    Example:
        >>> y = gaussian_noise(torch.zeros(1000), std=0.1, generator=torch.Generator().manual_seed(0))
        >>> 0.08 < float(y.std()) < 0.12
        True

    Reference: Bishop (1995), "Training with Noise is Equivalent to Tikhonov
    Regularization" (Neural Computation).
    """
    _check_random_args(input, training, generator)
    check_number(std, "std", low=0.0)
    if not training or std == 0:
        return input
    noise = torch.randn(input.shape, generator=generator, dtype=input.dtype, device=input.device)
    return input + std * noise


def _as_tensor_list(params: Any) -> list[torch.Tensor]:
    """A tensor or an iterable of tensors -> a non-empty list of tensors."""
    if isinstance(params, torch.Tensor):
        return [params]
    if not isinstance(params, Iterable):
        raise TypeError(
            f"params must be a tensor or an iterable of tensors (e.g. model.parameters()); "
            f"got {type(params).__name__}"
        )
    tensors = list(params)
    if not tensors:
        raise ValueError("params must contain at least one tensor; got an empty iterable")
    for i, t in enumerate(tensors):
        check_tensor(t, f"params[{i}]")
        check_floating(t, f"params[{i}]")
    return tensors


def l1_penalty(params: torch.Tensor | Iterable[torch.Tensor]) -> torch.Tensor:
    r"""The L1 norm of all parameters: :math:`\sum_i |w_i|`.

    .. math::

        R_1(w) = \sum_i |w_i|, \qquad
        \frac{\partial R_1}{\partial w_i} = \operatorname{sign}(w_i)

    with the subgradient 0 at :math:`w_i = 0` (autograd's choice for
    ``abs``). Composed of torch primitives. Add ``l1 * l1_penalty(...)`` to
    a loss for subgradient descent; :func:`proximal_l1_` reaches exact zeros
    instead.

    Args:
        params: a tensor or an iterable of tensors, e.g. ``model.parameters()``.

    Shape:
        params: any shapes -> scalar.

    Raises:
        ValueError: no tensors given.
        TypeError: not a tensor or iterable of floating-point tensors.

    Example:
        >>> l1_penalty([torch.tensor([1.0, -2.0]), torch.tensor([3.0])])
        tensor(6.)

    Reference: Tibshirani (1996), "Regression Shrinkage and Selection via
    the Lasso".
    """
    tensors = _as_tensor_list(params)
    return sum(t.abs().sum() for t in tensors)  # each (*) -> (), then summed


def l2_penalty(params: torch.Tensor | Iterable[torch.Tensor]) -> torch.Tensor:
    r"""Half the squared L2 norm of all parameters: :math:`\tfrac12\sum_i w_i^2`.

    .. math::

        R_2(w) = \tfrac12 \sum_i w_i^2, \qquad \frac{\partial R_2}{\partial w_i} = w_i .

    The factor :math:`\tfrac12` makes the gradient exactly :math:`w`, so
    ``loss + lam * l2_penalty(model.parameters())`` under SGD is the same as
    ``torch.optim.SGD(..., weight_decay=lam)`` (see this module's docstring).
    Composed of torch primitives.

    Args:
        params: a tensor or an iterable of tensors, e.g. ``model.parameters()``.

    Shape:
        params: any shapes -> scalar.

    Raises:
        ValueError: no tensors given.
        TypeError: not a tensor or iterable of floating-point tensors.

    Example:
        >>> l2_penalty(torch.tensor([1.0, -2.0, 3.0]))
        tensor(7.)

    Reference: Hoerl & Kennard (1970), "Ridge Regression: Biased Estimation
    for Nonorthogonal Problems"; Krogh & Hertz (1992), "A Simple Weight Decay
    Can Improve Generalization".
    """
    tensors = _as_tensor_list(params)
    return 0.5 * sum(t.square().sum() for t in tensors)  # each (*) -> (), then summed


class SoftThreshold(torch.autograd.Function):
    r"""Soft thresholding :math:`S_t(w) = \operatorname{sign}(w)\max(|w| - t, 0)`.

    Forward, computed as :math:`w - \operatorname{clamp}(w, -t, t)`, which
    equals :math:`w - t` above :math:`t`, :math:`w + t` below :math:`-t` and
    is exactly :math:`w - w = 0` in between (one clamp and one subtraction,
    exact zeros by construction).

    Backward: :math:`S_t` is piecewise linear with slope 1 where
    :math:`|w| > t` and 0 where :math:`|w| < t`; at the kinks
    :math:`|w| = t` we take 0 (the output is 0 there):

    .. math::

        \frac{\partial L}{\partial w_i} = \mathbb 1[|w_i| > t]\,\frac{\partial L}{\partial y_i}.

    :math:`t` is a constant (no gradient). The backward is linear in the
    incoming gradient, so it is itself differentiable.
    """

    @staticmethod
    def forward(ctx: Any, w: torch.Tensor, t: float):  # type: ignore[override]
        ctx.save_for_backward(w)
        ctx.t = t
        return w - w.clamp(-t, t)

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor):  # type: ignore[override]
        (w,) = ctx.saved_tensors
        return torch.where(w.abs() > ctx.t, grad_out, torch.zeros_like(grad_out)), None


def soft_threshold(w: torch.Tensor, t: float) -> torch.Tensor:
    r"""The proximal operator of :math:`t\lVert\cdot\rVert_1`: shrink towards 0 by ``t``, exact zeros inside [-t, t].

    .. math::

        S_t(w) = \operatorname*{arg\,min}_u \tfrac12\lVert u - w\rVert^2 + t\lVert u\rVert_1
               = \operatorname{sign}(w)\max(|w| - t, 0), \qquad
        \frac{\partial S_t(w)}{\partial w} = \mathbb 1[|w| > t]

    (derivation in :class:`SoftThreshold`; the same values as
    ``torch.nn.functional.softshrink(w, t)``).

    Args:
        w: floating-point tensor, any shape.
        t: threshold :math:`t \ge 0`; ``t=0`` is the identity.

    Shape:
        w (*) -> output (*).

    Raises:
        ValueError: negative ``t``.
        TypeError: non-floating ``w`` or non-number ``t``.

    Example:
        >>> soft_threshold(torch.tensor([-2.0, -0.5, 0.3, 1.5]), 1.0)
        tensor([-1.0000,  0.0000,  0.0000,  0.5000])

    Reference: Donoho (1995), "De-noising by soft-thresholding" (IEEE Trans.
    Inf. Theory); Beck & Teboulle (2009).
    """
    check_floating(w, "w")
    check_number(t, "t", low=0.0)
    return SoftThreshold.apply(w, float(t))


def proximal_l1_(
    params: torch.Tensor | Iterable[torch.Tensor], lr: float, l1: float
) -> torch.Tensor | list[torch.Tensor]:
    r"""In place :math:`w \leftarrow S_{\gamma\lambda}(w)`: the L1 proximal step, to call after ``optimizer.step()``.

    One iteration of the proximal gradient method (ISTA) for
    :math:`\min_w f(w) + \lambda\lVert w\rVert_1` is a gradient step on the
    smooth :math:`f` followed by the proximal operator of
    :math:`\gamma\lambda\lVert\cdot\rVert_1`:

    .. math::

        w_{t} = S_{\gamma\lambda}\big(w_{t-1} - \gamma\nabla f(w_{t-1})\big),
        \qquad S_t(w) = \operatorname{sign}(w)\max(|w| - t, 0).

    With plain SGD (``lr`` = :math:`\gamma`, no momentum, no
    ``weight_decay``) ``optimizer.step(); proximal_l1_(params, lr, l1)`` is
    exactly ISTA and converges to the LASSO solution with its exact zeros;
    after other optimizers it is the usual heuristic. Runs under
    ``torch.no_grad()``; not differentiable.

    Args:
        params: a tensor or an iterable of tensors (e.g. ``model.parameters()``),
            modified in place.
        lr: the learning rate :math:`\gamma > 0` of the preceding step.
        l1: the L1 coefficient :math:`\lambda \ge 0`.

    Returns:
        ``params`` if it is a tensor, else the list of its tensors.

    Raises:
        ValueError: no tensors; ``lr <= 0``; ``l1 < 0``.
        TypeError: bad ``params`` or non-number ``lr``/``l1``.

    Example:
        >>> w = torch.tensor([0.05, -0.3, 2.0])
        >>> proximal_l1_(w, lr=0.1, l1=1.0)
        tensor([ 0.0000, -0.2000,  1.9000])

    References: Tibshirani (1996); Beck & Teboulle (2009), "A Fast Iterative
    Shrinkage-Thresholding Algorithm for Linear Inverse Problems" (SIAM J.
    Imaging Sci.).
    """
    tensors = _as_tensor_list(params)
    check_number(lr, "lr", low=0.0, low_inclusive=False)
    check_number(l1, "l1", low=0.0)
    t = float(lr) * float(l1)
    with torch.no_grad():
        for w in tensors:
            w.copy_(soft_threshold(w, t))
    return params if isinstance(params, torch.Tensor) else tensors
