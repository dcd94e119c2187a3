"""Normalisation modules: they hold the affine parameters and running statistics.

The math (and which axes each norm averages over) is in
:mod:`mustknow.functional.normalization`. Parameter and buffer names follow
``torch.nn`` (``weight``, ``bias``, ``running_mean``, ``running_var``,
``num_batches_tracked``), so state dicts load into either library.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ..functional import normalization as F
from ..functional._checks import check_choice, check_number

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "InstanceNorm2d",
    "GroupNorm",
    "NORMS",
    "default_num_groups",
    "make_norm",
]

NORMS = ("batch", "layer", "group", "instance", "none")


class _BatchNorm(nn.Module):
    """Shared state and forward of :class:`BatchNorm1d` and :class:`BatchNorm2d`."""

    _allowed_ndim: tuple[int, ...] = ()
    _layout = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ) -> None:
        super().__init__()
        check_number(num_features, "num_features", low=1, integer=True)
        check_number(eps, "eps", low=0.0)
        if momentum is not None:
            check_number(momentum, "momentum", low=0.0, high=1.0)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = nn.Parameter(torch.ones(num_features))
            self.bias = nn.Parameter(torch.zeros(num_features))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean 0, variance 1, no batches seen."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1.0)
            self.num_batches_tracked.zero_()

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if input.dim() not in self._allowed_ndim:
            raise ValueError(
                f"{type(self).__name__} expects input of shape {self._layout}; "
                f"got shape {tuple(input.shape)}"
            )
        update = self.training and self.track_running_stats
        # Without running statistics, evaluation also uses the batch's own.
        use_batch_stats = self.training or self.running_mean is None
        return F.batch_norm(
            input,
            self.running_mean if update or not self.training else None,
            self.running_var if update or not self.training else None,
            self.weight,
            self.bias,
            training=use_batch_stats,
            momentum=self.momentum,
            eps=self.eps,
            num_batches_tracked=self.num_batches_tracked if update else None,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm for (N, C) or (N, C, L): statistics over (N, L) per channel.

    Training normalises with the batch statistics and updates the running
    ones (``momentum`` as in PyTorch; ``None`` = cumulative average over
    ``num_batches_tracked`` batches); ``eval()`` uses the running ones. With
    ``track_running_stats=False`` batch statistics are used in both modes.

    Args:
        num_features: C.
        eps: added to the variance. Default 1e-5.
        momentum: running-average factor or None. Default 0.1.
        affine: learn ``weight`` (init 1) and ``bias`` (init 0). Default True.
        track_running_stats: keep running statistics. Default True.

    Shape:
        (N, C) or (N, C, L) -> same.

    Example:
        >>> bn = BatchNorm1d(4)
        >>> bn(torch.randn(8, 4)).shape
        torch.Size([8, 4])

    Reference: Ioffe & Szegedy (2015).
    """

    _allowed_ndim = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm for images (N, C, H, W): statistics over (N, H, W) per channel.

    Arguments and behaviour as :class:`BatchNorm1d`.

    Shape:
        (N, C, H, W) -> same.

    Example:
        >>> bn = BatchNorm2d(3)
        >>> bn(torch.randn(2, 3, 4, 4)).shape
        torch.Size([2, 3, 4, 4])

    Reference: Ioffe & Szegedy (2015).
    """

    _allowed_ndim = (4,)
    _layout = "(N, C, H, W)"


class LayerNorm(nn.Module):
    """Layer norm over the trailing ``normalized_shape`` dims, per sample.

    For images use ``normalized_shape=(C, H, W)``: the note's [C, H, W].

    Args:
        normalized_shape: int or sequence of ints.
        eps: added to the variance. Default 1e-5.
        elementwise_affine: learn ``weight``/``bias`` of shape
            ``normalized_shape``. Default True.
        bias: learn the bias (with ``elementwise_affine``). Default True.

    Shape:
        (*, *normalized_shape) -> same.

    Example:
        >>> LayerNorm(5)(torch.randn(3, 5)).shape
        torch.Size([3, 5])

    Reference: Ba, Kiros & Hinton (2016).
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
    ) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        for s in shape:
            check_number(s, "normalized_shape entries", low=1, integer=True)
        check_number(eps, "eps", low=0.0)
        self.normalized_shape = shape
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.weight = nn.Parameter(torch.ones(shape)) if elementwise_affine else None
        self.bias = nn.Parameter(torch.zeros(shape)) if elementwise_affine and bias else None

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class InstanceNorm2d(nn.Module):
    """Instance norm for (N, C, H, W): statistics over (H, W) per sample and channel.

    Defaults follow ``torch.nn.InstanceNorm2d`` (no affine, no running
    statistics). With ``track_running_stats=True`` evaluation normalises with
    the running statistics.

    Args:
        num_features: C.
        eps: added to the variance. Default 1e-5.
        momentum: running-average factor. Default 0.1.
        affine: learn per-channel ``weight``/``bias``. Default False.
        track_running_stats: keep running statistics. Default False.

    Shape:
        (N, C, H, W) -> same.

    Example:
        >>> InstanceNorm2d(3)(torch.randn(2, 3, 4, 4)).shape
        torch.Size([2, 3, 4, 4])

    Reference: Ulyanov, Vedaldi & Lempitsky (2016).
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
    ) -> None:
        super().__init__()
        check_number(num_features, "num_features", low=1, integer=True)
        check_number(eps, "eps", low=0.0)
        check_number(momentum, "momentum", low=0.0, high=1.0)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.weight = nn.Parameter(torch.ones(num_features)) if affine else None
        self.bias = nn.Parameter(torch.zeros(num_features)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if input.dim() != 4:
            raise ValueError(f"InstanceNorm2d expects input of shape (N, C, H, W); got shape {tuple(input.shape)}")
        use_input_stats = self.training or not self.track_running_stats
        return F.instance_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            use_input_stats=use_input_stats,
            momentum=self.momentum,
            eps=self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class GroupNorm(nn.Module):
    """Group norm: channels split into ``num_groups`` groups, statistics over (C/G, H, W).

    Args:
        num_groups: G, must divide ``num_channels``.
        num_channels: C.
        eps: added to the variance. Default 1e-5.
        affine: learn per-channel ``weight``/``bias``. Default True.

    Shape:
        (N, C, *) -> same.

    Raises:
        ValueError: ``num_channels`` not divisible by ``num_groups``.

    Example:
        >>> GroupNorm(2, 4)(torch.randn(3, 4, 5, 5)).shape
        torch.Size([3, 4, 5, 5])

    Reference: Wu & He (2018).
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__()
        check_number(num_groups, "num_groups", low=1, integer=True)
        check_number(num_channels, "num_channels", low=1, integer=True)
        check_number(eps, "eps", low=0.0)
        if num_channels % num_groups:
            raise ValueError(f"num_channels={num_channels} must be divisible by num_groups={num_groups}")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        self.weight = nn.Parameter(torch.ones(num_channels)) if affine else None
        self.bias = nn.Parameter(torch.zeros(num_channels)) if affine else None

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


def default_num_groups(num_channels: int, target: int = 8) -> int:
    """The largest divisor of ``num_channels`` that is at most ``target`` (8).

    Wu & He (2018) use 32 groups for ImageNet-sized widths; the lab's networks
    have 8-64 channels, so at most 8 groups keeps several channels per group.
    """
    check_number(num_channels, "num_channels", low=1, integer=True)
    return max(d for d in range(1, min(target, num_channels) + 1) if num_channels % d == 0)


def make_norm(kind: str, num_features: int, ndim: int) -> nn.Module:
    """Build a normalisation layer by name for features (``ndim=1``) or images (``ndim=2``).

    ``ndim`` is the number of feature axes after (N, ...): 1 for the (N, C)
    output of a Linear layer, 2 for the (N, C, H, W) output of a Conv2d (the
    suffix of ``BatchNorm1d``/``BatchNorm2d``).

    ============  =======================  ================================
    kind          ndim=1, (N, C)           ndim=2, (N, C, H, W)
    ============  =======================  ================================
    "batch"       BatchNorm1d(C)           BatchNorm2d(C)
    "layer"       LayerNorm(C)             GroupNorm(1, C): over (C, H, W)
    "group"       GroupNorm(G, C)          GroupNorm(G, C)
    "instance"    rejected                 InstanceNorm2d(C, affine=True)
    "none"        Identity                 Identity
    ============  =======================  ================================

    Layer norm on images is ``GroupNorm(1, C)``: the same statistics as
    ``LayerNorm((C, H, W))`` but with a per-channel affine, so it needs no
    spatial size at construction. G is :func:`default_num_groups` (the
    largest divisor of C not above 8). Instance norm gets an affine so that
    every norm has the same learnable scale and shift; it is rejected for
    (N, C) features, where each sample's channel is a single value and would
    normalise to 0.

    Raises:
        ValueError: unknown ``kind`` or ``ndim``; "instance" with ``ndim=1``.
    """
    check_choice(kind, "norm", NORMS)
    check_choice(ndim, "ndim", (1, 2))
    check_number(num_features, "num_features", low=1, integer=True)
    if kind == "none":
        return nn.Identity()
    if kind == "batch":
        return BatchNorm1d(num_features) if ndim == 1 else BatchNorm2d(num_features)
    if kind == "layer":
        return LayerNorm(num_features) if ndim == 1 else GroupNorm(1, num_features)
    if kind == "group":
        return GroupNorm(default_num_groups(num_features), num_features)
    if ndim == 1:
        raise ValueError(
            "norm='instance' needs spatial dims (ndim=2); (N, C) features have one value "
            "per sample and channel, which instance norm would map to 0"
        )
    return InstanceNorm2d(num_features, affine=True)
