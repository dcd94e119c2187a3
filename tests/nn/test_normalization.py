"""Tests for mustknow.nn.normalization: modules against torch.nn, buffers, make_norm."""

import pytest
import torch
from torch import nn

from mustknow.nn import normalization as M
from mustknow.nn.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    GroupNorm,
    InstanceNorm2d,
    LayerNorm,
    default_num_groups,
    make_norm,
)

D = torch.float64


def _pair(ours, ref):
    ours, ref = ours.double(), ref.double()
    ref.load_state_dict(ours.state_dict())
    return ours, ref


def _same_step(ours, ref, x):
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    y1, y2 = ours(x1), ref(x2)
    torch.testing.assert_close(y1, y2)
    g = torch.randn_like(y1)
    y1.backward(g)
    y2.backward(g)
    torch.testing.assert_close(x1.grad, x2.grad)
    for (name, p1), p2 in zip(ours.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p1.grad, p2.grad, msg=name)


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize(
    "ours_cls, ref_cls, shape",
    [(BatchNorm1d, nn.BatchNorm1d, (8, 3)), (BatchNorm1d, nn.BatchNorm1d, (8, 3, 5)), (BatchNorm2d, nn.BatchNorm2d, (4, 3, 5, 5))],
)
def test_batch_norm_modules_match_torch_over_steps(ours_cls, ref_cls, shape, momentum):
    ours, ref = _pair(ours_cls(3, momentum=momentum), ref_cls(3, momentum=momentum))
    with torch.no_grad():
        ours.weight.uniform_(0.5, 1.5)
        ours.bias.normal_()
    ref.load_state_dict(ours.state_dict())
    for step in range(4):
        _same_step(ours, ref, torch.randn(*shape, dtype=D) * (step + 1) + step)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        torch.testing.assert_close(getattr(ours, name), getattr(ref, name), msg=name)
    assert int(ours.num_batches_tracked) == 4
    ours.eval()
    ref.eval()
    _same_step(ours, ref, torch.randn(*shape, dtype=D))


@pytest.mark.parametrize("affine, track", [(False, True), (True, False), (False, False)])
def test_batch_norm_flags_match_torch(affine, track):
    ours, ref = _pair(BatchNorm2d(3, affine=affine, track_running_stats=track), nn.BatchNorm2d(3, affine=affine, track_running_stats=track))
    assert set(ours.state_dict()) == set(ref.state_dict())
    _same_step(ours, ref, torch.randn(4, 3, 4, 4, dtype=D))
    ours.eval()
    ref.eval()
    _same_step(ours, ref, torch.randn(4, 3, 4, 4, dtype=D))


def test_batch_norm_state_dict_round_trip_with_torch():
    ours = BatchNorm2d(3)
    for _ in range(3):
        ours(torch.randn(4, 3, 4, 4) + 2)
    ref = nn.BatchNorm2d(3)
    ref.load_state_dict(ours.state_dict())
    back = BatchNorm2d(3)
    back.load_state_dict(ref.state_dict())
    for key, value in ours.state_dict().items():
        torch.testing.assert_close(back.state_dict()[key], value)


def test_batch_norm_module_rejects_wrong_dims_and_batch_of_one():
    with pytest.raises(ValueError, match=r"BatchNorm2d expects input of shape \(N, C, H, W\)"):
        BatchNorm2d(3)(torch.randn(4, 3))
    with pytest.raises(ValueError, match=r"BatchNorm1d expects input of shape \(N, C\) or \(N, C, L\)"):
        BatchNorm1d(3)(torch.randn(4, 3, 2, 2))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        BatchNorm1d(3)(torch.randn(1, 3))
    bn = BatchNorm1d(3).eval()
    assert bn(torch.randn(1, 3)).shape == (1, 3)


def test_batch_norm_reset_running_stats():
    bn = BatchNorm1d(2)
    bn(torch.randn(5, 2) + 3)
    bn.reset_running_stats()
    assert bn.running_mean.eq(0).all() and bn.running_var.eq(1).all() and int(bn.num_batches_tracked) == 0


def test_layer_norm_module_matches_torch():
    ours, ref = _pair(LayerNorm((3, 4)), nn.LayerNorm((3, 4)))
    with torch.no_grad():
        ours.weight.normal_()
        ours.bias.normal_()
    ref.load_state_dict(ours.state_dict())
    _same_step(ours, ref, torch.randn(2, 5, 3, 4, dtype=D))
    no_bias = LayerNorm(4, bias=False)
    assert no_bias.bias is None and set(no_bias.state_dict()) == {"weight"}


@pytest.mark.parametrize("affine, track", [(True, True), (False, False)])
def test_instance_norm_module_matches_torch(affine, track):
    ours, ref = _pair(InstanceNorm2d(3, affine=affine, track_running_stats=track), nn.InstanceNorm2d(3, affine=affine, track_running_stats=track))
    for _ in range(3):
        _same_step(ours, ref, torch.randn(4, 3, 5, 5, dtype=D) * 2 + 1)
    ours.eval()
    ref.eval()
    _same_step(ours, ref, torch.randn(2, 3, 5, 5, dtype=D))
    with pytest.raises(ValueError, match=r"InstanceNorm2d expects input of shape \(N, C, H, W\)"):
        ours(torch.randn(3, 5, 5, dtype=D))


def test_group_norm_module_matches_torch():
    ours, ref = _pair(GroupNorm(2, 6), nn.GroupNorm(2, 6))
    with torch.no_grad():
        ours.weight.normal_()
    ref.load_state_dict(ours.state_dict())
    _same_step(ours, ref, torch.randn(3, 6, 4, 4, dtype=D))


def test_group_norm_module_rejects_indivisible_channels():
    with pytest.raises(ValueError, match="num_channels=6 must be divisible by num_groups=4"):
        GroupNorm(4, 6)


def test_module_identities():
    x = torch.randn(3, 6, 4, 4)
    torch.testing.assert_close(GroupNorm(1, 6)(x), LayerNorm((6, 4, 4))(x))
    torch.testing.assert_close(GroupNorm(6, 6)(x), InstanceNorm2d(6, affine=True)(x))


@pytest.mark.parametrize("channels, groups", [(16, 8), (32, 8), (12, 6), (10, 5), (7, 7), (9, 3), (3, 3), (1, 1), (64, 8)])
def test_default_num_groups(channels, groups):
    assert default_num_groups(channels) == groups


@pytest.mark.parametrize(
    "kind, ndim, cls",
    [
        ("batch", 1, BatchNorm1d),
        ("batch", 2, BatchNorm2d),
        ("layer", 1, LayerNorm),
        ("layer", 2, GroupNorm),
        ("group", 1, GroupNorm),
        ("group", 2, GroupNorm),
        ("instance", 2, InstanceNorm2d),
        ("none", 1, nn.Identity),
        ("none", 2, nn.Identity),
    ],
)
def test_make_norm_kinds(kind, ndim, cls):
    norm = make_norm(kind, 8, ndim)
    assert type(norm) is cls
    x = torch.randn(4, 8) if ndim == 1 else torch.randn(4, 8, 3, 3)
    assert norm(x).shape == x.shape


def test_make_norm_layer_on_images_normalises_over_chw():
    norm = make_norm("layer", 6, 2)
    assert norm.num_groups == 1
    y = norm(torch.randn(3, 6, 4, 4) * 5 + 2)
    torch.testing.assert_close(y.mean((1, 2, 3)), torch.zeros(3), atol=1e-5, rtol=0)


def test_make_norm_group_and_instance_settings():
    assert make_norm("group", 32, 2).num_groups == 8
    assert make_norm("instance", 4, 2).affine


@pytest.mark.parametrize(
    "args, match",
    [
        (("batchnorm", 4, 1), "norm='batchnorm' must be one of 'batch', 'layer', 'group', 'instance', 'none'"),
        (("batch", 4, 4), "ndim=4 must be one of 1, 2"),
        (("instance", 4, 1), "needs spatial dims"),
        (("batch", 0, 1), "num_features must be >= 1"),
    ],
)
def test_make_norm_errors(args, match):
    with pytest.raises(ValueError, match=match):
        make_norm(*args)


def test_public_names():
    assert {"BatchNorm1d", "BatchNorm2d", "LayerNorm", "InstanceNorm2d", "GroupNorm", "make_norm"} <= set(M.__all__)
