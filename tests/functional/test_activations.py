"""Tests for mustknow.functional.activations: values and gradients vs PyTorch, gradcheck,
kinks, extremes, empty tensors, dtypes, softmax properties and input validation."""

import math

import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

import mustknow.functional as F
from mustknow.functional.activations import SELU_ALPHA, SELU_SCALE

# name -> (ours, PyTorch's, smooth: twice differentiable everywhere)
ELEMENTWISE = {
    "sigmoid": (F.sigmoid, torch.sigmoid, True),
    "tanh": (F.tanh, torch.tanh, True),
    "relu": (F.relu, TF.relu, False),
    "leaky_relu": (F.leaky_relu, TF.leaky_relu, False),
    "leaky_relu_0.2": (lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2), False),
    "leaky_relu_neg": (lambda x: F.leaky_relu(x, -0.5), lambda x: TF.leaky_relu(x, -0.5), False),
    "leaky_relu_1.5": (lambda x: F.leaky_relu(x, 1.5), lambda x: TF.leaky_relu(x, 1.5), False),
    "elu": (F.elu, TF.elu, False),
    "elu_0.5": (lambda x: F.elu(x, 0.5), lambda x: TF.elu(x, 0.5), False),
    "selu": (F.selu, TF.selu, False),
    "gelu": (F.gelu, TF.gelu, True),
    "gelu_tanh": (lambda x: F.gelu(x, "tanh"), lambda x: TF.gelu(x, approximate="tanh"), True),
    "silu": (F.silu, TF.silu, True),
    "softplus": (F.softplus, TF.softplus, True),
    "softplus_b2_t5": (lambda x: F.softplus(x, 2.0, 5.0), lambda x: TF.softplus(x, 2.0, 5.0), False),
    "softplus_neg_beta": (lambda x: F.softplus(x, -1.5), lambda x: TF.softplus(x, -1.5), False),
    "mish": (F.mish, TF.mish, True),
}
SOFTMAXES = {
    "softmax_dim1": (lambda x: F.softmax(x, 1), lambda x: TF.softmax(x, 1)),
    "softmax_dim0": (lambda x: F.softmax(x, 0), lambda x: TF.softmax(x, 0)),
    "softmax_dim-1": (lambda x: F.softmax(x, -1), lambda x: TF.softmax(x, -1)),
    "log_softmax_dim1": (lambda x: F.log_softmax(x, 1), lambda x: TF.log_softmax(x, 1)),
    "log_softmax_dim0": (lambda x: F.log_softmax(x, 0), lambda x: TF.log_softmax(x, 0)),
}
ALL = {**{k: v[:2] for k, v in ELEMENTWISE.items()}, **SOFTMAXES}
EXTREMES = [1e4, -1e4, 30.0, -30.0, 0.0, -0.0, 1e-8, -1e-8, 5.0, -5.0, 88.0, -88.0, 20.0, 20.5]


def _inputs(dtype):
    """Seeded normal values plus extremes and exact kinks, as a (8, 8) tensor."""
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(64 - len(EXTREMES), generator=gen, dtype=torch.float64) * 4
    return torch.cat([x, torch.tensor(EXTREMES, dtype=torch.float64)]).reshape(8, 8).to(dtype)


def _value_and_grad(fn, x, g):
    x = x.clone().requires_grad_(True)
    y = fn(x)
    y.backward(g)
    return y.detach(), x.grad


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("name", list(ALL))
def test_values_and_gradients_match_torch(name, dtype):
    ours, peer = ALL[name]
    x = _inputs(dtype)
    g = torch.randn(x.shape, generator=torch.Generator().manual_seed(2), dtype=dtype)
    y, dx = _value_and_grad(ours, x, g)
    y_ref, dx_ref = _value_and_grad(peer, x, g)
    assert torch.isfinite(y).all() and torch.isfinite(dx).all()
    torch.testing.assert_close(y, y_ref)
    torch.testing.assert_close(dx, dx_ref)


def _away_from_kinks(n=12):
    x = torch.randn(n, dtype=torch.float64)
    return (x + 0.2 * torch.sign(x)).requires_grad_(True)  # |x| > 0.2: finite differences never cross 0


@pytest.mark.parametrize("name", list(ALL))
def test_gradcheck_and_gradgradcheck(name):
    ours, _ = ALL[name]
    x = _away_from_kinks(12)
    fn = ours if name in ELEMENTWISE else (lambda t: ours(t.reshape(3, 4)))
    assert torch.autograd.gradcheck(fn, (x,))
    assert torch.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("name", [n for n, v in ELEMENTWISE.items() if v[2]])
def test_smooth_ops_second_derivative_matches_torch(name):
    """Twice-differentiable ops: the second derivative agrees with PyTorch's, also at 0 and +-30."""
    ours, peer, _ = ELEMENTWISE[name]
    x = torch.cat([torch.randn(10, dtype=torch.float64), torch.tensor([0.0, 30.0, -30.0], dtype=torch.float64)])

    def second(fn):
        xx = x.clone().requires_grad_(True)
        (d1,) = torch.autograd.grad(fn(xx).sum(), xx, create_graph=True)
        (d2,) = torch.autograd.grad(d1.sum(), xx)
        return d2

    torch.testing.assert_close(second(ours), second(peer))


@pytest.mark.parametrize("name", list(ALL))
def test_extremes_give_finite_first_and_second_derivatives(name):
    ours, _ = ALL[name]
    x = torch.tensor([1e4, -1e4, 1e4, 3.0, -1e4, -3.0], dtype=torch.float64, requires_grad=True)
    fn = ours if name in ELEMENTWISE else (lambda t: ours(t.reshape(2, 3)))
    y = fn(x)
    (d1,) = torch.autograd.grad((y * y).sum(), x, create_graph=True)
    (d2,) = torch.autograd.grad(d1.sum(), x)
    assert torch.isfinite(y).all() and torch.isfinite(d1).all() and torch.isfinite(d2).all()


# (op, gradient at exactly 0, as PyTorch defines it)
KINKS = [
    (F.relu, 0.0),
    (F.leaky_relu, 0.01),
    (lambda x: F.leaky_relu(x, 0.3), 0.3),
    (F.elu, 1.0),
    (lambda x: F.elu(x, 0.5), 0.5),
    (F.selu, SELU_ALPHA * SELU_SCALE),
]


@pytest.mark.parametrize("op, expected", KINKS)
def test_gradient_at_the_kink(op, expected):
    x = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    op(x).sum().backward()
    assert torch.equal(x.grad, torch.full_like(x, expected))


LN2 = math.log(2.0)
PHI1 = 0.5 * (1 + math.erf(1 / math.sqrt(2)))
# (op, input, expected output): worked by hand
TOY = [
    (F.sigmoid, [0.0, math.log(3.0)], [0.5, 0.75]),
    (F.tanh, [0.0, math.log(3.0) / 2], [0.0, 0.5]),  # tanh(ln(3)/2) = (3 - 1) / (3 + 1)
    (F.relu, [-2.0, 0.0, 3.0], [0.0, 0.0, 3.0]),
    (lambda x: F.leaky_relu(x, 0.1), [-2.0, 0.0, 3.0], [-0.2, 0.0, 3.0]),
    (lambda x: F.elu(x, 2.0), [-math.log(2.0), 1.0], [-1.0, 1.0]),
    (F.selu, [1.0], [SELU_SCALE]),
    (F.gelu, [0.0, 1.0], [0.0, PHI1]),
    (F.silu, [0.0, math.log(3.0)], [0.0, 0.75 * math.log(3.0)]),
    (F.softplus, [0.0, 25.0], [LN2, 25.0]),
    (lambda x: F.softplus(x, 2.0), [0.0], [LN2 / 2]),
    (F.mish, [0.0, 1e4, -1e4], [0.0, 1e4, 0.0]),
    (lambda x: F.softmax(x, 0), [0.0, math.log(3.0)], [0.25, 0.75]),
    (lambda x: F.log_softmax(x, 0), [1e4, -1e4], [0.0, -2e4]),
]


@pytest.mark.parametrize("op, x, expected", TOY)
def test_hand_computed_values(op, x, expected):
    y = op(torch.tensor(x, dtype=torch.float64))
    torch.testing.assert_close(y, torch.tensor(expected, dtype=torch.float64))


def test_tanh_keeps_relative_accuracy_near_zero():
    x = torch.tensor([1e-10, -1e-20, 1e-5], dtype=torch.float32)
    torch.testing.assert_close(F.tanh(x), torch.tanh(x), rtol=1e-6, atol=0.0)


def test_softplus_threshold_above_overflow_stays_finite():
    x = torch.tensor([-50.0, 0.0, 50.0, 100.0, 1e4], dtype=torch.float32, requires_grad=True)
    y = F.softplus(x, threshold=1e6)
    y.sum().backward()
    torch.testing.assert_close(y, torch.log1p(torch.exp(x.double())).where(x < 80, x.double()).float())
    assert torch.isfinite(x.grad).all()
    half = torch.tensor([15.0, -15.0], dtype=torch.float16)
    torch.testing.assert_close(F.softplus(half), torch.tensor([15.0, 3.06e-7], dtype=torch.float16))


@pytest.mark.parametrize("shape, dim", [((0,), 0), ((0, 3), 1), ((3, 0), 1), ((2, 0, 4), 0)])
@pytest.mark.parametrize("name", list(ALL))
def test_empty_tensors(name, shape, dim):
    ours, peer = ALL[name]
    if name in SOFTMAXES:
        ours = (F.softmax if name.startswith("softmax") else F.log_softmax)
        ours = (lambda op: (lambda t: op(t, dim)))(ours)
    x = torch.empty(shape, requires_grad=True)
    y = ours(x)
    y.sum().backward()
    assert y.shape == x.shape and x.grad.shape == x.shape


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
@pytest.mark.parametrize("name", list(ALL))
def test_dtype_is_kept_and_values_close(name, dtype):
    ours, _ = ALL[name]
    x = (torch.randn(4, 6, dtype=torch.float64) * 3).to(dtype)
    y, dx = _value_and_grad(ours, x, torch.ones(4, 6, dtype=dtype))
    assert y.dtype == dtype and dx.dtype == dtype
    y64, dx64 = _value_and_grad(ours, x.double(), torch.ones(4, 6, dtype=torch.float64))
    tol = {torch.float32: dict(rtol=1e-4, atol=1e-5), torch.float64: {}, torch.bfloat16: dict(rtol=5e-2, atol=5e-2)}[dtype]
    torch.testing.assert_close(y.double(), y64, **tol)
    torch.testing.assert_close(dx.double(), dx64, **tol)


# ---------------------------------------------------------------- properties of softmax

finite = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=1, max_size=12))
def test_softmax_sums_to_one(values):
    y = F.softmax(torch.tensor(values, dtype=torch.float64), dim=0)
    assert torch.isfinite(y).all() and (y >= 0).all()
    assert abs(float(y.sum()) - 1.0) < 1e-12


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-50, 50), min_size=1, max_size=12), st.floats(-1e3, 1e3))
def test_softmax_is_invariant_to_adding_a_constant(values, c):
    x = torch.tensor(values, dtype=torch.float64)
    torch.testing.assert_close(F.softmax(x + c, 0), F.softmax(x, 0), rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(F.log_softmax(x + c, 0), F.log_softmax(x, 0), rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.floats(-40, 40), st.floats(-40, 40), st.floats(-3, 3))
def test_two_class_softmax_is_sigmoid_of_the_difference(z1, z2, g):
    """softmax([z1, z2])_1 = sigmoid(z1 - z2), in value and in the gradient w.r.t. both logits."""
    z = torch.tensor([z1, z2], dtype=torch.float64, requires_grad=True)
    p = F.softmax(z, 0)[0]
    (p * g).backward()
    a = torch.tensor(z1, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(z2, dtype=torch.float64, requires_grad=True)
    s = F.sigmoid(a - b)
    (s * g).backward()
    torch.testing.assert_close(p.detach(), s.detach(), rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(z.grad, torch.stack([a.grad, b.grad]), rtol=1e-9, atol=1e-15)


# ---------------------------------------------------------------- bad input

ONE_ARG = [F.sigmoid, F.tanh, F.relu, F.leaky_relu, F.elu, F.selu, F.gelu, F.silu, F.softplus, F.mish]


@pytest.mark.parametrize("op", ONE_ARG + [lambda x: F.softmax(x, 0), lambda x: F.log_softmax(x, 0)])
def test_rejects_non_tensors_and_integer_tensors(op):
    with pytest.raises(TypeError, match="input must be a torch.Tensor; got list"):
        op([1.0, 2.0])
    with pytest.raises(TypeError, match="input must be a floating-point tensor .* got dtype torch.int64"):
        op(torch.tensor([1, 2]))


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda x: F.leaky_relu(x, "0.1"), TypeError, "negative_slope must be a real number; got str"),
        (lambda x: F.leaky_relu(x, True), TypeError, "negative_slope must be a real number; got bool"),
        (lambda x: F.elu(x, None), TypeError, "alpha must be a real number; got NoneType"),
        (lambda x: F.elu(x, float("nan")), ValueError, "alpha must not be NaN"),
        (lambda x: F.softplus(x, beta="2"), TypeError, "beta must be a real number; got str"),
        (lambda x: F.softplus(x, beta=0), ValueError, "beta must be non-zero"),
        (lambda x: F.softplus(x, threshold=[20]), TypeError, "threshold must be a real number; got list"),
        (lambda x: F.gelu(x, "erf"), ValueError, "approximate='erf' must be one of 'none', 'tanh'"),
        (lambda x: F.softmax(x, 2), ValueError, r"dim must be in \[-2, 1\] for input of shape \(2, 3\); got 2"),
        (lambda x: F.log_softmax(x, -3), ValueError, r"dim must be in \[-2, 1\]"),
        (lambda x: F.softmax(x, 1.0), TypeError, "dim must be an int; got float"),
        (lambda x: F.log_softmax(x, None), TypeError, "dim must be an int; got NoneType"),
    ],
)
def test_bad_arguments_raise(call, error, match):
    with pytest.raises(error, match=match):
        call(torch.zeros(2, 3))


def test_softmax_of_a_scalar_accepts_dim_0_and_minus_1():
    x = torch.tensor(2.5)
    assert float(F.softmax(x, 0)) == 1.0 and float(F.log_softmax(x, -1)) == 0.0
