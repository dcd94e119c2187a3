"""Tests for mustknow.nn.blocks: blocks, MLP/CNN builders, initialisation, UNet."""

import math

import pytest
import torch
from torch import nn

from mustknow.nn import blocks as B
from mustknow.nn.blocks import CNN, MLP, PlainBlock, ResidualBlock, UNet, count_parameters, make_cnn, make_mlp

NORM_KINDS = ["batch", "layer", "group", "none"]


def _input(kind, features, n=6):
    return torch.randn(n, features) if kind == "linear" else torch.randn(n, features, 5, 5)


@pytest.mark.parametrize("kind", ["linear", "conv"])
@pytest.mark.parametrize("norm", NORM_KINDS)
@pytest.mark.parametrize("position", ["before", "after"])
def test_block_shapes(kind, norm, position):
    plain = PlainBlock(4, 8, kind=kind, norm=norm, norm_position=position)
    assert plain(_input(kind, 4)).shape == _input(kind, 8).shape
    for pre in (False, True):
        res = ResidualBlock(8, kind=kind, norm=norm, norm_position=position, preactivation=pre)
        assert res(_input(kind, 8)).shape == _input(kind, 8).shape
    assert isinstance(plain.layer, nn.Linear if kind == "linear" else nn.Conv2d)


@pytest.mark.parametrize("kind", ["linear", "conv"])
def test_instance_norm_in_conv_blocks(kind):
    if kind == "conv":
        assert PlainBlock(3, 4, kind=kind, norm="instance")(_input(kind, 3)).shape == _input(kind, 4).shape
    else:
        with pytest.raises(ValueError, match="needs spatial dims"):
            PlainBlock(3, 4, kind=kind, norm="instance")


@pytest.mark.parametrize("position", ["before", "after"])
def test_plain_block_order(position):
    torch.manual_seed(1)
    block = PlainBlock(5, 7, activation="tanh", norm="batch", norm_position=position)
    x = torch.randn(9, 5)
    h = block.layer(x)
    expected = block.act(block.norm(h)) if position == "before" else block.norm(block.act(h))
    torch.testing.assert_close(block(x), expected)
    # BN after the activation gives zero-mean outputs; BN before tanh gives outputs in (-1, 1).
    out = block(x)
    if position == "after":
        torch.testing.assert_close(out.mean(0), torch.zeros(7), atol=1e-5, rtol=0)
    else:
        assert out.abs().max() < 1


@pytest.mark.parametrize("position", ["before", "after"])
@pytest.mark.parametrize("pre", [False, True])
def test_residual_block_formulas(position, pre):
    block = ResidualBlock(6, activation="elu", norm="layer", norm_position=position, preactivation=pre)
    x = torch.randn(4, 6)
    na = (lambda h: block.act(block.norm(h))) if position == "before" else (lambda h: block.norm(block.act(h)))
    if pre:
        expected = x + block.layer(na(x))
    elif position == "before":
        expected = block.act(x + block.norm(block.layer(x)))
    else:
        expected = block.norm(block.act(x + block.layer(x)))
    torch.testing.assert_close(block(x), expected)


@pytest.mark.parametrize("kind", ["linear", "conv"])
@pytest.mark.parametrize("norm", NORM_KINDS)
def test_preactivation_residual_with_zero_weights_is_identity(kind, norm):
    block = ResidualBlock(8, kind=kind, norm=norm, preactivation=True)
    nn.init.zeros_(block.layer.weight)
    nn.init.zeros_(block.layer.bias)
    x = _input(kind, 8)
    torch.testing.assert_close(block(x), x, atol=0, rtol=0)
    # and the gradient passes through the identity path unchanged
    x.requires_grad_()
    (g,) = torch.autograd.grad(block(x).sum(), x)
    torch.testing.assert_close(g, torch.ones_like(x))


def test_plain_block_with_zero_weights_is_not_identity():
    block = PlainBlock(8, 8)
    nn.init.zeros_(block.layer.weight)
    nn.init.zeros_(block.layer.bias)
    assert block(torch.randn(3, 8)).abs().max() == 0


@pytest.mark.parametrize("depth", [1, 2, 5, 30])
@pytest.mark.parametrize("residual", [False, True])
def test_make_mlp_depth_counts(depth, residual):
    net = make_mlp(12, 3, depth=depth, width=16, residual=residual)
    assert isinstance(net, MLP) and len(net.blocks) == depth
    assert sum(isinstance(m, nn.Linear) for m in net.modules()) == depth + 1
    assert net.blocks[0].layer.in_features == 12 and net.head.out_features == 3
    kinds = [type(b) for b in net.blocks]
    assert kinds[0] is PlainBlock
    assert all(k is (ResidualBlock if residual else PlainBlock) for k in kinds[1:])
    assert net(torch.randn(4, 3, 2, 2)).shape == (4, 3)  # flattens (N, 3, 2, 2) -> (N, 12)


def test_make_mlp_options_reach_blocks():
    net = make_mlp(4, 2, depth=3, width=8, activation="leaky_relu", norm="batch", norm_position="after", residual=True, preactivation=True, dropout=0.25)
    for block in net.blocks:
        assert block.norm_position == "after"
        assert type(block.norm).__name__ == "BatchNorm1d"
        assert type(block.act).__name__ == "LeakyReLU"
        assert block.drop.p == 0.25
    assert all(b.preactivation for b in net.blocks[1:])


def test_forward_hooks_on_act_see_every_hidden_layer():
    net = make_mlp(4, 2, depth=6, width=5)
    seen = []
    for block in net.blocks:
        block.act.register_forward_hook(lambda mod, inp, out: seen.append(out.shape))
    net(torch.randn(3, 4))
    assert seen == [torch.Size([3, 5])] * 6


@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("norm", ["batch", "group", "instance", "none"])
def test_make_cnn_shapes(residual, norm):
    net = make_cnn(1, 10, depth=3, channels=8, norm=norm, residual=residual, dropout=0.1)
    assert isinstance(net, CNN) and len(net.blocks) == 3
    assert isinstance(net.blocks[0].layer, nn.Conv2d) and net.blocks[0].layer.in_channels == 1
    assert net(torch.randn(4, 1, 8, 8)).shape == (4, 10)
    with pytest.raises(ValueError, match=r"CNN expects images \(N, C, H, W\)"):
        net(torch.randn(4, 64))


def test_kaiming_init_statistics():
    torch.manual_seed(0)
    net = make_mlp(256, 10, depth=3, width=512, init="kaiming")
    w = net.blocks[1].layer.weight  # fan_in 512, 262144 entries
    assert w.std().item() == pytest.approx(math.sqrt(2 / 512), rel=0.02)
    assert w.mean().abs().item() < 0.01 * math.sqrt(2 / 512) * 10
    assert net.blocks[0].layer.weight.std().item() == pytest.approx(math.sqrt(2 / 256), rel=0.02)
    assert net.head.weight.std().item() == pytest.approx(math.sqrt(1 / 512), rel=0.1)  # linear gain
    assert all(b.layer.bias.eq(0).all() for b in net.blocks)


@pytest.mark.parametrize("activation, gain", [("tanh", 5 / 3), ("sigmoid", 1.0), ("selu", 1.0), ("elu", math.sqrt(2)), ("leaky_relu", math.sqrt(2 / (1 + 0.01**2)))])
def test_kaiming_gain_per_activation(activation, gain):
    torch.manual_seed(0)
    net = make_mlp(16, 2, depth=2, width=512, activation=activation, init="kaiming")
    assert net.blocks[1].layer.weight.std().item() == pytest.approx(gain / math.sqrt(512), rel=0.02)


def test_xavier_uniform_with_tanh_gain():
    torch.manual_seed(0)
    net = make_mlp(16, 2, depth=2, width=512, activation="tanh", init="xavier")
    w = net.blocks[1].layer.weight
    bound = 5 / 3 * math.sqrt(6 / (512 + 512))
    assert w.abs().max().item() <= bound
    assert w.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.02)


def test_default_init_is_pytorch_default():
    torch.manual_seed(3)
    net = make_mlp(16, 2, depth=2, width=8)
    torch.manual_seed(3)
    ref = nn.Linear(16, 8)
    torch.testing.assert_close(net.blocks[0].layer.weight, ref.weight)


def test_cnn_kaiming_uses_conv_fan_in():
    torch.manual_seed(0)
    net = make_cnn(3, 10, depth=2, channels=64, init="kaiming")
    assert net.blocks[1].layer.weight.std().item() == pytest.approx(math.sqrt(2 / (64 * 9)), rel=0.02)


@pytest.mark.parametrize("builder", ["mlp", "cnn", "unet"])
def test_state_dict_round_trip(builder):
    def build(seed):
        torch.manual_seed(seed)
        if builder == "mlp":
            return make_mlp(6, 3, depth=3, width=8, norm="batch", residual=True)
        if builder == "cnn":
            return make_cnn(1, 3, depth=2, channels=4, norm="batch")
        return UNet(base_channels=4)

    a, b = build(0), build(1)
    x = torch.randn(4, 6) if builder == "mlp" else torch.randn(4, 1, 8, 8)
    a(x)  # move running statistics away from their initial values
    b.load_state_dict(a.state_dict())
    a.eval()
    b.eval()
    torch.testing.assert_close(a(x), b(x))


@pytest.mark.parametrize("skip", [True, False])
@pytest.mark.parametrize("levels", [1, 2, 3])
def test_unet_shapes(skip, levels):
    net = UNet(in_channels=1, num_classes=11, base_channels=4, levels=levels, skip=skip)
    assert net(torch.randn(2, 1, 32, 32)).shape == (2, 11, 32, 32)


def test_unet_parameter_difference_without_skips():
    base, levels = 16, 2
    diff = count_parameters(UNet(base_channels=base, levels=levels)) - count_parameters(UNet(base_channels=base, levels=levels, skip=False))
    assert diff == sum(9 * (base * 2**i) ** 2 for i in range(levels))


def test_unet_decoder_channels_with_and_without_skips():
    net = UNet(base_channels=4, skip=True)
    assert all(d[0].layer.in_channels == 2 * u.out_channels for d, u in zip(net.decode, net.up))
    no_skip = UNet(base_channels=4, skip=False)
    assert all(d[0].layer.in_channels == u.out_channels for d, u in zip(no_skip.decode, no_skip.up))


def test_unet_rejects_indivisible_size():
    with pytest.raises(ValueError, match=r"divisible by 2\*\*levels=4"):
        UNet()(torch.randn(1, 1, 30, 32))


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: make_mlp(4, 2, 2, 8, norm="batchnorm"), ValueError, "norm='batchnorm' must be one of"),
        (lambda: make_mlp(4, 2, 2, 8, norm_position="middle"), ValueError, "norm_position='middle' must be one of 'before', 'after'"),
        (lambda: make_mlp(4, 2, 2, 8, init="orthogonal"), ValueError, "init='orthogonal' must be one of 'default', 'xavier', 'kaiming'"),
        (lambda: make_mlp(4, 2, 2, 8, activation="swish"), ValueError, "'swish' must be one of"),
        (lambda: make_mlp(4, 2, 0, 8), ValueError, "depth must be >= 1"),
        (lambda: make_mlp(4, 2, 2, 8, dropout=1.5), ValueError, "dropout must be <= 1"),
        (lambda: make_cnn(1, 2, 2, 0), ValueError, "channels must be >= 1"),
        (lambda: PlainBlock(4, 4, kind="rnn"), ValueError, "kind='rnn' must be one of 'linear', 'conv'"),
        (lambda: UNet(levels=0), ValueError, "levels must be >= 1"),
    ],
)
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_public_names():
    assert {"PlainBlock", "ResidualBlock", "make_mlp", "make_cnn", "UNet"} <= set(B.__all__)


def test_block_activations_gives_each_blocks_input_and_output_and_restores_mode():
    from mustknow.nn import block_activations

    model = make_mlp(4, 2, depth=3, width=5, activation="tanh").train()
    pre, post = block_activations(model, torch.randn(6, 4))
    assert len(pre) == len(post) == 3 and model.training
    for a, b in zip(pre, post):
        assert a.shape == (6, 5) and not a.requires_grad
        torch.testing.assert_close(b, torch.tanh(a))
    with pytest.raises(TypeError, match="must have .blocks"):
        block_activations(torch.nn.Linear(2, 2), torch.randn(1, 2))
