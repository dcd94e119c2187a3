r"""Activation functions, softmax and log-softmax, with hand-written gradients.

Every op is a ``torch.autograd.Function``: ``forward`` is built from torch
primitives (``exp``, ``expm1``, ``log1p``, ``erf``, ``clamp``, ``lerp``,
``addcmul``, ``amax``, ``sum``) and never calls the PyTorch op it re-implements;
``backward`` applies the derivative written in the docstring. Each backward is
itself made of differentiable torch ops on the saved tensors, so second
derivatives (``create_graph=True``, ``gradgradcheck``) work wherever the
function is twice differentiable.

Saved tensors are kept to a minimum: an op whose derivative is a function of
its output saves the output (``sigmoid``, ``tanh``, ``relu``, ``softmax``,
``log_softmax``), the others save the input; both are alive anyway while the
graph exists, so saving them costs no memory.

Speed: the cost of an elementwise op on CPU is the number of full-size
passes over memory (and fresh full-size tensors), so forward and backward
update fresh temporaries in place, fuse multiply-adds (``addcmul``,
``lerp``) and pick branches with a float 0/1 step (:func:`_step`, one
comparison pass) instead of a boolean ``torch.where``, which is several
times slower on CPU. In a backward, in-place updates touch only tensors that
no earlier differentiable op saved, so double backward still works.

Kinks follow PyTorch's convention, so gradients match ``torch.nn.functional``
bit for bit in the piecewise branches: the derivative of ``relu`` at exactly
0 is 0, that of ``leaky_relu`` at 0 is ``negative_slope`` and that of ``elu``
at 0 is ``alpha`` (the left-hand derivative in each case).
"""

from __future__ import annotations

import math

import torch

from ._checks import check_choice, check_floating, check_number

__all__ = [
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "silu",
    "softplus",
    "mish",
    "softmax",
    "log_softmax",
]

# SELU's fixed point constants (Klambauer et al., 2017, eq. 14), as in PyTorch.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

_SQRT1_2 = math.sqrt(0.5)  # 1/sqrt(2): Phi(x) = (1 + erf(x/sqrt 2)) / 2
_GELU_TANH_K = math.sqrt(2.0 / math.pi)  # Hendrycks & Gimpel (2016), sec. 2
_GELU_TANH_C = 0.044715
_LOG_SQRT_2_OVER_PI = 0.5 * math.log(2.0 / math.pi)  # 2 phi(x) = e^{log sqrt(2/pi) - x^2/2}


def _step(x: torch.Tensor, threshold: float = 0.0, above: bool = True) -> torch.Tensor:
    """Float mask, one pass: 1 where ``x > threshold`` (``x < threshold`` if not ``above``), else 0 (also for NaN).

    Piecewise constant, so it carries no gradient (``x`` is detached).
    """
    compare = torch.gt if above else torch.lt
    return compare(x.detach(), threshold, out=torch.empty_like(x))


def _logistic(x: torch.Tensor) -> torch.Tensor:
    """:math:`1/(1+e^{-x})` from primitives; overflow of :math:`e^{-x}` gives exactly 0, never NaN."""
    return x.neg().exp_().add_(1).reciprocal_()


# ---------------------------------------------------------------- sigmoid


class _Sigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = _logistic(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return torch.addcmul(y, y, y, value=-1).mul_(g)  # (y - y^2) g: two passes


def sigmoid(input: torch.Tensor) -> torch.Tensor:
    r"""Logistic sigmoid, elementwise.

    .. math::
        \sigma(x) = \frac{1}{1 + e^{-x}}, \qquad
        \sigma'(x) = \sigma(x)\,(1 - \sigma(x)).

    Numerics: :math:`1/(1+e^{-x})` has no cancellation; for :math:`x \ll 0`
    :math:`e^{-x}` overflows to ``inf`` and the result is exactly 0 (never
    NaN). Only the output is saved for backward.

    Args:
        input: floating-point tensor of any shape.

    Shape:
        input ``(*)``, output ``(*)``.

    Raises:
        TypeError: ``input`` is not a floating-point tensor.

    Example:
        >>> sigmoid(torch.tensor([0.0, 1e4, -1e4]))
        tensor([0.5000, 1.0000, 0.0000])

    Reference: the logistic unit of classic neural networks; its saturation
    is analysed by Glorot & Bengio (2010), "Understanding the difficulty of
    training deep feedforward neural networks".
    """
    check_floating(input, "input")
    return _Sigmoid.apply(input)


# ---------------------------------------------------------------- tanh


def _tanh_clamp(dtype: torch.dtype) -> float:
    """Largest ``x`` fed to :math:`e^{2x} - 1`: 20, where :math:`\tanh = 1` to float64 rounding,
    lowered for small dtypes (5.0 in float16) so that :math:`e^{2x} + 2` stays finite."""
    return min(20.0, 0.5 * math.log(torch.finfo(dtype).max) - 0.5)


class _Tanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        e = x.clamp_max(_tanh_clamp(x.dtype)).mul_(2).expm1_()  # e^{2x} - 1, in (-1, max)
        y = torch.div(e, e + 2, out=e)  # (e^{2x} - 1) / (e^{2x} + 1)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return torch.addcmul(y.new_ones(()), y, y, value=-1).mul_(g)  # (1 - y^2) g: two passes


def tanh(input: torch.Tensor) -> torch.Tensor:
    r"""Hyperbolic tangent, elementwise.

    .. math::
        \tanh x = \frac{e^{2x} - 1}{e^{2x} + 1}, \qquad
        \tanh' x = 1 - \tanh^2 x.

    Numerics: computed as :math:`e / (e + 2)` with
    :math:`e = \mathrm{expm1}(2x)`: ``expm1`` keeps full relative accuracy
    near 0 and the denominator is :math:`\ge 1` (no cancellation). :math:`x`
    is first clamped above at 20 (lower for float16), where :math:`\tanh x`
    already rounds to 1, so :math:`e` never overflows. Only the output is saved.

    Args:
        input: floating-point tensor of any shape.

    Shape:
        input ``(*)``, output ``(*)``.

    Raises:
        TypeError: ``input`` is not a floating-point tensor.

    Example:
        >>> tanh(torch.tensor([0.0, 1e4, -1e4]))
        tensor([ 0.,  1., -1.])

    Reference: zero-centred alternative to the sigmoid, studied by
    Glorot & Bengio (2010).
    """
    check_floating(input, "input")
    return _Tanh.apply(input)


# ---------------------------------------------------------------- relu


class _ReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.clamp_min(0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        # sign(y) is 1 where x > 0 and 0 where x <= 0 (float arithmetic: no
        # boolean mask, which costs more than a multiply on CPU).
        return y.sign().mul_(g)


def relu(input: torch.Tensor) -> torch.Tensor:
    r"""Rectified linear unit, elementwise.

    .. math::
        \operatorname{relu}(x) = \max(x, 0), \qquad
        \operatorname{relu}'(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}

    The kink: the gradient at exactly :math:`x = 0` is taken as 0, PyTorch's
    convention. Only the output is saved: the backward is
    :math:`g\,\operatorname{sign}(y)`, since :math:`\operatorname{sign}(y)` is 1 for
    :math:`x > 0` and 0 for :math:`x \le 0`. A NaN input gives a NaN output
    and a NaN gradient (PyTorch passes the upstream gradient through).

    Args:
        input: floating-point tensor of any shape.

    Shape:
        input ``(*)``, output ``(*)``.

    Raises:
        TypeError: ``input`` is not a floating-point tensor.

    Example:
        >>> relu(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([0., 0., 3.])

    Reference: Nair & Hinton (2010), "Rectified linear units improve restricted
    Boltzmann machines"; Glorot, Bordes & Bengio (2011) for deep networks.
    """
    check_floating(input, "input")
    return _ReLU.apply(input)


# ---------------------------------------------------------------- leaky relu


class _LeakyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, slope):
        # max(x, a x) is leaky relu for a <= 1, min(x, a x) for a > 1.
        ax = x * slope
        y = torch.maximum(x, ax, out=ax) if slope <= 1 else torch.minimum(x, ax, out=ax)
        ctx.save_for_backward(x)
        ctx.slope = slope
        return y

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        a = ctx.slope
        return _step(x).mul_(1 - a).add_(a).mul_(g), None  # (a + (1 - a) [x > 0]) g


def leaky_relu(input: torch.Tensor, negative_slope: float = 0.01) -> torch.Tensor:
    r"""Leaky rectified linear unit, elementwise.

    .. math::
        f(x) = \begin{cases} x & x > 0 \\ a\,x & x \le 0 \end{cases}, \qquad
        f'(x) = \begin{cases} 1 & x > 0 \\ a & x \le 0 \end{cases}

    with :math:`a` = ``negative_slope``. The kink: the gradient at exactly
    :math:`x = 0` is :math:`a`, PyTorch's convention. The forward is
    :math:`\max(x, a x)` (for :math:`a \le 1`; :math:`\min` otherwise): one
    multiply and one comparison pass.

    Args:
        input: floating-point tensor of any shape.
        negative_slope: slope :math:`a` for :math:`x \le 0`. Default 0.01.

    Shape:
        input ``(*)``, output ``(*)``.

    Raises:
        TypeError: ``input`` is not a floating-point tensor, or
            ``negative_slope`` is not a real number.

    Example:
        >>> leaky_relu(torch.tensor([-2.0, 0.0, 3.0]), 0.1)
        tensor([-0.2000,  0.0000,  3.0000])

    Reference: Maas, Hannun & Ng (2013), "Rectifier nonlinearities improve
    neural network acoustic models".
    """
    check_floating(input, "input")
    check_number(negative_slope, "negative_slope")
    return _LeakyReLU.apply(input, float(negative_slope))


# ---------------------------------------------------------------- elu / selu


class _ELU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, alpha, scale):
        # scale * (max(x, 0) + alpha expm1(min(x, 0))): each branch is 0 on the other side.
        neg = x.clamp_max(0).expm1_()
        y = x.clamp_min(0)
        if scale != 1.0:
            y.mul_(scale)
        y.add_(neg, alpha=alpha * scale)
        ctx.save_for_backward(x, y)
        ctx.alpha, ctx.scale = alpha, scale
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        # For x <= 0: d/dx scale*alpha*(e^x - 1) = scale*alpha*e^x = y + scale*alpha.
        # lerp with a 0/1 weight picks one branch exactly: scale where x > 0.
        d = (y + ctx.alpha * ctx.scale).lerp_(y.new_full((), ctx.scale), _step(x))
        return d.mul_(g), None, None


def elu(input: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    r"""Exponential linear unit, elementwise.

    .. math::
        f(x) = \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 \end{cases}, \qquad
        f'(x) = \begin{cases} 1 & x > 0 \\ \alpha e^{x} = f(x) + \alpha & x \le 0 \end{cases}

    The kink (for :math:`\alpha \ne 1`): the gradient at exactly 0 is
    :math:`\alpha`, PyTorch's convention. Numerics: ``expm1`` keeps relative
    accuracy near 0; the backward uses :math:`f(x) + \alpha` from the saved
    output (absolute error :math:`\approx \epsilon\alpha` as :math:`x \to -\infty`).

    Args:
        input: floating-point tensor of any shape.
        alpha: the negative saturation value :math:`-\alpha`. Default 1.0.

    Shape:
        input ``(*)``, output ``(*)``.

    Raises:
        TypeError: ``input`` is not a floating-point tensor, or ``alpha`` is
            not a real number.

    Example:
        >>> elu(torch.tensor([-1e4, 0.0, 2.0]))
        tensor([-1.,  0.,  2.])

    Reference: Clevert, Unterthiner & Hochreiter (2016), "Fast and accurate
    deep network learning by exponential linear units (ELUs)".
    """
    check_floating(input, "input")
    check_number(alpha, "alpha")
    return _ELU.apply(input, float(alpha), 1.0)


def selu(input: torch.Tensor) -> torch.Tensor:
    r"""Scaled exponential linear unit, elementwise.

    .. math::
        f(x) = \lambda \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 \end{cases}, \qquad
        f'(x) = \begin{cases} \lambda & x > 0 \\ f(x) + \lambda\alpha & x \le 0 \end{cases}

    with :math:`\alpha \approx 1.6733` and :math:`\lambda \approx 1.0507`, the
    constants that make zero mean and unit variance a fixed point of a
    fully connected layer. The gradient at exactly 0 is :math:`\lambda\alpha`
    (PyTorch's convention).

    Args:
        input: floating-point tensor of any shape.

    Shape:
        input ``(*)``, output ``(*)``.

    Raises:
        TypeError: ``input`` is not a floating-point tensor.

    Example:
        >>> selu(torch.tensor([0.0, 1.0]))
        tensor([0.0000, 1.0507])

    Reference: Klambauer, Unterthiner, Mayr & Hochreiter (2017),
    "Self-normalizing neural networks".
    """
    check_floating(input, "input")
    return _ELU.apply(input, SELU_ALPHA, SELU_SCALE)


# ---------------------------------------------------------------- gelu


class _GELU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        erf = torch.mul(x, _SQRT1_2).erf_()
        ctx.save_for_backward(x)
        return torch.addcmul(x, x, erf, out=erf).mul_(0.5)  # (x + x erf(x/sqrt2)) / 2, one new tensor

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        two_phi = torch.addcmul(x.new_full((), _LOG_SQRT_2_OVER_PI), x, x, value=-0.5).exp_()  # 2 phi(x)
        d = torch.erf(x * _SQRT1_2).addcmul_(x, two_phi)  # 2 f'(x) - 1 = erf(x/sqrt2) + 2 x phi(x)
        return torch.addcmul(g, g, d).mul_(0.5)  # g (1 + d) / 2


def _gelu_tanh_inner(x: torch.Tensor) -> torch.Tensor:
    """:math:`u = k x (1 + c x^2)` in two passes: a fused multiply-add, then a multiply by x."""
    return torch.addcmul(x.new_full((), _GELU_TANH_K), x, x, value=_GELU_TANH_K * _GELU_TANH_C).mul_(x)


class _GELUTanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        t = _gelu_tanh_inner(x).tanh_()
        ctx.save_for_backward(x)
        return torch.addcmul(x, x, t, out=t).mul_(0.5)  # x (1 + t) / 2

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        t = _gelu_tanh_inner(x).tanh_()
        # a = x/2 du/dx = x k (1 + 3 c x^2) / 2; f' = (1 + t)/2 + a (1 - t^2) = (1 + t) (1/2 + a (1 - t))
        a = torch.addcmul(x.new_full((), 0.5 * _GELU_TANH_K), x, x, value=1.5 * _GELU_TANH_K * _GELU_TANH_C).mul_(x)
        half_plus = torch.addcmul(a, a, t, value=-1).add_(0.5)  # 1/2 + a (1 - t)
        return torch.addcmul(half_plus, half_plus, t).mul_(g)


def gelu(input: torch.Tensor, approximate: str = "none") -> torch.Tensor:
    r"""Gaussian error linear unit, elementwise.

    Exact (``approximate="none"``), with :math:`\Phi` the standard normal CDF
    and :math:`\varphi` its density:

    .. math::
        f(x) = x\,\Phi(x) = \tfrac{x}{2}\bigl(1 + \operatorname{erf}(x/\sqrt2)\bigr), \qquad
        f'(x) = \Phi(x) + x\,\varphi(x), \quad \varphi(x) = \frac{e^{-x^2/2}}{\sqrt{2\pi}}.

    Tanh approximation (``approximate="tanh"``), with :math:`k = \sqrt{2/\pi}`,
    :math:`c = 0.044715`, :math:`u = k(x + c x^3)`:

    .. math::
        f(x) = \tfrac{x}{2}(1 + \tanh u), \qquad
        f'(x) = \tfrac12(1 + \tanh u) + \tfrac{x}{2}(1 - \tanh^2 u)\,k(1 + 3 c x^2).

    Numerics: both forms saturate cleanly (``erf`` and ``tanh`` reach
    :math:`\pm1`, :math:`e^{-x^2/2}` underflows to 0), finite for
    :math:`|x| \le 10^{4}` in float32. Only the input is saved.

    Args:
        input: floating-point tensor of any shape.
        approximate: ``"none"`` (exact, default) or ``"tanh"``.

    Shape:
        input ``(*)``, output ``(*)``.

    Raises:
        TypeError: ``input`` is not a floating-point tensor.
        ValueError: ``approximate`` is not ``"none"`` or ``"tanh"``.

    Example:
        >>> gelu(torch.tensor([0.0, 1.0]))
        tensor([0.0000, 0.8413])

    Reference: Hendrycks & Gimpel (2016), "Gaussian error linear units (GELUs)".
    """
    check_floating(input, "input")
    check_choice(approximate, "approximate", ("none", "tanh"))
    return (_GELU if approximate == "none" else _GELUTanh).apply(input)


# ---------------------------------------------------------------- silu


class _SiLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        d = x.neg().exp_().add_(1)
        y = torch.div(x, d, out=d)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        s = _Sigmoid.apply(x)  # our own op: its backward keeps double backward finite
        # f' = s (1 + x (1 - s)) = y + s - s y
        return torch.addcmul(y, s, y, value=-1).add_(s).mul_(g)


def silu(input: torch.Tensor) -> torch.Tensor:
    r"""Sigmoid-weighted linear unit (swish with :math:`\beta = 1`), elementwise.

    .. math::
        f(x) = x\,\sigma(x) = \frac{x}{1 + e^{-x}}, \qquad
        f'(x) = \sigma(x)\bigl(1 + x(1 - \sigma(x))\bigr).

    Numerics: for :math:`x \ll 0`, :math:`e^{-x}` overflows to ``inf`` and
    :math:`x/\infty = -0`, never NaN. The input and output are saved; the
    backward recomputes :math:`\sigma(x)` and uses
    :math:`f'(x) = f(x) + \sigma(x) - \sigma(x) f(x)`.

    Args:
        input: floating-point tensor of any shape.

    Shape:
        input ``(*)``, output ``(*)``.

    Raises:
        TypeError: ``input`` is not a floating-point tensor.

    Example:
        >>> silu(torch.tensor([0.0, 1e4, -1e4]))
        tensor([    0., 10000.,    -0.])

    Reference: Elfwing, Uchibe & Doya (2018), "Sigmoid-weighted linear units
    for neural network function approximation in reinforcement learning";
    Ramachandran, Zoph & Le (2017), "Searching for activation functions" (swish).
    """
    check_floating(input, "input")
    return _SiLU.apply(input)


# ---------------------------------------------------------------- softplus


def _safe_threshold(threshold: float, dtype: torch.dtype) -> float:
    """Lower ``threshold`` to one below where ``exp`` overflows in ``dtype``.

    Above :math:`z_{max} = \\log(\\text{max finite}) - 1`,
    :math:`\\log(1 + e^{z}) = z + \\log(1 + e^{-z})` equals :math:`z` to far
    below rounding, so returning the linear branch there changes no value.
    The margin of 1 keeps :math:`e^{z_{max}}` finite even after
    :math:`z_{max}` is rounded to ``dtype`` (float16 rounds 11.09 up).
    """
    return min(threshold, math.log(torch.finfo(dtype).max) - 1.0)


class _Softplus(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta, threshold):
        # beta x <= threshold  <=>  x <= threshold / beta (beta > 0) or x >= threshold / beta (beta < 0)
        bound = threshold / beta
        z = x.clamp_max(bound) if beta > 0 else x.clamp_min(bound)
        if beta != 1.0:
            z.mul_(beta)
        soft = z.exp_().log1p_()  # log(1 + e^{min(beta x, threshold)})
        if beta != 1.0:
            soft.div_(beta)
        # Beyond the threshold soft = sp(threshold)/beta; lower it to threshold/beta there, so that
        # max(soft, x) is x; below it, sp(z) > z makes max(soft, x) = soft (min for beta < 0).
        gap = (max(-threshold, 0.0) + math.log1p(math.exp(-abs(threshold)))) / beta  # (sp(t) - t)/beta
        if abs(gap) > torch.finfo(x.dtype).eps * abs(bound):  # else within one rounding of x: skip the pass
            soft.add_(_step(x, bound, above=beta > 0), alpha=-gap)
        y = torch.maximum(soft, x, out=soft) if beta > 0 else torch.minimum(soft, x, out=soft)
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        return y

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        beta = ctx.beta
        z = x * beta if beta != 1.0 else x
        linear = _step(x, ctx.threshold / beta, above=beta > 0)  # 1 where beta x > threshold
        return torch.lerp(_Sigmoid.apply(z), g.new_ones(()), linear).mul_(g), None, None


def softplus(input: torch.Tensor, beta: float = 1.0, threshold: float = 20.0) -> torch.Tensor:
    r"""Softplus, a smooth relu, elementwise.

    .. math::
        f(x) = \begin{cases} \frac{1}{\beta}\log(1 + e^{\beta x}) & \beta x \le \tau \\
                             x & \beta x > \tau \end{cases}, \qquad
        f'(x) = \begin{cases} \sigma(\beta x) & \beta x \le \tau \\ 1 & \beta x > \tau \end{cases}

    with :math:`\tau` = ``threshold`` (as in PyTorch). Numerics: :math:`\tau`
    is lowered to :math:`\log(\text{max finite}) - 1` of the dtype (87.7 for
    float32, 10.1 for float16) so :math:`e^{\beta x}` never overflows; above it
    the linear branch equals the exact value to rounding. For
    :math:`x \ll 0`, :math:`e^{\beta x}` underflows to 0 and so does
    :math:`f` (no NaN). Only the input is saved. The branch is picked without
    ``where`` (slow on CPU) and without multiplying :math:`x` by a mask (which
    would turn an infinite input into NaN):
    :math:`f = \max\bigl(s - m\,(s_\tau - \tau)/\beta,\; x\bigr)` with
    :math:`s = \tfrac1\beta\log(1 + e^{\min(\beta x, \tau)})`,
    :math:`s_\tau = \log(1 + e^{\tau})` and :math:`m = [\beta x > \tau]`
    (:math:`\min` for :math:`\beta < 0`): below the threshold
    :math:`\log(1 + e^{z}) > z` picks :math:`s`; above it the first argument
    is :math:`\tau/\beta`, on the other side of :math:`x`. The mask pass
    is skipped when :math:`(s_\tau - \tau)/\beta` is within one rounding
    of :math:`\tau/\beta` (float32 with the default :math:`\tau = 20`):
    the value beyond the threshold is then :math:`x` to one ulp.

    Args:
        input: floating-point tensor of any shape.
        beta: sharpness :math:`\beta \ne 0`. Default 1.0.
        threshold: :math:`\tau`, above which the function is linear. Default 20.0.

    Shape:
        input ``(*)``, output ``(*)``.

    Raises:
        TypeError: ``input`` is not a floating-point tensor, or ``beta`` /
            ``threshold`` is not a real number.
        ValueError: ``beta`` is 0.

    Example:
        >>> softplus(torch.tensor([0.0, 30.0]))
        tensor([ 0.6931, 30.0000])

    Reference: Dugas et al. (2001), "Incorporating second-order functional
    knowledge for better option pricing"; used as a relu surrogate by
    Glorot, Bordes & Bengio (2011).
    """
    check_floating(input, "input")
    check_number(beta, "beta")
    check_number(threshold, "threshold")
    if beta == 0:
        raise ValueError("beta must be non-zero (softplus divides by beta); got 0")
    return _Softplus.apply(input, float(beta), _safe_threshold(float(threshold), input.dtype))


# ---------------------------------------------------------------- mish

# Above this, tanh(softplus(x)) = 1 to float64 rounding: clamping the exponent
# here keeps e^x finite without changing any value.
_MISH_CLAMP = 20.0


def _tanh_softplus(x: torch.Tensor) -> torch.Tensor:
    r""":math:`\tanh(\log(1+e^x)) = n/(n+2)` with :math:`n = e^x(e^x+2)`, no cancellation."""
    u = x.clamp_max(_MISH_CLAMP).exp_()
    n = (u + 2).mul_(u)
    return n.div_(n + 2)  # fresh temporaries updated in place: three new tensors, not five


class _Mish(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _tanh_softplus(x).mul_(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        t = _tanh_softplus(x)
        s = _Sigmoid.apply(x)
        return torch.addcmul(x.new_ones(()), t, t, value=-1).mul_(x).mul_(s).add_(t).mul_(g)  # (t + x (1 - t^2) s) g


def mish(input: torch.Tensor) -> torch.Tensor:
    r"""Mish, a self-regularised smooth activation, elementwise.

    .. math::
        f(x) = x \tanh(\operatorname{softplus}(x)), \qquad
        f'(x) = \tanh(\operatorname{sp}(x)) + x\,\bigl(1 - \tanh^2(\operatorname{sp}(x))\bigr)\,\sigma(x),

    using :math:`\operatorname{sp}'(x) = \sigma(x)`. Numerics:
    :math:`\tanh(\operatorname{sp}(x)) = n / (n + 2)` with
    :math:`n = e^{x}(e^{x} + 2)`, a ratio with no cancellation, the exponent
    clamped at 20 (where the ratio is 1 to float64 rounding). Only the input
    is saved.

    Args:
        input: floating-point tensor of any shape.

    Shape:
        input ``(*)``, output ``(*)``.

    Raises:
        TypeError: ``input`` is not a floating-point tensor.

    Example:
        >>> mish(torch.tensor([0.0, 1e4, -1e4]))
        tensor([    0., 10000.,    -0.])

    Reference: Misra (2019), "Mish: a self regularized non-monotonic activation
    function".
    """
    check_floating(input, "input")
    return _Mish.apply(input)


# ---------------------------------------------------------------- softmax


def _check_dim(input: torch.Tensor, dim) -> int:
    """Return ``dim`` as a non-negative index of ``input``'s dims."""
    check_number(dim, "dim", integer=True)
    ndim = max(input.dim(), 1)  # a 0-d tensor accepts dim 0 and -1, as in PyTorch
    if not -ndim <= dim < ndim:
        raise ValueError(f"dim must be in [{-ndim}, {ndim - 1}] for input of shape {tuple(input.shape)}; got {dim}")
    return dim % ndim


class _Softmax(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, dim):
        if x.numel() == 0:
            y = torch.empty_like(x)
        else:
            y = (x - x.amax(dim, keepdim=True)).exp_()  # (*, K, *) with K at dim
            y.mul_(y.sum(dim, keepdim=True).reciprocal_())  # (*, K, *) -> (*, 1, *) -> broadcast
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        gy = g * y
        # y * (g - <g, y>): the sum is (*, K, *) -> (*, 1, *); sum saves nothing,
        # so updating gy in place afterwards is safe for double backward.
        return gy.addcmul_(y, gy.sum(ctx.dim, keepdim=True), value=-1), None


def softmax(input: torch.Tensor, dim: int) -> torch.Tensor:
    r"""Softmax along ``dim``.

    .. math::
        y_i = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}}, \quad m = \max_j x_j, \qquad
        \frac{\partial L}{\partial x_i} = y_i\Bigl(g_i - \sum_j g_j y_j\Bigr),

    from :math:`\partial y_j / \partial x_i = y_j(\delta_{ij} - y_i)`, with
    :math:`g = \partial L / \partial y`. Numerics: subtracting the maximum
    makes every exponent :math:`\le 0` (no overflow) and the denominator
    :math:`\ge 1`, so logits of :math:`\pm 10^{4}` give finite values and
    gradients. Only the output is saved. For two classes,
    :math:`\operatorname{softmax}(x_1, x_2)_1 = \sigma(x_1 - x_2)`.

    Args:
        input: floating-point tensor of any shape.
        dim: the dimension that sums to 1 (negative counts from the end).

    Shape:
        input ``(*)``, output ``(*)``, same shape.

    Raises:
        TypeError: ``input`` is not a floating-point tensor or ``dim`` not an int.
        ValueError: ``dim`` is out of range.

    Example:
        >>> softmax(torch.tensor([[0.0, 0.0], [1e4, -1e4]]), dim=1)
        tensor([[0.5000, 0.5000],
                [1.0000, 0.0000]])

    Reference: Bridle (1990), "Probabilistic interpretation of feedforward
    classification network outputs".
    """
    check_floating(input, "input")
    return _Softmax.apply(input, _check_dim(input, dim))


class _LogSoftmax(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, dim):
        if x.numel() == 0:
            y = torch.empty_like(x)
        else:
            y = x - x.amax(dim, keepdim=True)  # (*, K, *), every entry <= 0
            y.sub_(torch.exp(y).sum(dim, keepdim=True).log_())  # (*, K, *) -> (*, 1, *)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        # g - softmax * sum(g): (*, K, *) -> (*, 1, *) -> broadcast
        return torch.addcmul(g, torch.exp(y), g.sum(ctx.dim, keepdim=True), value=-1), None


def log_softmax(input: torch.Tensor, dim: int) -> torch.Tensor:
    r"""Logarithm of the softmax along ``dim``, computed stably.

    .. math::
        y_i = x_i - m - \log\sum_j e^{x_j - m}, \quad m = \max_j x_j, \qquad
        \frac{\partial L}{\partial x_i} = g_i - e^{y_i} \sum_j g_j.

    Numerics: the log-sum-exp with the maximum subtracted never overflows and
    its sum is :math:`\ge 1`, so the log is finite; logits of :math:`\pm10^{4}`
    give finite values (:math:`-2\cdot10^{4}`) and gradients. Only the output
    is saved.

    Args:
        input: floating-point tensor of any shape.
        dim: the dimension to normalise over (negative counts from the end).

    Shape:
        input ``(*)``, output ``(*)``, same shape.

    Raises:
        TypeError: ``input`` is not a floating-point tensor or ``dim`` not an int.
        ValueError: ``dim`` is out of range.

    Example:
        >>> log_softmax(torch.tensor([[1e4, -1e4]]), dim=1)
        tensor([[     0., -20000.]])

    Reference: Bridle (1990); the log-sum-exp trick is standard numerical practice.
    """
    check_floating(input, "input")
    return _LogSoftmax.apply(input, _check_dim(input, dim))
