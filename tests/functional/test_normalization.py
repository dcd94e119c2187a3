"""Tests for mustknow.functional.normalization: the shared Normalize Function and the four norms."""

import math

import pytest
import torch
import torch.nn.functional as TF

from mustknow.functional import normalization as N
from mustknow.functional.normalization import Normalize, batch_norm, group_norm, instance_norm, layer_norm

D = torch.float64


def _leaf(*shape, scale=1.0, offset=0.0, dtype=D):
    return (torch.randn(*shape, dtype=dtype) * scale + offset).requires_grad_()


# ---------------------------------------------------------------- gradcheck


@pytest.mark.parametrize(
    "shape, wshape",
    [
        ((3, 2, 1, 4), (2, 1)),  # batch-norm layout
        ((1, 6, 1, 5), (6, 1)),  # instance-norm layout
        ((1, 4, 3, 5), (4, 3)),  # group-norm layout
        ((1, 3, 7, 1), (1, 7)),  # layer-norm layout, weight row shared by every q
        ((2, 3, 2, 2), None),
    ],
)
def test_normalize_function_gradcheck(shape, wshape):
    x = _leaf(*shape)
    if wshape is None:
        assert torch.autograd.gradcheck(lambda x: Normalize.apply(x, None, None, 1e-5)[0], (x,))
        return
    w, b = _leaf(*wshape), _leaf(*wshape)
    assert torch.autograd.gradcheck(lambda x, w, b: Normalize.apply(x, w, b, 1e-5)[0], (x, w, b))
    assert torch.autograd.gradcheck(lambda x, w: Normalize.apply(x, w, None, 1e-5)[0], (x, w))
    assert torch.autograd.gradcheck(lambda x, b: Normalize.apply(x, None, b, 1e-5)[0], (x, b))


def test_normalize_is_once_differentiable():
    x = _leaf(2, 3, 1, 4)
    y = Normalize.apply(x, None, None, 1e-5)[0]
    (g,) = torch.autograd.grad((y * torch.randn_like(y)).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable|double backward|does not require grad"):
        torch.autograd.grad(g.sum(), x)


NORMS = {
    "batch": (
        lambda x, w, b: batch_norm(x, None, None, w, b, training=True),
        lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True),
    ),
    "instance": (
        lambda x, w, b: instance_norm(x, weight=w, bias=b),
        lambda x, w, b: TF.instance_norm(x, weight=w, bias=b),
    ),
    "group": (lambda x, w, b: group_norm(x, 2, w, b), lambda x, w, b: TF.group_norm(x, 2, w, b)),
}


@pytest.mark.parametrize("kind", sorted(NORMS))
@pytest.mark.parametrize("shape", [(3, 4, 3, 2), (4, 4, 5)])
def test_norm_gradcheck_float64(kind, shape):
    ours, _ = NORMS[kind]
    x, w, b = _leaf(*shape), _leaf(shape[1]), _leaf(shape[1])
    assert torch.autograd.gradcheck(ours, (x, w, b))


def test_layer_norm_gradcheck_float64():
    x, w, b = _leaf(2, 3, 4), _leaf(3, 4), _leaf(3, 4)
    assert torch.autograd.gradcheck(lambda x, w, b: layer_norm(x, (3, 4), w, b), (x, w, b))


def test_batch_norm_eval_gradcheck_float64():
    x, w, b = _leaf(3, 2, 4), _leaf(2), _leaf(2)
    rm, rv = torch.randn(2, dtype=D), torch.rand(2, dtype=D) + 0.5
    assert torch.autograd.gradcheck(lambda x, w, b: batch_norm(x, rm, rv, w, b), (x, w, b))


# ------------------------------------------------------- values vs PyTorch


def _compare(ours, ref, inputs, atol, rtol):
    grad_out = torch.randn_like(inputs[0])
    y = ours(*inputs)
    gy = torch.autograd.grad(y, inputs, grad_out)
    y_ref = ref(*inputs)
    g_ref = torch.autograd.grad(y_ref, inputs, grad_out)
    torch.testing.assert_close(y, y_ref, atol=atol, rtol=rtol)
    for a, b in zip(gy, g_ref):
        torch.testing.assert_close(a, b, atol=atol, rtol=rtol)


def _errors_vs_float64(fn, inputs, grad_out):
    """Max abs error of fn's output and gradients on float32 inputs, against fn on float64 copies."""
    exact_inputs = [t.detach().double().requires_grad_() for t in inputs]
    y = fn(*inputs)
    grads = torch.autograd.grad(y, inputs, grad_out)
    y64 = fn(*exact_inputs)
    grads64 = torch.autograd.grad(y64, exact_inputs, grad_out.double())
    return [(a.double() - b).abs().max().item() for a, b in zip((y, *grads), (y64, *grads64))]


@pytest.mark.parametrize("kind", sorted(NORMS))
@pytest.mark.parametrize("scale, offset", [(1.0, 0.0), (1e-3, 0.0), (1e3, 0.0), (1.0, 1e3), (0.5, -40.0)])
def test_norm_matches_torch_float64(kind, scale, offset):
    ours, ref = NORMS[kind]
    x = _leaf(6, 4, 5, 5, scale=scale, offset=offset)
    w, b = _leaf(4), _leaf(4)
    _compare(ours, ref, (x, w, b), atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("kind", sorted(NORMS))
@pytest.mark.parametrize("scale, offset", [(1.0, 0.0), (1e-3, 0.0), (1e3, 0.0), (1.0, 1e3), (0.5, -40.0)])
def test_norm_float32_as_accurate_as_torch(kind, scale, offset):
    # In float32 both libraries round; judge both against the float64 result.
    ours, ref = NORMS[kind]
    x = _leaf(6, 4, 5, 5, scale=scale, offset=offset, dtype=torch.float32)
    w, b = _leaf(4, dtype=torch.float32), _leaf(4, dtype=torch.float32)
    grad_out = torch.randn_like(x)
    err_ours = _errors_vs_float64(ours, (x, w, b), grad_out)
    err_torch = _errors_vs_float64(ref, (x, w, b), grad_out)
    for e_ours, e_torch in zip(err_ours, err_torch):
        assert e_ours <= 4 * e_torch + 1e-5


@pytest.mark.parametrize("offset", [0.0, 1e3])
def test_layer_norm_matches_torch(offset):
    x = _leaf(5, 3, 4, 4, offset=offset)
    w, b = _leaf(3, 4, 4), _leaf(3, 4, 4)
    ours = lambda x, w, b: layer_norm(x, (3, 4, 4), w, b)  # noqa: E731
    ref = lambda x, w, b: TF.layer_norm(x, (3, 4, 4), w, b)  # noqa: E731
    _compare(ours, ref, (x, w, b), 1e-10, 1e-10)
    _compare(lambda x: layer_norm(x, 4), lambda x: TF.layer_norm(x, (4,)), (x,), 1e-10, 1e-10)
    x32, w32, b32 = (t.detach().float().requires_grad_() for t in (x, w, b))
    grad_out = torch.randn_like(x32)
    err_ours = _errors_vs_float64(ours, (x32, w32, b32), grad_out)
    err_torch = _errors_vs_float64(ref, (x32, w32, b32), grad_out)
    for e_ours, e_torch in zip(err_ours, err_torch):
        assert e_ours <= 4 * e_torch + 1e-5


def test_norms_without_affine_match_torch():
    x = _leaf(3, 4, 5)
    _compare(lambda x: batch_norm(x, None, None, training=True), lambda x: TF.batch_norm(x, None, None, training=True), (x,), 1e-10, 1e-10)
    _compare(lambda x: group_norm(x, 4), lambda x: TF.group_norm(x, 4), (x,), 1e-10, 1e-10)
    _compare(lambda x: instance_norm(x), lambda x: TF.instance_norm(x), (x,), 1e-10, 1e-10)


def test_batch_norm_eval_matches_torch():
    x, w, b = _leaf(4, 3, 5, 5), _leaf(3), _leaf(3)
    rm, rv = torch.randn(3, dtype=D), torch.rand(3, dtype=D) + 0.1
    _compare(
        lambda x, w, b: batch_norm(x, rm, rv, w, b, training=False),
        lambda x, w, b: TF.batch_norm(x, rm, rv, w, b, training=False),
        (x, w, b),
        1e-10,
        1e-10,
    )


def test_batch_norm_channels_last_and_dtype_kept():
    x = torch.randn(4, 3, 5, 5).to(memory_format=torch.channels_last)
    y = batch_norm(x, None, None, training=True)
    assert y.dtype == torch.float32 and y.shape == x.shape
    torch.testing.assert_close(y, TF.batch_norm(x, None, None, training=True), atol=1e-5, rtol=1e-5)


def test_constant_input_gives_bias_and_finite_gradient():
    x = torch.full((4, 2, 3, 3), 7.0, dtype=D, requires_grad=True)
    b = torch.tensor([0.5, -1.0], dtype=D)
    y = batch_norm(x, None, None, None, b, training=True)
    torch.testing.assert_close(y, b.view(1, 2, 1, 1).expand_as(y))
    (g,) = torch.autograd.grad((y * torch.randn_like(y)).sum(), x)
    assert torch.isfinite(g).all()


# ---------------------------------------------------- running statistics


@pytest.mark.parametrize("momentum", [0.1, 0.5, 1.0])
def test_batch_norm_running_stats_match_torch(momentum):
    rm, rv = torch.zeros(3, dtype=D), torch.ones(3, dtype=D)
    rm_t, rv_t = rm.clone(), rv.clone()
    for step in range(5):
        x = torch.randn(6, 3, 4, 4, dtype=D) * (step + 1) + step
        batch_norm(x, rm, rv, training=True, momentum=momentum)
        TF.batch_norm(x, rm_t, rv_t, training=True, momentum=momentum)
    torch.testing.assert_close(rm, rm_t, atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(rv, rv_t, atol=1e-12, rtol=1e-12)


def test_batch_norm_momentum_none_is_cumulative_average():
    rm, rv = torch.zeros(2, dtype=D), torch.ones(2, dtype=D)
    count = torch.tensor(0)
    batches = [torch.randn(5, 2, dtype=D) * (i + 1) + 3 * i for i in range(4)]
    for x in batches:
        batch_norm(x, rm, rv, training=True, momentum=None, num_batches_tracked=count)
    assert int(count) == 4
    torch.testing.assert_close(rm, torch.stack([x.mean(0) for x in batches]).mean(0))
    torch.testing.assert_close(rv, torch.stack([x.var(0, unbiased=True) for x in batches]).mean(0))


def test_batch_norm_counter_increments_with_momentum_too():
    count = torch.tensor(3)
    batch_norm(torch.randn(4, 2), torch.zeros(2), torch.ones(2), training=True, num_batches_tracked=count)
    assert int(count) == 4


def test_batch_norm_eval_does_not_touch_running_stats():
    rm, rv = torch.zeros(2), torch.ones(2)
    batch_norm(torch.randn(4, 2), rm, rv, training=False)
    assert rm.eq(0).all() and rv.eq(1).all()


def test_instance_norm_running_stats_and_eval_match_torch():
    rm, rv = torch.zeros(3, dtype=D), torch.ones(3, dtype=D)
    rm_t, rv_t = rm.clone(), rv.clone()
    for _ in range(3):
        x = torch.randn(4, 3, 5, 5, dtype=D) * 2 + 1
        y = instance_norm(x, rm, rv, momentum=0.2)
        y_t = TF.instance_norm(x, rm_t, rv_t, momentum=0.2)
        torch.testing.assert_close(y, y_t)
    torch.testing.assert_close(rm, rm_t)
    torch.testing.assert_close(rv, rv_t)
    x = torch.randn(2, 3, 4, 4, dtype=D)
    torch.testing.assert_close(
        instance_norm(x, rm, rv, use_input_stats=False),
        TF.instance_norm(x, rm_t, rv_t, use_input_stats=False),
    )


# ---------------------------------------------------------------- identities


def test_group_norm_one_group_is_layer_norm_over_chw():
    x = torch.randn(3, 6, 4, 4, dtype=D)
    torch.testing.assert_close(group_norm(x, 1), layer_norm(x, (6, 4, 4)))


def test_group_norm_c_groups_is_instance_norm():
    x = torch.randn(3, 6, 4, 4, dtype=D)
    w, b = torch.randn(6, dtype=D), torch.randn(6, dtype=D)
    torch.testing.assert_close(group_norm(x, 6, w, b), instance_norm(x, weight=w, bias=b))


@pytest.mark.parametrize(
    "norm, axes",
    [
        (lambda x: batch_norm(x, None, None, training=True), (0, 2, 3)),
        (lambda x: layer_norm(x, x.shape[1:]), (1, 2, 3)),
        (lambda x: instance_norm(x), (2, 3)),
    ],
)
def test_statistics_axes_of_each_norm(norm, axes):
    y = norm(torch.randn(4, 3, 5, 5, dtype=D) * 3 + 2)
    torch.testing.assert_close(y.mean(axes), torch.zeros_like(y.mean(axes)), atol=1e-12, rtol=0)
    torch.testing.assert_close(y.var(axes, unbiased=False), torch.ones_like(y.mean(axes)), atol=1e-4, rtol=0)


# ----------------------------------------------------------- hand-computed


@pytest.mark.parametrize(
    "values, expected_out, running_mean, running_var",
    [
        # mean 2, biased var 1, unbiased var 2
        ([1.0, 3.0], [-1.0, 1.0], 2.0, 2.0),
        # mean 1.5, biased var 6.75, unbiased 9
        ([0.0, 0.0, 0.0, 6.0], [-1.5 / math.sqrt(6.75)] * 3 + [4.5 / math.sqrt(6.75)], 1.5, 9.0),
        # mean 0, biased var 2/3, unbiased 1
        ([-1.0, 0.0, 1.0], [-math.sqrt(1.5), 0.0, math.sqrt(1.5)], 0.0, 1.0),
    ],
)
def test_batch_norm_toy_cases(values, expected_out, running_mean, running_var):
    x = torch.tensor(values, dtype=D).view(-1, 1)  # (N, C=1)
    rm, rv = torch.zeros(1, dtype=D), torch.zeros(1, dtype=D)
    y = batch_norm(x, rm, rv, training=True, momentum=1.0, eps=0.0)
    torch.testing.assert_close(y.view(-1), torch.tensor(expected_out, dtype=D))
    assert rm.item() == pytest.approx(running_mean) and rv.item() == pytest.approx(running_var)


def test_backward_toy_case():
    # x = (1, 3): x_hat = (-1, 1), sigma = 1 (eps = 0). With g = (1, 0):
    # mean(g) = 1/2, mean(g x_hat) = -1/2, dx = g - 1/2 - x_hat * (-1/2) = (0, 0).
    # With g = (1, 2): mean(g) = 3/2, mean(g x_hat) = 1/2, dx = (1 - 3/2 + 1/2, 2 - 3/2 - 1/2) = (0, 0).
    # With g = x_hat = (-1, 1): mean 0, mean(g x_hat) = 1, dx = (-1 + 1, 1 - 1) = (0, 0) too;
    # every gradient of a 2-element normalisation vanishes because x_hat is +-1 whatever x is.
    x = torch.tensor([[1.0], [3.0]], dtype=D, requires_grad=True)
    for g in ([1.0, 0.0], [1.0, 2.0], [-1.0, 1.0]):
        y = batch_norm(x, None, None, training=True, eps=0.0)
        (dx,) = torch.autograd.grad(y, x, torch.tensor(g, dtype=D).view(2, 1))
        torch.testing.assert_close(dx, torch.zeros_like(dx))
    # Three values (-1, 0, 1): sigma^2 = 2/3, g = (0, 0, 1): mean(g) = 1/3,
    # x_hat = (-1, 0, 1)/sigma, mean(g x_hat) = 1/(3 sigma),
    # dx = (1/sigma)(g - 1/3 - x_hat/(3 sigma)) = (1/sigma)(-1/3 + 1/(3 s^2), -1/3, 2/3 - 1/(3 s^2)).
    x = torch.tensor([[-1.0], [0.0], [1.0]], dtype=D, requires_grad=True)
    y = batch_norm(x, None, None, training=True, eps=0.0)
    (dx,) = torch.autograd.grad(y, x, torch.tensor([[0.0], [0.0], [1.0]], dtype=D))
    s2 = 2.0 / 3.0
    expected = torch.tensor([-1 / 3 + 1 / (3 * s2), -1 / 3, 2 / 3 - 1 / (3 * s2)], dtype=D) / math.sqrt(s2)
    torch.testing.assert_close(dx.view(-1), expected)


# -------------------------------------------------------------------- errors


def test_batch_norm_rejects_single_value_per_channel_in_training():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        batch_norm(torch.randn(1, 4), torch.zeros(4), torch.ones(4), training=True)
    # one sample but several positions is fine, as in PyTorch
    batch_norm(torch.randn(1, 4, 2, 2), None, None, training=True)
    # evaluation with a batch of one is fine
    batch_norm(torch.randn(1, 4), torch.zeros(4), torch.ones(4), training=False)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: batch_norm(torch.randn(4), None, None, training=True), ValueError, r"2-D .* \(N, C, \*\)"),
        (lambda: batch_norm(torch.randn(4, 3), torch.zeros(2), torch.ones(2), training=True), ValueError, r"running_mean must have shape \(3,\)"),
        (lambda: batch_norm(torch.randn(4, 3), None, None, torch.ones(4), training=True), ValueError, r"weight must have shape \(3,\)"),
        (lambda: batch_norm(torch.randn(4, 3), torch.zeros(3), None, training=True), ValueError, "both be given"),
        (lambda: batch_norm(torch.randn(4, 3), None, None, training=False), ValueError, "needs running_mean"),
        (lambda: batch_norm(torch.randn(4, 3), torch.zeros(3), torch.ones(3), training=True, momentum=None), ValueError, "num_batches_tracked"),
        (lambda: batch_norm(torch.randn(4, 3), None, None, training=True, momentum=1.5), ValueError, "momentum must be <= 1"),
        (lambda: batch_norm(torch.randn(4, 3), None, None, training=True, eps=-1.0), ValueError, "eps must be >= 0"),
        (lambda: batch_norm(torch.ones(4, 3, dtype=torch.long), None, None, training=True), TypeError, "floating-point"),
        (lambda: batch_norm([1.0, 2.0], None, None), TypeError, "torch.Tensor"),
        (lambda: instance_norm(torch.randn(4, 3)), ValueError, r"3-D .*\(N, C, \*spatial\)"),
        (lambda: instance_norm(torch.randn(4, 3, 1, 1)), ValueError, "more than 1 spatial value"),
        (lambda: instance_norm(torch.randn(4, 3, 5), use_input_stats=False), ValueError, "use_input_stats=False needs"),
        (lambda: instance_norm(torch.randn(4, 3, 5), weight=torch.ones(2)), ValueError, r"weight must have shape \(3,\)"),
        (lambda: group_norm(torch.randn(2, 6, 4), 4), ValueError, "C=6 must be divisible by num_groups=4"),
        (lambda: group_norm(torch.randn(2, 6, 4), 0), ValueError, "num_groups must be >= 1"),
        (lambda: group_norm(torch.randn(2, 6, 4), 2.0), TypeError, "num_groups must be an int"),
        (lambda: group_norm(torch.randn(6), 2), ValueError, "2-D"),
        (lambda: layer_norm(torch.randn(2, 3, 4), (3, 5)), ValueError, r"normalized_shape \(3, 5\) must match the trailing dims"),
        (lambda: layer_norm(torch.randn(4), (2, 4)), ValueError, "must match the trailing dims"),
        (lambda: layer_norm(torch.randn(2, 4), ()), ValueError, "at least one dim"),
        (lambda: layer_norm(torch.randn(2, 4), 4, torch.ones(3)), ValueError, r"weight must have shape \(4,\)"),
    ],
)
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_public_names():
    assert set(N.__all__) == {"batch_norm", "layer_norm", "instance_norm", "group_norm"}
