"""Tests for mustknow.functional.losses: values and gradients against PyTorch,
hand-computed toy cases, extreme logits, kinks, empty and ignored batches,
dtypes, properties and every error."""

import math

import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

from mustknow.functional import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    focal_loss,
    hinge_loss,
    logistic_loss,
    multi_margin_loss,
    zero_one_loss,
)

F64 = torch.float64
REDUCTIONS = ("mean", "sum", "none")
EXTREMES = torch.tensor([1e4, -1e4, 30.0, -30.0, 0.0, 1e-3], dtype=F64)
HYP = settings(max_examples=40, deadline=None)


def _grads(out, inputs, seed=1):
    """Gradients of ``out`` w.r.t. ``inputs`` for a seeded random upstream gradient."""
    g = torch.randn(out.shape, dtype=out.dtype, generator=torch.Generator().manual_seed(seed))
    return torch.autograd.grad(out, inputs, g)


def _assert_same(ours, ref, inputs, **tol):
    """Values and gradients of two graphs agree."""
    torch.testing.assert_close(ours, ref, **tol)
    for a, b in zip(_grads(ours, inputs), _grads(ref, inputs)):
        torch.testing.assert_close(a, b, **tol)


def _signs(n, seed=0):
    return torch.randint(0, 2, (n,), generator=torch.Generator().manual_seed(seed)) * 2 - 1


# --------------------------------------------------------------------------
# hand-computed toy cases
# --------------------------------------------------------------------------

LOG2 = math.log(2.0)
TOY = [
    # (name, fn, kwargs, input, target, expected per-element loss)
    ("0-1 binary", zero_one_loss, {}, [2.0, -1.0, 0.0, -3.0], [1, 1, -1, -1], [0.0, 1.0, 1.0, 0.0]),
    ("0-1 multiclass", zero_one_loss, {}, [[1.0, 2.0], [3.0, 0.0]], [1, 1], [0.0, 1.0]),
    ("hinge", hinge_loss, {}, [2.0, 1.0, 0.5, -1.0], [1, 1, 1, 1], [0.0, 0.0, 0.5, 2.0]),
    ("hinge margin 0", hinge_loss, {"margin": 0.0}, [2.0, -0.5], [1, 1], [0.0, 0.5]),
    ("logistic", logistic_loss, {}, [0.0, 0.0], [1, -1], [LOG2, LOG2]),
    # multiclass hinge: s = (0.1, 0.2, 0.4, 0.8), y = 3: (0.3 + 0.4 + 0.6) / 4
    ("multi margin p1", multi_margin_loss, {}, [[0.1, 0.2, 0.4, 0.8]], [3], [0.325]),
    ("multi margin p2", multi_margin_loss, {"p": 2}, [[0.1, 0.2, 0.4, 0.8]], [3], [(0.09 + 0.16 + 0.36) / 4]),
    # two equal logits: -log(1/2)
    ("cross entropy", cross_entropy, {}, [[0.0, 0.0], [0.0, math.log(3.0)]], [0, 1], [LOG2, math.log(4 / 3)]),
    # q' = (0.75, 0.25) against p = (1/2, 1/2)
    ("ce smoothing", cross_entropy, {"label_smoothing": 0.5}, [[0.0, 0.0]], [0], [LOG2]),
    ("bce", binary_cross_entropy_with_logits, {}, [0.0, 0.0], [1.0, 0.5], [LOG2, LOG2]),
    # p_t = 1/2, (1 - p_t)^2 = 1/4
    ("focal binary", focal_loss, {}, [0.0], [1.0], [LOG2 / 4]),
    ("focal multiclass", focal_loss, {"gamma": 1.0}, [[0.0, 0.0]], [1], [LOG2 / 2]),
]


@pytest.mark.parametrize("name,fn,kwargs,x,t,expected", TOY, ids=[row[0] for row in TOY])
def test_toy_values(name, fn, kwargs, x, t, expected):
    x = torch.tensor(x, dtype=F64)
    t = torch.tensor(t, dtype=F64 if isinstance(t[0], float) else torch.long)
    out = fn(x, t, reduction="none", **kwargs)
    torch.testing.assert_close(out, torch.tensor(expected, dtype=F64))
    torch.testing.assert_close(fn(x, t, reduction="sum", **kwargs), torch.tensor(sum(expected), dtype=F64))


# --------------------------------------------------------------------------
# 0-1 loss
# --------------------------------------------------------------------------


def test_zero_one_has_no_gradient_and_matches_accuracy():
    x = torch.randn(50, 4, requires_grad=True)
    t = torch.randint(0, 4, (50,))
    loss = zero_one_loss(x, t)
    assert not loss.requires_grad
    assert loss.item() == pytest.approx(1 - (x.argmax(1) == t).float().mean().item())
    s = torch.randn(20, requires_grad=True)
    assert not zero_one_loss(s, _signs(20)).requires_grad


def test_zero_one_k_dim_and_empty():
    x = torch.randn(2, 3, 4, 5)
    t = torch.randint(0, 3, (2, 4, 5))
    torch.testing.assert_close(zero_one_loss(x, t, reduction="none"), (x.argmax(1) != t).float())
    assert zero_one_loss(torch.empty(0), torch.empty(0)).item() == 0.0


# --------------------------------------------------------------------------
# hinge loss
# --------------------------------------------------------------------------


@pytest.mark.parametrize("margin", [0.0, 1.0, 2.5])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_vs_relu_reference(margin, reduction):
    s = torch.cat([torch.randn(20, dtype=F64) * 3, EXTREMES]).requires_grad_()
    y = _signs(s.numel())
    ref = torch.relu(margin - y * s)
    ref = {"mean": ref.mean(), "sum": ref.sum(), "none": ref}[reduction]
    _assert_same(hinge_loss(s, y, margin, reduction), ref, (s,))


def test_hinge_exact_kink_uses_zero_subgradient():
    s = torch.tensor([1.0, -1.0, 0.5, -0.5], dtype=F64, requires_grad=True)
    y = torch.tensor([1, -1, 1, -1])
    loss = hinge_loss(s, y, reduction="none")
    loss.sum().backward()
    torch.testing.assert_close(loss, torch.tensor([0.0, 0.0, 0.5, 0.5], dtype=F64))
    torch.testing.assert_close(s.grad, torch.tensor([0.0, 0.0, -1.0, 1.0], dtype=F64))


def test_hinge_gradcheck():
    s = torch.randn(10, dtype=F64, requires_grad=True)
    y = _signs(10)
    assert torch.autograd.gradcheck(lambda s: hinge_loss(s, y, 0.7), (s,))


# --------------------------------------------------------------------------
# multi margin loss
# --------------------------------------------------------------------------


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(8, 5), (5,)])
def test_multi_margin_vs_torch(p, weighted, reduction, shape):
    x = (torch.randn(shape, dtype=F64) * 2).requires_grad_()
    t = torch.randint(0, 5, shape[:-1])
    w = torch.rand(5, dtype=F64) if weighted else None
    ours = multi_margin_loss(x, t, p, 0.7, w, reduction)
    _assert_same(ours, TF.multi_margin_loss(x, t, p, 0.7, w, reduction=reduction), (x,))
    assert torch.autograd.gradcheck(lambda x: multi_margin_loss(x, t, p, 0.7, w, reduction), (x,))
    if p == 2:
        assert torch.autograd.gradgradcheck(lambda x: multi_margin_loss(x, t, p, 0.7, w, reduction), (x,))


def test_multi_margin_extremes_and_exact_kink():
    # z = margin - s_y + s_c = 0 exactly for class 1: zero subgradient, as PyTorch.
    x = torch.tensor([[1.0, 0.0, -1e4], [1e4, -1e4, 30.0]], dtype=F64, requires_grad=True)
    t = torch.tensor([0, 1])
    _assert_same(multi_margin_loss(x, t), TF.multi_margin_loss(x, t), (x,))


def test_multi_margin_empty_batch_is_zero():
    x = torch.empty(0, 3, requires_grad=True)
    loss = multi_margin_loss(x, torch.empty(0, dtype=torch.long))
    loss.backward()
    assert loss.item() == 0.0 and x.grad.shape == (0, 3)


# --------------------------------------------------------------------------
# cross-entropy
# --------------------------------------------------------------------------

CE_SHAPES = [((6, 4), (6,)), ((3, 4, 2, 3), (3, 2, 3)), ((4,), ())]


@pytest.mark.parametrize("shape,tshape", CE_SHAPES, ids=["NC", "NCHW", "C"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_index_vs_torch(shape, tshape, weighted, smoothing, reduction):
    x = (torch.randn(shape, dtype=F64) * 3).requires_grad_()
    t = torch.randint(0, 4, tshape)
    if t.dim() > 0:
        t.view(-1)[0] = -100
    w = torch.rand(4, dtype=F64) + 0.1 if weighted else None
    ours = cross_entropy(x, t, w, reduction=reduction, label_smoothing=smoothing)
    ref = TF.cross_entropy(x, t, w, reduction=reduction, label_smoothing=smoothing)
    _assert_same(ours, ref, (x,))


@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 2, 3), (4,)], ids=["NC", "NCHW", "C"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities_vs_torch(shape, weighted, smoothing, reduction):
    class_dim = 0 if len(shape) == 1 else 1
    x = (torch.randn(shape, dtype=F64) * 3).requires_grad_()
    t = torch.softmax(torch.randn(shape, dtype=F64), class_dim).requires_grad_()
    w = torch.rand(4, dtype=F64) + 0.1 if weighted else None
    ours = cross_entropy(x, t, w, reduction=reduction, label_smoothing=smoothing)
    ref = TF.cross_entropy(x, t, w, reduction=reduction, label_smoothing=smoothing)
    _assert_same(ours, ref, (x, t))


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_gradcheck_and_gradgradcheck(weighted, smoothing):
    x = torch.randn(3, 4, 2, dtype=F64, requires_grad=True)
    t = torch.tensor([[0, 3], [-100, 1], [2, 2]])
    w = torch.rand(4, dtype=F64) + 0.1 if weighted else None
    f = lambda x: cross_entropy(x, t, w, label_smoothing=smoothing)  # noqa: E731
    assert torch.autograd.gradcheck(f, (x,))
    assert torch.autograd.gradgradcheck(f, (x,))
    tp = torch.softmax(torch.randn(3, 4, 2, dtype=F64), 1).requires_grad_()
    g = lambda x, tp: cross_entropy(x, tp, w, label_smoothing=smoothing)  # noqa: E731
    assert torch.autograd.gradcheck(g, (x, tp))
    assert torch.autograd.gradgradcheck(g, (x, tp))


@pytest.mark.parametrize("dtype", [torch.float32, F64])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_extreme_logits(dtype, smoothing):
    x = torch.tensor(
        [[1e4, -1e4, 0.0], [-1e4, 1e4, 30.0], [30.0, -30.0, 0.0], [1e4, 1e4, -1e4]], dtype=dtype, requires_grad=True
    )
    t = torch.tensor([1, 0, 2, 1])
    ours = cross_entropy(x, t, label_smoothing=smoothing, reduction="none")
    assert torch.isfinite(ours).all()
    _assert_same(ours, TF.cross_entropy(x, t, label_smoothing=smoothing, reduction="none"), (x,))


def test_cross_entropy_all_ignored_is_zero_with_zero_gradient():
    x = torch.randn(5, 3, requires_grad=True)
    t = torch.full((5,), -100)
    assert torch.isnan(TF.cross_entropy(x, t))  # the difference we document
    loss = cross_entropy(x, t, label_smoothing=0.1)
    loss.backward()
    assert loss.item() == 0.0
    assert torch.equal(x.grad, torch.zeros_like(x))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_empty_batch(reduction):
    x = torch.empty(0, 3, requires_grad=True)
    loss = cross_entropy(x, torch.empty(0, dtype=torch.long), reduction=reduction)
    loss.sum().backward()
    assert loss.shape == ((0,) if reduction == "none" else ())
    assert x.grad.shape == (0, 3) and torch.isfinite(loss).all()


def test_cross_entropy_backward_twice_with_retain_graph():
    # Backward must not overwrite what forward saved.
    x = torch.randn(5, 4, requires_grad=True)
    t = torch.randint(0, 4, (5,))
    loss = cross_entropy(x, t, label_smoothing=0.1)
    (first,) = torch.autograd.grad(loss, x, retain_graph=True)
    (second,) = torch.autograd.grad(loss, x)
    assert torch.equal(first, second)


def test_cross_entropy_custom_ignore_index():
    x = torch.randn(6, 4, dtype=F64, requires_grad=True)
    t = torch.tensor([0, 3, 3, 1, 2, 3])
    _assert_same(cross_entropy(x, t, ignore_index=3), TF.cross_entropy(x, t, ignore_index=3), (x,))


@given(
    logits=st.lists(st.floats(-50, 50), min_size=3, max_size=3),
    target=st.integers(0, 2),
    eps=st.floats(0.0, 1.0),
)
@HYP
def test_cross_entropy_label_smoothing_formula(logits, target, eps):
    x = torch.tensor([logits], dtype=F64)
    log_p = x - torch.logsumexp(x, 1, keepdim=True)
    expected = -(1 - eps) * log_p[0, target] - eps / 3 * log_p.sum()
    ours = cross_entropy(x, torch.tensor([target]), label_smoothing=eps)
    torch.testing.assert_close(ours, expected)
    q = torch.full((1, 3), eps / 3, dtype=F64)
    q[0, target] += 1 - eps
    torch.testing.assert_close(cross_entropy(x, q), expected)


def test_cross_entropy_probability_targets_warn_about_ignore_index():
    x = torch.randn(2, 3)
    with pytest.warns(UserWarning, match="ignore_index is ignored"):
        cross_entropy(x, torch.softmax(x, 1), ignore_index=0)


# --------------------------------------------------------------------------
# logistic loss and BCE with logits
# --------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_logistic_vs_torch(reduction):
    s = (torch.randn(20, dtype=F64) * 5).requires_grad_()
    y = _signs(s.numel())
    _assert_same(logistic_loss(s, y, reduction), TF.soft_margin_loss(s, y.to(F64), reduction=reduction), (s,))
    # soft_margin_loss overflows to inf at margin -1e4; torch's stable BCE form does not.
    s = torch.cat([s.detach(), EXTREMES]).requires_grad_()
    y = _signs(s.numel())
    ref = TF.binary_cross_entropy_with_logits(s, (y + 1).to(F64) / 2, reduction=reduction)
    _assert_same(logistic_loss(s, y, reduction), ref, (s,))


def test_logistic_gradcheck_gradgradcheck_including_zero():
    s = torch.cat([torch.randn(8, dtype=F64), torch.zeros(1, dtype=F64)]).requires_grad_()
    y = _signs(9)
    assert torch.autograd.gradcheck(lambda s: logistic_loss(s, y), (s,))
    assert torch.autograd.gradgradcheck(lambda s: logistic_loss(s, y), (s,))


@given(s=st.lists(st.floats(-1e4, 1e4), min_size=1, max_size=8), seed=st.integers(0, 100))
@HYP
def test_logistic_equals_bce_of_shifted_labels(s, seed):
    s = torch.tensor(s, dtype=F64, requires_grad=True)
    y = _signs(s.numel(), seed)
    a = logistic_loss(s, y, "none")
    b = binary_cross_entropy_with_logits(s, (y + 1).to(F64) / 2, reduction="none")
    _assert_same(a, b, (s,))


@pytest.mark.parametrize("fn", [hinge_loss, logistic_loss], ids=["hinge", "logistic"])
@given(
    a=st.floats(-40, 40),
    b=st.floats(-40, 40),
    lam=st.floats(0.0, 1.0),
    y=st.sampled_from([-1, 1]),
)
@HYP
def test_convex_in_score(fn, a, b, lam, y):
    t = torch.tensor([y])
    f = lambda s: fn(torch.tensor([s], dtype=F64), t).item()  # noqa: E731
    chord = lam * f(a) + (1 - lam) * f(b)
    assert f(lam * a + (1 - lam) * b) <= chord + 1e-9 * (1 + abs(chord))


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pos_weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_vs_torch(weighted, pos_weighted, reduction):
    x = torch.cat([torch.randn(4, 6, dtype=F64) * 3, EXTREMES.view(1, 6)]).requires_grad_()
    t = torch.rand(5, 6, dtype=F64)
    t[0, :3] = torch.tensor([0.0, 1.0, 0.5], dtype=F64)
    t.requires_grad_()
    w = torch.rand(5, 1, dtype=F64) if weighted else None
    pw = torch.rand(6, dtype=F64) * 3 if pos_weighted else None
    ours = binary_cross_entropy_with_logits(x, t, w, reduction, pw)
    ref = TF.binary_cross_entropy_with_logits(x, t, w, reduction=reduction, pos_weight=pw)
    _assert_same(ours, ref, (x, t))
    f = lambda x, t: binary_cross_entropy_with_logits(x, t, w, reduction, pw)  # noqa: E731
    x64 = torch.randn(3, 6, dtype=F64, requires_grad=True)
    t64 = torch.rand(3, 6, dtype=F64, requires_grad=True)
    if w is not None:
        w = w[:3]
    assert torch.autograd.gradcheck(f, (x64, t64))
    assert torch.autograd.gradgradcheck(f, (x64, t64))


# --------------------------------------------------------------------------
# focal loss
# --------------------------------------------------------------------------


def _focal_reference(x, t, alpha, gamma):
    """Lin et al.'s formula written with PyTorch's log_softmax (mean over non-ignored)."""
    valid = t != -100
    log_pt = TF.log_softmax(x, 1).gather(1, t.clamp_min(0).unsqueeze(1)).squeeze(1)
    a = 1.0 if alpha is None else alpha[t.clamp_min(0)]
    return (-a * (1 - log_pt.exp()) ** gamma * log_pt * valid).sum() / valid.sum()


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("with_alpha", [False, True])
def test_focal_multiclass_vs_formula(gamma, with_alpha):
    x = (torch.randn(2, 4, 3, dtype=F64) * 2).requires_grad_()
    t = torch.randint(0, 4, (2, 3))
    t[0, 0] = -100
    alpha = torch.rand(4, dtype=F64) if with_alpha else None
    _assert_same(focal_loss(x, t, alpha, gamma), _focal_reference(x, t, alpha, gamma), (x,))
    f = lambda x: focal_loss(x, t, alpha, gamma)  # noqa: E731
    assert torch.autograd.gradcheck(f, (x,))
    assert torch.autograd.gradgradcheck(f, (x,))


def test_focal_gamma_zero_equals_cross_entropy():
    x = torch.randn(6, 4, 3, dtype=F64, requires_grad=True)
    t = torch.randint(0, 4, (6, 3))
    t[1, 1] = -100
    _assert_same(focal_loss(x, t, gamma=0.0), TF.cross_entropy(x, t), (x,))


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_focal_binary_vs_formula(gamma, alpha):
    x = torch.cat([torch.randn(10, dtype=F64) * 3, EXTREMES]).requires_grad_()
    t = (torch.rand(16, dtype=F64) > 0.5).to(F64)
    t[:3] = torch.tensor([0.3, 0.5, 0.9], dtype=F64)
    p = torch.sigmoid(x)
    p_t = p * t + (1 - p) * (1 - t)
    a_t = 1.0 if alpha is None else alpha * t + (1 - alpha) * (1 - t)
    ref = (a_t * TF.binary_cross_entropy_with_logits(x, t, reduction="none") * (1 - p_t) ** gamma).mean()
    _assert_same(focal_loss(x, t, alpha, gamma), ref, (x,))
    x64 = torch.randn(8, dtype=F64, requires_grad=True)
    f = lambda x: focal_loss(x, t[:8], alpha, gamma)  # noqa: E731
    assert torch.autograd.gradcheck(f, (x64,))
    assert torch.autograd.gradgradcheck(f, (x64,))


def test_focal_extremes_and_confident_points_are_finite():
    x = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 30.0]], requires_grad=True)
    for gamma in (0.5, 2.0):
        loss = focal_loss(x, torch.tensor([0, 0]), gamma=gamma)
        (grad,) = torch.autograd.grad(loss, x)
        assert torch.isfinite(loss) and torch.isfinite(grad).all()


def test_focal_all_ignored_is_zero():
    x = torch.randn(3, 4, requires_grad=True)
    loss = focal_loss(x, torch.full((3,), -100))
    loss.backward()
    assert loss.item() == 0.0 and torch.equal(x.grad, torch.zeros_like(x))


# --------------------------------------------------------------------------
# dtypes, empty inputs
# --------------------------------------------------------------------------


def _cases(dtype):
    """(name, fn, input, target) for every loss in ``dtype``."""
    s = torch.randn(6, dtype=dtype)
    y = _signs(6)
    x = torch.randn(6, 3, dtype=dtype)
    t = torch.randint(0, 3, (6,))
    return [
        ("zero_one", zero_one_loss, s, y),
        ("hinge", hinge_loss, s, y),
        ("logistic", logistic_loss, s, y),
        ("multi_margin", multi_margin_loss, x, t),
        ("cross_entropy", cross_entropy, x, t),
        ("cross_entropy_prob", cross_entropy, x, torch.softmax(x.float(), 1).to(dtype)),
        ("bce", binary_cross_entropy_with_logits, s, torch.rand(6).to(dtype)),
        ("focal", focal_loss, x, t),
        ("focal_binary", focal_loss, s, torch.rand(6).to(dtype)),
    ]


@pytest.mark.parametrize("dtype", [torch.float32, F64, torch.bfloat16])
def test_dtype_preserved_and_close_to_float64(dtype):
    for name, fn, x, t in _cases(dtype):
        x = x.requires_grad_()
        out = fn(x, t, reduction="none")
        assert out.dtype == dtype, name
        t64 = t.to(F64) if t.is_floating_point() else t
        ref = fn(x.detach().to(F64), t64, reduction="none")
        tol = {"rtol": 5e-2, "atol": 5e-2} if dtype == torch.bfloat16 else {}
        torch.testing.assert_close(out.to(F64), ref, **tol, msg=name)
        if out.requires_grad:
            (grad,) = torch.autograd.grad(out.sum(), x)
            assert grad.dtype == dtype, name


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_empty_inputs(reduction):
    for name, fn, x, t in _cases(torch.float32):
        x, t = x[:0].requires_grad_(), t[:0]
        out = fn(x, t, reduction=reduction)
        assert torch.isfinite(out).all(), name
        assert out.shape == ((0,) if reduction == "none" else ()), name
        if reduction != "none":
            assert out.item() == 0.0, name


# --------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------

X = torch.randn(4, 3)
T = torch.tensor([0, 1, 2, 0])
S = torch.randn(4)
Y = torch.tensor([1, -1, 1, -1])

ERRORS = [
    # (fn, args, kwargs, exception, match)
    (cross_entropy, (X, T[:3]), {}, ValueError, r"target must have shape \(4,\)"),
    (cross_entropy, (X, torch.tensor([0, 1, 3, 0])), {}, ValueError, r"class indices must be in \[0, 2\]"),
    (cross_entropy, (X, torch.tensor([0, -1, 2, 0])), {}, ValueError, "found -1"),
    (cross_entropy, (X, T.float()), {}, TypeError, "looks like class indices"),
    (cross_entropy, (X, torch.rand(4, 2)), {}, ValueError, "probabilities and must have input's shape"),
    (cross_entropy, (X, torch.rand(4, 3, dtype=F64)), {}, TypeError, "must have input's dtype"),
    (cross_entropy, (X.long(), T), {}, TypeError, "input must be a floating-point tensor"),
    (cross_entropy, (X, T.tolist()), {}, TypeError, "target must be a torch.Tensor"),
    (cross_entropy, (X, T), {"weight": torch.ones(4)}, ValueError, r"weight must have shape \(C,\) = \(3,\)"),
    (cross_entropy, (X, T), {"weight": torch.ones(3, dtype=torch.long)}, TypeError, "weight must be a floating"),
    (cross_entropy, (X, T), {"reduction": "avg"}, ValueError, "reduction='avg' must be one of"),
    (cross_entropy, (X, T), {"label_smoothing": 1.5}, ValueError, "label_smoothing must be <= 1"),
    (cross_entropy, (torch.tensor(1.0), torch.tensor(0)), {}, ValueError, "got a 0-D tensor"),
    (cross_entropy, (torch.empty(4, 0), T), {}, ValueError, "at least one class"),
    (hinge_loss, (S, torch.tensor([1, 0, 1, -1])), {}, ValueError, "labels must be -1 or \\+1; found 0"),
    (hinge_loss, (S, Y), {"margin": -1.0}, ValueError, "margin must be >= 0"),
    (hinge_loss, (S, Y), {"margin": "1"}, TypeError, "margin must be a real number"),
    (hinge_loss, (S, Y[:3]), {}, ValueError, "same shape as input"),
    (hinge_loss, (S, Y.bool()), {}, TypeError, "labels -1 and \\+1"),
    (hinge_loss, (S, Y), {"reduction": "max"}, ValueError, "reduction='max'"),
    (logistic_loss, (S, Y * 2), {}, ValueError, "labels must be -1 or \\+1"),
    (logistic_loss, (S.long(), Y), {}, TypeError, "floating-point"),
    (zero_one_loss, (S, torch.tensor([1.0, 0.5, 1.0, -1.0])), {}, ValueError, "found 0.5"),
    (zero_one_loss, (X, T.float()), {}, TypeError, "must hold integer class indices"),
    (zero_one_loss, (X, torch.tensor([0, 1, 2, 3])), {}, ValueError, "found 3"),
    (multi_margin_loss, (X, T), {"p": 3}, ValueError, "p=3 must be one of 1, 2"),
    (multi_margin_loss, (X, T), {"margin": -0.5}, ValueError, "margin must be >= 0"),
    (multi_margin_loss, (X.view(2, 2, 3), T.view(2, 2)), {}, ValueError, r"1-D \(C,\) or 2-D \(N, C\)"),
    (multi_margin_loss, (X, T.float()), {}, TypeError, "integer tensor"),
    (multi_margin_loss, (X, torch.tensor([0, 1, 5, 0])), {}, ValueError, "found 5"),
    (binary_cross_entropy_with_logits, (S, Y.float()), {}, ValueError, r"probabilities in \[0, 1\]; found -1"),
    (binary_cross_entropy_with_logits, (S, Y), {}, TypeError, "target must be a floating-point"),
    (binary_cross_entropy_with_logits, (S, torch.rand(3)), {}, ValueError, "same shape as input"),
    (binary_cross_entropy_with_logits, (S, torch.rand(4, dtype=F64)), {}, TypeError, "input's dtype"),
    (binary_cross_entropy_with_logits, (S, torch.rand(4)), {"pos_weight": torch.ones(3)}, ValueError,
     "pos_weight must broadcast"),
    (binary_cross_entropy_with_logits, (S, torch.rand(4)), {"weight": torch.ones(4, 4)}, ValueError,
     "weight must broadcast"),
    (focal_loss, (X, T), {"gamma": -1.0}, ValueError, "gamma must be >= 0"),
    (focal_loss, (X, T), {"alpha": 0.25}, TypeError, "alpha must be a tensor of shape"),
    (focal_loss, (X, T), {"alpha": torch.ones(2)}, ValueError, r"alpha must have shape \(C,\) = \(3,\)"),
    (focal_loss, (S, torch.rand(4)), {"alpha": torch.ones(4)}, TypeError, "number in \\[0, 1\\] or None"),
    (focal_loss, (S, torch.rand(4)), {"alpha": 1.5}, ValueError, "alpha must be <= 1"),
    (focal_loss, (S, torch.rand(4) + 1), {}, ValueError, "probabilities in \\[0, 1\\]"),
    (focal_loss, (X, T.float()), {}, TypeError, "must hold integer class indices"),
    (focal_loss, (X, torch.tensor([0, 1, 2, 7])), {}, ValueError, "found 7"),
]


@pytest.mark.parametrize("fn,args,kwargs,exc,match", ERRORS)
def test_bad_input_raises(fn, args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fn(*args, **kwargs)
