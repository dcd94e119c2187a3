"""Building blocks and model builders used by every experiment of the lab.

A *block* is one hidden layer: a Linear or 3x3 Conv2d (``.layer``), a norm
(``.norm``), an activation (``.act``) and optional dropout (``.drop``).
:class:`PlainBlock` chains them; :class:`ResidualBlock` adds the identity
path ``x + F(x)`` (He et al. 2016). :func:`make_mlp` and :func:`make_cnn`
stack ``depth`` blocks and a head; :class:`UNet` is a small U-Net for the
digit-segmentation canvases.

Orders, with ``layer`` = Linear/Conv, ``norm`` the chosen norm and ``act``
the activation:

============================  ==================================  ===================================
block                         norm_position="before"              norm_position="after"
============================  ==================================  ===================================
PlainBlock                    act(norm(layer(x)))                 norm(act(layer(x)))
ResidualBlock                 act(x + norm(layer(x)))             norm(act(x + layer(x)))
ResidualBlock(preactivation)  x + layer(act(norm(x)))             x + layer(norm(act(x)))
============================  ==================================  ===================================

The post-activation residual block is the plain block with ``x`` added to
the layer's (normalised) output just before the activation, as in the
original ResNet (He, Zhang, Ren & Sun 2016a, "Deep Residual Learning"); the
pre-activation block keeps the identity path free of any norm or
activation (He, Zhang, Ren & Sun 2016b, "Identity Mappings in Deep Residual
Networks"), so with zero layer weights it is exactly the identity. Dropout
(elementwise for Linear, whole channels for Conv2d) is applied to the block
output of a plain block and to the residual branch ``F(x)`` of a residual
block, so the identity path is never dropped.
"""

from __future__ import annotations

import torch
from torch import nn

from ..functional._checks import check_choice, check_number, check_probability
from . import activation as _activation
from . import regularization as _regularization
from .normalization import make_norm

__all__ = [
    "BLOCK_KINDS",
    "NORM_POSITIONS",
    "INITS",
    "PlainBlock",
    "ResidualBlock",
    "MLP",
    "CNN",
    "UNet",
    "make_mlp",
    "make_cnn",
    "init_weights",
    "count_parameters",
    "block_activations",
]

BLOCK_KINDS = ("linear", "conv")
NORM_POSITIONS = ("before", "after")
INITS = ("default", "xavier", "kaiming")

# torch.nn.init nonlinearity name used for an activation's gain. ReLU-shaped
# smooth activations (identity for large positive inputs, ~0 for large
# negative ones) take ReLU's gain sqrt(2); SELU takes the linear gain 1, the
# LeCun-normal scaling its paper prescribes (Klambauer et al. 2017).
_GAIN_NONLINEARITY = {
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "leaky_relu": "leaky_relu",
    "elu": "relu",
    "selu": "linear",
    "gelu": "relu",
    "silu": "relu",
    "softplus": "relu",
    "mish": "relu",
    "identity": "linear",
}


def _make_layer(kind: str, in_features: int, out_features: int) -> nn.Module:
    if kind == "linear":
        return nn.Linear(in_features, out_features)
    return nn.Conv2d(in_features, out_features, kernel_size=3, padding=1)  # keeps H, W


def _make_dropout(kind: str, p: float) -> nn.Module:
    check_probability(p, "dropout")
    if p == 0.0:
        return nn.Identity()
    if kind == "linear":
        return _regularization.Dropout(p)
    return _regularization.Dropout2d(p)


def _check_block_args(kind: str, norm_position: str, features: tuple[tuple[int, str], ...]) -> int:
    check_choice(kind, "kind", BLOCK_KINDS)
    check_choice(norm_position, "norm_position", NORM_POSITIONS)
    for value, name in features:
        check_number(value, name, low=1, integer=True)
    return 1 if kind == "linear" else 2


class PlainBlock(nn.Module):
    """One hidden layer without a skip: ``act(norm(layer(x)))`` or ``norm(act(layer(x)))``.

    Args:
        in_features: input features (Linear) or channels (Conv2d).
        out_features: output features or channels.
        kind: ``"linear"`` (nn.Linear) or ``"conv"`` (3x3 nn.Conv2d, padding 1,
            so H and W are kept). Default "linear".
        activation: a name from ``mustknow.nn.ACTIVATIONS``. Default "relu".
        norm: ``"batch"``, ``"layer"``, ``"group"``, ``"instance"`` or
            ``"none"`` (see :func:`~mustknow.nn.make_norm`). Default "none".
        norm_position: ``"before"`` or ``"after"`` the activation. Default "before"
            (Ioffe & Szegedy 2015 place BN before the nonlinearity).
        dropout: drop probability after the block. Default 0.0.

    Attributes:
        layer, norm, act, drop: the parts, in call order given above.

    Shape:
        (N, in_features) -> (N, out_features) for Linear;
        (N, in_channels, H, W) -> (N, out_channels, H, W) for Conv2d.

    Raises:
        ValueError: unknown kind, norm, norm position or activation.

    Example:
        >>> PlainBlock(4, 8, norm="batch")(torch.randn(5, 4)).shape
        torch.Size([5, 8])
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        kind: str = "linear",
        activation: str = "relu",
        norm: str = "none",
        norm_position: str = "before",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        ndim = _check_block_args(kind, norm_position, ((in_features, "in_features"), (out_features, "out_features")))
        self.norm_position = norm_position
        self.layer = _make_layer(kind, in_features, out_features)
        self.norm = make_norm(norm, out_features, ndim)
        self.act = _activation.make_activation(activation)
        self.drop = _make_dropout(kind, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.layer(x)
        h = self.act(self.norm(h)) if self.norm_position == "before" else self.norm(self.act(h))
        return self.drop(h)


class ResidualBlock(nn.Module):
    """One hidden layer with an identity skip; post- or pre-activation (see the module table).

    Args:
        features: features (Linear) or channels (Conv2d), the same in and out
            so the identity path needs no projection.
        kind, activation, norm, norm_position, dropout: as :class:`PlainBlock`
            (dropout acts on the residual branch only).
        preactivation: ``False``: ``act(x + norm(layer(x)))`` (He et al.
            2016a); ``True``: ``x + layer(act(norm(x)))`` (He et al. 2016b).
            Default False.

    Attributes:
        layer, norm, act, drop: the parts.

    Shape:
        (N, features) or (N, features, H, W) -> same.

    Raises:
        ValueError: unknown kind, norm, norm position or activation.

    Example:
        >>> blk = ResidualBlock(8, preactivation=True)
        >>> blk(torch.randn(2, 8)).shape
        torch.Size([2, 8])
    """

    def __init__(
        self,
        features: int,
        *,
        kind: str = "linear",
        activation: str = "relu",
        norm: str = "none",
        norm_position: str = "before",
        preactivation: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        ndim = _check_block_args(kind, norm_position, ((features, "features"),))
        self.norm_position = norm_position
        self.preactivation = bool(preactivation)
        self.layer = _make_layer(kind, features, features)
        self.norm = make_norm(norm, features, ndim)
        self.act = _activation.make_activation(activation)
        self.drop = _make_dropout(kind, dropout)

    def _norm_act(self, h: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(h)) if self.norm_position == "before" else self.norm(self.act(h))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.preactivation:
            return x + self.drop(self.layer(self._norm_act(x)))
        h = self.layer(x)
        if self.norm_position == "before":
            return self.act(x + self.drop(self.norm(h)))
        return self.norm(self.act(x + self.drop(h)))


def _make_blocks(
    kind: str,
    in_features: int,
    depth: int,
    width: int,
    activation: str,
    norm: str,
    norm_position: str,
    residual: bool,
    preactivation: bool,
    dropout: float,
) -> nn.ModuleList:
    check_number(depth, "depth", low=1, integer=True)
    common = dict(kind=kind, activation=activation, norm=norm, norm_position=norm_position, dropout=dropout)
    # The first block maps in_features -> width; it is plain (the "stem") even in
    # a residual network, because x + F(x) needs equal widths.
    blocks = [PlainBlock(in_features, width, **common)]
    for _ in range(depth - 1):
        if residual:
            blocks.append(ResidualBlock(width, preactivation=preactivation, **common))
        else:
            blocks.append(PlainBlock(width, width, **common))
    return nn.ModuleList(blocks)


class MLP(nn.Module):
    """A stack of Linear blocks and a Linear head; built by :func:`make_mlp`.

    Attributes:
        blocks: ``nn.ModuleList`` of ``depth`` blocks (hidden layers).
        head: ``nn.Linear(width, out_features)``.

    Shape:
        (N, *) -> flattened to (N, in_features) -> (N, out_features).
    """

    def __init__(self, blocks: nn.ModuleList, head: nn.Module) -> None:
        super().__init__()
        self.blocks = blocks
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.flatten(1)  # (N, *) -> (N, in_features)
        for block in self.blocks:
            h = block(h)
        return self.head(h)


class CNN(nn.Module):
    """A stack of 3x3 Conv2d blocks at full resolution and a pooled Linear head; built by :func:`make_cnn`.

    Attributes:
        blocks: ``nn.ModuleList`` of ``depth`` blocks.
        head: global average pool, flatten, ``nn.Linear(channels, num_classes)``
            (an ``nn.Sequential``; the Linear is ``head[-1]``).

    Shape:
        (N, in_channels, H, W) -> (N, num_classes).
    """

    def __init__(self, blocks: nn.ModuleList, head: nn.Module) -> None:
        super().__init__()
        self.blocks = blocks
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError(f"CNN expects images (N, C, H, W); got shape {tuple(x.shape)}")
        for block in self.blocks:
            x = block(x)
        return self.head(x)  # (N, C, H, W) -> (N, num_classes)


def _gain_args(activation: str, act_module: nn.Module) -> tuple[str, float | None]:
    check_choice(activation, "activation", tuple(_GAIN_NONLINEARITY))
    nonlinearity = _GAIN_NONLINEARITY[activation]
    param = getattr(act_module, "negative_slope", 0.01) if nonlinearity == "leaky_relu" else None
    return nonlinearity, param


def init_weights(model: nn.Module, init: str, activation: str) -> nn.Module:
    """Initialise every Linear/Conv2d weight of a built model in place; biases to 0.

    * ``"default"``: PyTorch's own initialisation (Kaiming-uniform with
      ``a=sqrt(5)``, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in))): left untouched.
    * ``"xavier"``: Glorot *uniform*,
      :math:`U(-a, a),\\ a = \\text{gain}\\sqrt{6 / (\\text{fan\\_in} + \\text{fan\\_out})}`
      (Glorot & Bengio 2010).
    * ``"kaiming"``: He *normal*, fan_in mode,
      :math:`\\mathcal N(0, \\text{gain}^2 / \\text{fan\\_in})` (He et al. 2015).

    The gain is ``torch.nn.init.calculate_gain`` for the activation: 1 for
    sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for
    leaky_relu (the module's slope); ELU, GELU, SiLU, Softplus and Mish take
    ReLU's sqrt(2) (they are ReLU-shaped); SELU and identity take 1. Layers
    feeding no activation (the head, a U-Net's last 1x1 conv) take gain 1.

    Args:
        model: an :class:`MLP` or :class:`CNN` (any module with ``.head``, or
            without one: then every layer uses the activation's gain).
        init: ``"default"``, ``"xavier"`` or ``"kaiming"``.
        activation: the activation name the hidden layers use.

    Returns:
        ``model``.

    Raises:
        ValueError: unknown ``init`` or activation.
    """
    check_choice(init, "init", INITS)
    if init == "default":
        return model
    act_module = _activation.make_activation(activation)
    hidden = _gain_args(activation, act_module)
    head = getattr(model, "head", None)
    head_layers = {id(m) for m in head.modules()} if isinstance(head, nn.Module) else set()
    for module in model.modules():
        if not isinstance(module, (nn.Linear, nn.Conv2d)):
            continue
        nonlinearity, param = ("linear", None) if id(module) in head_layers else hidden
        if init == "xavier":
            nn.init.xavier_uniform_(module.weight, gain=nn.init.calculate_gain(nonlinearity, param))
        else:
            nn.init.kaiming_normal_(module.weight, a=param or 0.0, mode="fan_in", nonlinearity=nonlinearity)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    return model


def make_mlp(
    in_features: int,
    out_features: int,
    depth: int,
    width: int,
    activation: str = "relu",
    norm: str = "none",
    norm_position: str = "before",
    residual: bool = False,
    preactivation: bool = False,
    dropout: float = 0.0,
    init: str = "default",
) -> MLP:
    """Build an MLP with ``depth`` hidden blocks of ``width`` units and a Linear head.

    ``depth`` counts hidden layers: ``depth=30`` gives 30 blocks (30 Linear
    layers with activations) plus the head, 31 Linear layers in all. The
    first block maps ``in_features -> width``. With ``residual=True`` blocks
    1..depth-1 are :class:`ResidualBlock` (``preactivation`` chooses the
    kind) and block 0 stays a :class:`PlainBlock`: it is the stem that changes
    the width, where an identity skip cannot apply.

    Args:
        in_features: input features (inputs are flattened).
        out_features: outputs of the head (classes, or 1 for regression).
        depth: number of hidden blocks, >= 1.
        width: units per hidden block.
        activation: activation name. Default "relu".
        norm: norm kind. Default "none".
        norm_position: "before" or "after" the activation. Default "before".
        residual: identity skips on blocks 1..depth-1. Default False.
        preactivation: pre-activation residual blocks (with ``residual``). Default False.
        dropout: dropout probability in each block. Default 0.0.
        init: "default", "xavier" or "kaiming" (see :func:`init_weights`).

    Returns:
        :class:`MLP` with ``.blocks`` and ``.head``.

    Raises:
        ValueError: unknown names, non-positive sizes, dropout outside [0, 1].

    Example:
        >>> net = make_mlp(64, 10, depth=3, width=32, norm="batch")
        >>> net(torch.randn(5, 64)).shape, len(net.blocks)
        (torch.Size([5, 10]), 3)
    """
    check_number(in_features, "in_features", low=1, integer=True)
    check_number(out_features, "out_features", low=1, integer=True)
    check_number(width, "width", low=1, integer=True)
    check_choice(init, "init", INITS)
    blocks = _make_blocks(
        "linear", in_features, depth, width, activation, norm, norm_position, residual, preactivation, dropout
    )
    model = MLP(blocks, nn.Linear(width, out_features))
    return init_weights(model, init, activation)


def make_cnn(
    in_channels: int,
    num_classes: int,
    depth: int,
    channels: int,
    activation: str = "relu",
    norm: str = "none",
    norm_position: str = "before",
    residual: bool = False,
    dropout: float = 0.0,
    init: str = "default",
    preactivation: bool = False,
) -> CNN:
    """Build a CNN of ``depth`` 3x3 conv blocks with ``channels`` channels and a pooled head.

    Every block keeps the spatial size (padding 1; the lab's images are 8x8).
    The head averages over H, W and applies ``Linear(channels, num_classes)``.
    With ``residual=True`` block 0 is a plain stem (``in_channels ->
    channels``) and the rest are :class:`ResidualBlock`. Dropout in conv
    blocks drops whole channels.

    Args:
        in_channels: input channels.
        num_classes: head outputs.
        depth: number of conv blocks, >= 1.
        channels: channels per block.
        activation, norm, norm_position, residual, dropout, init: as :func:`make_mlp`.
        preactivation: pre-activation residual blocks. Default False.

    Returns:
        :class:`CNN` with ``.blocks`` and ``.head``.

    Raises:
        ValueError: unknown names, non-positive sizes, dropout outside [0, 1].

    Example:
        >>> net = make_cnn(1, 10, depth=2, channels=8, norm="batch")
        >>> net(torch.randn(4, 1, 8, 8)).shape
        torch.Size([4, 10])
    """
    check_number(in_channels, "in_channels", low=1, integer=True)
    check_number(num_classes, "num_classes", low=1, integer=True)
    check_number(channels, "channels", low=1, integer=True)
    check_choice(init, "init", INITS)
    blocks = _make_blocks(
        "conv", in_channels, depth, channels, activation, norm, norm_position, residual, preactivation, dropout
    )
    head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Linear(channels, num_classes))
    model = CNN(blocks, head)
    return init_weights(model, init, activation)


class UNet(nn.Module):
    """A small U-Net for segmenting 32x32 digit canvases (Ronneberger, Fischer & Brox 2015).

    Encoder level ``i`` (0..levels-1): two conv blocks to ``c_i = base * 2**i``
    channels, then 2x2 max pooling. Bottleneck: two conv blocks to
    ``base * 2**levels``. Decoder level ``i`` (deepest first): a 2x2
    transposed conv halves the channels to ``c_i`` and doubles H, W; with
    ``skip=True`` the encoder's level-``i`` features are concatenated
    (``2 c_i`` channels), then two conv blocks to ``c_i``. A 1x1 conv gives
    the class logits. Each conv block is a :class:`PlainBlock` (3x3 conv,
    norm, activation).

    ``skip=False`` removes the concatenations and nothing else: the first
    decoder conv of level ``i`` then reads ``c_i`` channels instead of
    ``2 c_i``, so the network has exactly ``sum_i 9 c_i**2`` fewer weights
    (3x3 kernels); every other layer is identical.

    Args:
        in_channels: image channels. Default 1.
        num_classes: classes, including background. Default 11 (10 digits + background).
        base_channels: channels at the first level. Default 16.
        levels: number of 2x poolings. Default 2 (32 -> 16 -> 8).
        skip: encoder-decoder skip connections. Default True.
        norm: norm kind for every conv block. Default "batch".
        activation: activation name. Default "relu".

    Shape:
        (N, in_channels, H, W) -> (N, num_classes, H, W); H and W divisible by
        ``2**levels``.

    Raises:
        ValueError: non-positive sizes, unknown norm/activation, or an input
            whose H, W are not divisible by ``2**levels``.

    Example:
        >>> UNet()(torch.randn(2, 1, 32, 32)).shape
        torch.Size([2, 11, 32, 32])
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 11,
        base_channels: int = 16,
        levels: int = 2,
        skip: bool = True,
        norm: str = "batch",
        activation: str = "relu",
    ) -> None:
        super().__init__()
        sizes = {"in_channels": in_channels, "num_classes": num_classes, "base_channels": base_channels, "levels": levels}
        for name, value in sizes.items():
            check_number(value, name, low=1, integer=True)
        self.levels = levels
        self.skip = bool(skip)

        def double(cin: int, cout: int) -> nn.Sequential:
            common = dict(kind="conv", activation=activation, norm=norm)
            return nn.Sequential(PlainBlock(cin, cout, **common), PlainBlock(cout, cout, **common))

        widths = [base_channels * 2**i for i in range(levels + 1)]
        self.down = nn.ModuleList()
        cin = in_channels
        for c in widths[:-1]:
            self.down.append(double(cin, c))
            cin = c
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = double(widths[-2], widths[-1])
        self.up = nn.ModuleList()
        self.decode = nn.ModuleList()
        for i in reversed(range(levels)):
            c = widths[i]
            self.up.append(nn.ConvTranspose2d(widths[i + 1], c, kernel_size=2, stride=2))
            self.decode.append(double(2 * c if self.skip else c, c))
        self.head = nn.Conv2d(widths[0], num_classes, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        factor = 2**self.levels
        if x.dim() != 4 or x.shape[-1] % factor or x.shape[-2] % factor:
            raise ValueError(
                f"UNet expects (N, C, H, W) with H and W divisible by 2**levels={factor}; "
                f"got shape {tuple(x.shape)}"
            )
        features = []
        for down in self.down:
            x = down(x)  # (N, c_i, h, w)
            features.append(x)
            x = self.pool(x)  # (N, c_i, h, w) -> (N, c_i, h/2, w/2)
        x = self.bottleneck(x)
        for up, decode, skip in zip(self.up, self.decode, reversed(features)):
            x = up(x)  # (N, 2 c_i, h/2, w/2) -> (N, c_i, h, w)
            if self.skip:
                x = torch.cat([skip, x], dim=1)  # -> (N, 2 c_i, h, w)
            x = decode(x)
        return self.head(x)  # (N, c_0, H, W) -> (N, num_classes, H, W)


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameter entries of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def block_activations(model: nn.Module, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Each hidden block's activation input and output on ``x``, in eval mode, without gradients.

    Args:
        model: an :class:`MLP` or :class:`CNN` (anything with ``.blocks`` whose
            blocks have an ``.act`` module).
        x: the input batch.

    Returns:
        ``(pre, post)``: per block, the pre-activation and the activation output,
        detached. The model's ``training`` flag is restored.

    Raises:
        TypeError: ``model`` has no ``.blocks`` of blocks with ``.act``.
    """
    blocks = getattr(model, "blocks", None)
    if blocks is None or not all(hasattr(block, "act") for block in blocks):
        raise TypeError(f"model must have .blocks whose blocks have .act (an MLP or CNN); got {type(model).__name__}")
    pre: list[torch.Tensor] = []
    post: list[torch.Tensor] = []

    def hook(module, inputs, output):
        pre.append(inputs[0].detach())
        post.append(output.detach())

    handles = [block.act.register_forward_hook(hook) for block in blocks]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return pre, post
