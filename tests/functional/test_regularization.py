"""Tests for mustknow.functional.regularization: dropout (gradients, statistics,
per-sample masks, exact edge cases), channel dropout, Gaussian noise, the L1/L2
penalties, soft thresholding, the L1 proximal step on a LASSO problem with a
closed-form solution, and PyTorch's weight decay against explicit penalties."""

import math

import pytest
import torch
import torch.nn.functional as TF
from torch.autograd import gradcheck, gradgradcheck

from mustknow.functional import (
    dropout,
    dropout2d,
    gaussian_noise,
    l1_penalty,
    l2_penalty,
    proximal_l1_,
    soft_threshold,
)

F64 = torch.float64


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


# --------------------------------------------------------------------------
# dropout: gradients
# --------------------------------------------------------------------------

# gradcheck evaluates the function many times; a fresh generator with a fixed
# seed at every call draws the same mask each time, so the function is fixed.
@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("fn, shape", [(dropout, (3, 5)), (dropout2d, (3, 4, 2, 2)), (dropout2d, (2, 3, 4))])
def test_dropout_gradcheck(fn, shape, p):
    x = torch.randn(shape, dtype=F64, requires_grad=True)

    def f(x):
        return fn(x, p, generator=_gen(7))

    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_matches_torch_on_same_seed(p):
    # Both draw one bernoulli_(1 - p) of the input's shape from the global
    # generator and scale by 1 / (1 - p): identical values and gradients.
    x = torch.randn(6, 7, dtype=F64, requires_grad=True)
    torch.manual_seed(3)
    ours = dropout(x, p)
    torch.manual_seed(3)
    ref = TF.dropout(x, p)
    torch.testing.assert_close(ours, ref, rtol=0, atol=0)
    g = torch.randn_like(ours)
    torch.testing.assert_close(torch.autograd.grad(ours, x, g)[0], torch.autograd.grad(ref, x, g)[0])


@pytest.mark.parametrize("shape", [(4, 5, 3, 3), (4, 5, 6)])
def test_dropout2d_matches_torch_on_same_seed(shape):
    x = torch.randn(shape, dtype=F64, requires_grad=True)
    torch.manual_seed(5)
    ours = dropout2d(x, 0.4)
    torch.manual_seed(5)
    ref = TF.dropout2d(x, 0.4) if len(shape) == 4 else TF.dropout1d(x, 0.4)
    torch.testing.assert_close(ours, ref, rtol=0, atol=0)
    g = torch.randn_like(ours)
    torch.testing.assert_close(torch.autograd.grad(ours, x, g)[0], torch.autograd.grad(ref, x, g)[0])


def test_dropout_backward_is_mask_over_keep_probability():
    p = 0.25
    x = torch.randn(50, 40, dtype=F64, requires_grad=True)
    y = dropout(x, p, generator=_gen(1))
    (grad,) = torch.autograd.grad(y.sum(), x)
    kept = y != 0
    torch.testing.assert_close(grad, kept.to(F64) / (1 - p), rtol=0, atol=0)


# --------------------------------------------------------------------------
# dropout: statistics on a seeded generator
# --------------------------------------------------------------------------

N_STAT = 200_000
Z = 5.0  # two-sided tail of 5 standard errors: ~6e-7 for a fair implementation


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_preserves_mean(p):
    # y_i = b_i / (1 - p) x_i with x_i = 1 and b_i ~ Bernoulli(1 - p):
    # E[y_i] = 1, Var[y_i] = (1 - p) p / (1 - p)^2 = p / (1 - p), so the mean
    # of n values has standard error sqrt(p / ((1 - p) n)). Without the
    # 1/(1-p) scaling the mean would be 1 - p, tens of standard errors away.
    y = dropout(torch.ones(N_STAT, dtype=F64), p, generator=_gen(11))
    se = math.sqrt(p / ((1 - p) * N_STAT))
    assert abs(float(y.mean()) - 1.0) < Z * se


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_fraction_dropped_is_p(p):
    # The number dropped is Binomial(n, p): the fraction has standard error
    # sqrt(p (1 - p) / n).
    y = dropout(torch.ones(N_STAT, dtype=F64), p, generator=_gen(12))
    frac = float((y == 0).double().mean())
    assert abs(frac - p) < Z * math.sqrt(p * (1 - p) / N_STAT)
    # Kept values are exactly 1 / (1 - p).
    assert torch.equal(y[y != 0], torch.full_like(y[y != 0], 1 / (1 - p)))


def test_dropout_masks_differ_across_samples_of_a_batch():
    # Per element of every sample: no two samples of one batch share a mask,
    # and no feature is dropped for the whole batch at once (which a
    # batch-shared mask of shape (1, D) would do for about half the features).
    y = dropout(torch.ones(16, 256), 0.5, generator=_gen(2))
    masks = y != 0  # (N, D)
    for i in range(16):
        for j in range(i + 1, 16):
            assert not torch.equal(masks[i], masks[j])
    column_constant = masks.all(dim=0) | (~masks).all(dim=0)  # (N, D) -> (D,)
    assert not column_constant.any()


def test_dropout_is_random_per_call_and_reproducible_per_seed():
    x = torch.ones(1000)
    assert torch.equal(dropout(x, 0.5, generator=_gen(4)), dropout(x, 0.5, generator=_gen(4)))
    g = _gen(4)
    assert not torch.equal(dropout(x, 0.5, generator=g), dropout(x, 0.5, generator=g))


# --------------------------------------------------------------------------
# dropout: exact edge cases
# --------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [dropout, dropout2d])
def test_eval_mode_is_identity(fn):
    x = torch.randn(2, 3, 4, 4, requires_grad=True)
    assert fn(x, 0.7, training=False) is x


@pytest.mark.parametrize("fn", [dropout, dropout2d])
def test_p0_is_identity(fn):
    x = torch.randn(2, 3, 4, 4, requires_grad=True)
    y = fn(x, 0.0)
    assert torch.equal(y, x)
    (grad,) = torch.autograd.grad(y.sum(), x)
    assert torch.equal(grad, torch.ones_like(x))


@pytest.mark.parametrize("fn", [dropout, dropout2d])
def test_p1_gives_exact_zeros(fn):
    x = torch.randn(2, 3, 4, 4, requires_grad=True)
    with torch.no_grad():
        x[0, 0, 0, 0] = math.inf  # no 0 * inf = NaN
    y = fn(x, 1.0)
    assert torch.equal(y, torch.zeros_like(x))
    (grad,) = torch.autograd.grad(y.sum(), x)
    assert torch.equal(grad, torch.zeros_like(x))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, F64])
@pytest.mark.parametrize("fn", [dropout, dropout2d])
def test_dropout_keeps_dtype_and_shape(fn, dtype):
    x = torch.randn(2, 3, 4, 4).to(dtype)
    y = fn(x, 0.5)
    assert y.dtype == dtype and y.shape == x.shape


def test_dropout2d_drops_whole_channels():
    p = 0.5
    y = dropout2d(torch.ones(64, 32, 5, 5, dtype=F64), p, generator=_gen(9))
    dropped = (y == 0).all(dim=(2, 3))  # (N, C, H, W) -> (N, C)
    kept = (y == 1 / (1 - p)).all(dim=(2, 3))  # (N, C, H, W) -> (N, C)
    assert torch.equal(dropped | kept, torch.ones_like(dropped))
    n = dropped.numel()
    assert abs(float(dropped.double().mean()) - p) < Z * math.sqrt(p * (1 - p) / n)
    # channel masks differ between samples
    assert not all(torch.equal(dropped[0], dropped[i]) for i in range(1, 64))


def test_dropout2d_on_3d_input_drops_whole_rows():
    y = dropout2d(torch.ones(8, 16, 10), 0.5, generator=_gen(3))
    per_channel = y.amax(dim=2) == y.amin(dim=2)  # (N, C, L) -> (N, C)
    assert per_channel.all()


# --------------------------------------------------------------------------
# dropout: errors
# --------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [dropout, dropout2d])
@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_p_outside_unit_interval(fn, p):
    with pytest.raises(ValueError, match="p must be"):
        fn(torch.ones(2, 3, 4), p)


def test_dropout_rejects_bad_arguments():
    with pytest.raises(TypeError, match="floating-point"):
        dropout(torch.ones(3, dtype=torch.long))
    with pytest.raises(TypeError, match="training must be a bool"):
        dropout(torch.ones(3), 0.5, training=1)
    with pytest.raises(TypeError, match="generator must be a torch.Generator"):
        dropout(torch.ones(3), 0.5, generator=0)
    with pytest.raises(TypeError, match="p must be a real number"):
        dropout(torch.ones(3), "0.5")


@pytest.mark.parametrize("shape", [(4,), (2, 3), (1, 2, 3, 4, 5)])
def test_dropout2d_rejects_wrong_ndim(shape):
    with pytest.raises(ValueError, match=r"3-D or 4-D \(N, C, L\) or \(N, C, H, W\)"):
        dropout2d(torch.ones(shape), 0.5)


# --------------------------------------------------------------------------
# Gaussian noise
# --------------------------------------------------------------------------

def test_gaussian_noise_statistics_and_gradient():
    std, n = 0.3, N_STAT
    x = torch.zeros(n, dtype=F64, requires_grad=True)
    y = gaussian_noise(x, std, generator=_gen(5))
    (grad,) = torch.autograd.grad(y.sum(), x)
    y = y.detach()
    # mean of n N(0, std^2) draws: standard error std / sqrt(n); the sample
    # variance has standard error ~ std^2 sqrt(2 / n).
    assert abs(float(y.mean())) < Z * std / math.sqrt(n)
    assert abs(float(y.var()) - std**2) < Z * std**2 * math.sqrt(2 / n)
    assert torch.equal(grad, torch.ones_like(x))


def test_gaussian_noise_identity_cases_and_errors():
    x = torch.randn(3, 4)
    assert gaussian_noise(x, 0.5, training=False) is x
    assert gaussian_noise(x, 0.0) is x
    with pytest.raises(ValueError, match="std must be >= 0"):
        gaussian_noise(x, -0.1)


# --------------------------------------------------------------------------
# penalties
# --------------------------------------------------------------------------

PENALTY_TOYS = [
    # params, sum |w|, 0.5 sum w^2
    ([[1.0, -2.0], [3.0]], 6.0, 7.0),
    ([[0.0, 0.0, 0.0]], 0.0, 0.0),
    ([[-0.5], [[1.0, -1.0], [2.0, 0.0]]], 4.5, 3.125),
]


@pytest.mark.parametrize("params, l1, l2", PENALTY_TOYS)
def test_penalty_toy_values(params, l1, l2):
    tensors = [torch.tensor(p, dtype=F64) for p in params]
    assert float(l1_penalty(tensors)) == l1
    assert float(l2_penalty(iter(tensors))) == l2  # a one-shot iterator works too


def test_penalty_gradients():
    w = torch.tensor([[1.5, -2.0, 0.0], [0.25, -0.0, 3.0]], dtype=F64, requires_grad=True)
    b = torch.tensor([-1.0, 4.0], dtype=F64, requires_grad=True)
    gw, gb = torch.autograd.grad(l2_penalty([w, b]), [w, b])
    assert torch.equal(gw, w) and torch.equal(gb, b)  # the gradient of l2_penalty is w itself
    gw, gb = torch.autograd.grad(l1_penalty([w, b]), [w, b])
    assert torch.equal(gw, torch.sign(w)) and torch.equal(gb, torch.sign(b))  # 0 at w = 0


def test_penalties_on_model_parameters():
    model = torch.nn.Linear(3, 2).double()
    flat = torch.cat([p.flatten() for p in model.parameters()])
    torch.testing.assert_close(l1_penalty(model.parameters()), flat.abs().sum())
    torch.testing.assert_close(l2_penalty(model.parameters()), 0.5 * flat.pow(2).sum())
    torch.testing.assert_close(l2_penalty(model.weight), 0.5 * model.weight.pow(2).sum())


@pytest.mark.parametrize("fn", [l1_penalty, l2_penalty, lambda p: proximal_l1_(p, 0.1, 0.1)])
def test_penalties_reject_bad_params(fn):
    with pytest.raises(ValueError, match="params must contain at least one tensor"):
        fn([])
    with pytest.raises(ValueError, match="params must contain at least one tensor"):
        fn(torch.nn.ReLU().parameters())
    with pytest.raises(TypeError, match=r"params\[1\] must be a torch.Tensor"):
        fn([torch.ones(2), 3.0])
    with pytest.raises(TypeError, match="params must be a tensor or an iterable"):
        fn(3.0)


# --------------------------------------------------------------------------
# soft thresholding
# --------------------------------------------------------------------------

SOFT_TOYS = [
    # w, t, S_t(w), dS/dw
    (2.0, 1.0, 1.0, 1.0),
    (-2.0, 1.0, -1.0, 1.0),
    (0.5, 1.0, 0.0, 0.0),
    (-0.5, 1.0, 0.0, 0.0),
    (1.0, 1.0, 0.0, 0.0),  # the kink: value 0, gradient 0
    (-1.0, 1.0, 0.0, 0.0),
    (0.0, 0.0, 0.0, 0.0),
    (0.3, 0.0, 0.3, 1.0),  # t = 0 is the identity
    (1e300, 1.0, 1e300, 1.0),
    (math.inf, 1.0, math.inf, 1.0),
]


@pytest.mark.parametrize("w, t, value, slope", SOFT_TOYS)
def test_soft_threshold_toy_cases(w, t, value, slope):
    x = torch.tensor(w, dtype=F64, requires_grad=True)
    y = soft_threshold(x, t)
    assert float(y.detach()) == value
    (grad,) = torch.autograd.grad(y, x)
    assert float(grad) == slope


def test_soft_threshold_gradcheck_away_from_kinks():
    t = 0.4
    x = torch.randn(40, dtype=F64)
    x = x[(x.abs() - t).abs() > 1e-3].requires_grad_()  # finite differences need |w| != t
    assert gradcheck(lambda w: soft_threshold(w, t), (x,))
    assert gradgradcheck(lambda w: soft_threshold(w, t), (x,))


@pytest.mark.parametrize("t", [0.0, 0.5, 2.0])
def test_soft_threshold_matches_softshrink(t):
    x = torch.cat([torch.randn(200, dtype=F64) * 2, torch.tensor([t, -t, 0.0, 1e10, -1e10], dtype=F64)])
    x.requires_grad_()
    ours, ref = soft_threshold(x, t), TF.softshrink(x, t)
    torch.testing.assert_close(ours, ref, rtol=0, atol=0)
    g = torch.randn_like(ours)
    torch.testing.assert_close(torch.autograd.grad(ours, x, g)[0], torch.autograd.grad(ref, x, g)[0])


def test_soft_threshold_errors():
    with pytest.raises(ValueError, match="t must be >= 0"):
        soft_threshold(torch.ones(2), -0.1)
    with pytest.raises(TypeError, match="w must be a floating-point tensor"):
        soft_threshold(torch.ones(2, dtype=torch.long), 0.1)


# --------------------------------------------------------------------------
# the proximal step on a LASSO problem with a closed-form solution
# --------------------------------------------------------------------------

def _orthonormal_lasso():
    """min_w 0.5 ||y - X w||^2 + lam ||w||_1 with X^T X = I.

    Then 0.5 ||y - X w||^2 = 0.5 ||w - X^T y||^2 + const, the problem
    separates per coordinate and its solution is w* = S_lam(X^T y): the
    least-squares solution soft-thresholded (Tibshirani 1996, section 2.2).
    """
    gen = _gen(21)
    n, d = 30, 8
    x, _ = torch.linalg.qr(torch.randn(n, d, generator=gen, dtype=F64))  # (n, d), orthonormal columns
    w_ls = torch.tensor([3.0, -2.0, 0.1, -0.05, 1.5, 0.2, -0.3, 0.02], dtype=F64)
    r = torch.randn(n, generator=gen, dtype=F64)
    y = x @ w_ls + (r - x @ (x.T @ r))  # residual orthogonal to the columns: X^T y = w_ls
    lam = 0.5
    w_star = torch.sign(w_ls) * (w_ls.abs() - lam).clamp_min(0)  # [2.5, -1.5, 0, 0, 1, 0, 0, 0]
    return x, y, lam, w_star


def _descend(x, y, lam, proximal, steps=100, lr=0.5):
    w = torch.zeros(x.shape[1], dtype=F64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = 0.5 * (y - x @ w).pow(2).sum()
        if not proximal:
            loss = loss + lam * l1_penalty(w)  # subgradient descent on the full objective
        loss.backward()
        opt.step()
        if proximal:
            proximal_l1_(w, lr, lam)
    return w.detach()


def test_proximal_step_solves_lasso_with_exact_zeros():
    x, y, lam, w_star = _orthonormal_lasso()
    w = _descend(x, y, lam, proximal=True)
    torch.testing.assert_close(w, w_star, rtol=0, atol=1e-12)
    assert torch.equal(w == 0, w_star == 0)  # exactly zero where the solution is


def test_subgradient_descent_oscillates_without_exact_zeros():
    x, y, lam, w_star = _orthonormal_lasso()
    w = _descend(x, y, lam, proximal=False)
    zero = w_star == 0
    assert not (w[zero] == 0).any()  # never lands on 0 ...
    assert (w[zero].abs() <= 0.5 * lam + 1e-9).all()  # ... but hovers within lr * lam of it
    torch.testing.assert_close(w[~zero], w_star[~zero], rtol=0, atol=1e-9)


def test_proximal_l1_in_place_values_and_return():
    w = torch.tensor([0.05, -0.3, 2.0, -0.1])
    out = proximal_l1_(w, lr=0.1, l1=1.0)
    assert out is w
    torch.testing.assert_close(w, torch.tensor([0.0, -0.2, 1.9, 0.0]))
    assert float(w[0]) == 0.0 and float(w[3]) == 0.0
    model = torch.nn.Linear(4, 3)
    params = proximal_l1_(model.parameters(), lr=1.0, l1=10.0)  # threshold 10 zeros everything
    assert len(params) == 2 and all(p.requires_grad and torch.equal(p, torch.zeros_like(p)) for p in params)


def test_proximal_l1_errors():
    with pytest.raises(ValueError, match="lr must be > 0"):
        proximal_l1_(torch.ones(2), 0.0, 0.1)
    with pytest.raises(ValueError, match="l1 must be >= 0"):
        proximal_l1_(torch.ones(2), 0.1, -1.0)


# --------------------------------------------------------------------------
# weight decay in torch.optim vs explicit penalties (module docstring)
# --------------------------------------------------------------------------

def _tiny_problem():
    gen = _gen(31)
    model = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    data = torch.randn(16, 4, generator=gen, dtype=F64)
    target = torch.randn(16, 2, generator=gen, dtype=F64)
    return model, data, target


def _trajectory(make_opt, lam_explicit=0.0, pre_step=None, steps=6):
    torch.manual_seed(0)
    model, data, target = _tiny_problem()
    opt = make_opt(model.parameters())
    for _ in range(steps):
        opt.zero_grad()
        loss = (model(data) - target).pow(2).mean()
        if lam_explicit:
            loss = loss + lam_explicit * l2_penalty(model.parameters())
        loss.backward()
        if pre_step is not None:
            pre_step(model)
        opt.step()
    return torch.cat([p.detach().flatten() for p in model.parameters()])


LAM = 0.1


@pytest.mark.parametrize(
    "make",
    [
        lambda wd: (lambda ps: torch.optim.SGD(ps, lr=0.1, weight_decay=wd)),
        lambda wd: (lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=wd)),
        lambda wd: (lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=wd)),
        lambda wd: (lambda ps: torch.optim.Adam(ps, lr=0.01, weight_decay=wd)),
    ],
    ids=["sgd", "sgd-momentum", "sgd-nesterov", "adam"],
)
def test_coupled_weight_decay_equals_l2_penalty(make):
    with_decay = _trajectory(make(LAM))
    with_penalty = _trajectory(make(0.0), lam_explicit=LAM)
    assert (with_decay - with_penalty).abs().max() < 1e-12
    assert (with_decay - _trajectory(make(0.0))).abs().max() > 1e-4  # the decay did something


def test_adamw_is_decoupled_shrink_then_adam():
    lr = 0.01

    def shrink(model):
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(1 - lr * LAM)  # w <- w - lr * lam * w, multiplied by the learning rate

    adamw = _trajectory(lambda ps: torch.optim.AdamW(ps, lr=lr, weight_decay=LAM))
    manual = _trajectory(lambda ps: torch.optim.Adam(ps, lr=lr), pre_step=shrink)
    assert (adamw - manual).abs().max() < 1e-12
    adam_l2 = _trajectory(lambda ps: torch.optim.Adam(ps, lr=lr, weight_decay=LAM))
    assert (adamw - adam_l2).abs().max() > 1e-4  # decoupled decay is not Adam's L2
