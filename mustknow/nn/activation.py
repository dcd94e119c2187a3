"""Activation modules: thin wrappers holding the settings of
:mod:`mustknow.functional.activations`, plus ``make_activation`` to build one by name.

Example:
    >>> act = make_activation("leaky_relu", negative_slope=0.2)
    >>> act
    LeakyReLU(negative_slope=0.2)
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .. import functional as F
from ..functional._checks import check_choice, check_number

__all__ = [
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "SELU",
    "GELU",
    "SiLU",
    "Softplus",
    "Mish",
    "Softmax",
    "LogSoftmax",
    "ACTIVATIONS",
    "make_activation",
]


class Sigmoid(nn.Module):
    """Applies :func:`mustknow.functional.sigmoid`. Shape: ``(*)`` -> ``(*)``."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.sigmoid(input)


class Tanh(nn.Module):
    """Applies :func:`mustknow.functional.tanh`. Shape: ``(*)`` -> ``(*)``."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.tanh(input)


class ReLU(nn.Module):
    """Applies :func:`mustknow.functional.relu` (gradient 0 at 0). Shape: ``(*)`` -> ``(*)``."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.relu(input)


class LeakyReLU(nn.Module):
    """Applies :func:`mustknow.functional.leaky_relu`. Shape: ``(*)`` -> ``(*)``.

    Args:
        negative_slope: slope for ``x <= 0``. Default 0.01 (Maas et al., 2013).
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = check_number(negative_slope, "negative_slope")

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(nn.Module):
    """Applies :func:`mustknow.functional.elu`. Shape: ``(*)`` -> ``(*)``.

    Args:
        alpha: negative saturation value ``-alpha``. Default 1.0 (Clevert et al., 2016).
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = check_number(alpha, "alpha")

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class SELU(nn.Module):
    """Applies :func:`mustknow.functional.selu` (fixed alpha and scale). Shape: ``(*)`` -> ``(*)``."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.selu(input)


class GELU(nn.Module):
    """Applies :func:`mustknow.functional.gelu`. Shape: ``(*)`` -> ``(*)``.

    Args:
        approximate: ``"none"`` (exact erf form, default) or ``"tanh"``.
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = check_choice(approximate, "approximate", ("none", "tanh"))

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(nn.Module):
    """Applies :func:`mustknow.functional.silu`. Shape: ``(*)`` -> ``(*)``."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.silu(input)


class Softplus(nn.Module):
    """Applies :func:`mustknow.functional.softplus`. Shape: ``(*)`` -> ``(*)``.

    Args:
        beta: sharpness, non-zero. Default 1.0 (PyTorch's).
        threshold: linear above ``beta * x > threshold``. Default 20.0 (PyTorch's).
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = check_number(beta, "beta")
        if beta == 0:
            raise ValueError("beta must be non-zero (softplus divides by beta); got 0")
        self.threshold = check_number(threshold, "threshold")

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Mish(nn.Module):
    """Applies :func:`mustknow.functional.mish`. Shape: ``(*)`` -> ``(*)``."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.mish(input)


class Softmax(nn.Module):
    """Applies :func:`mustknow.functional.softmax` along ``dim``. Shape: ``(*)`` -> ``(*)``.

    Args:
        dim: the dimension that sums to 1 (required: no implicit choice).
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = check_number(dim, "dim", integer=True)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(nn.Module):
    """Applies :func:`mustknow.functional.log_softmax` along ``dim``. Shape: ``(*)`` -> ``(*)``.

    Args:
        dim: the dimension to normalise over (required).
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = check_number(dim, "dim", integer=True)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


_BY_NAME: dict[str, type[nn.Module]] = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "elu": ELU,
    "selu": SELU,
    "gelu": GELU,
    "silu": SiLU,
    "softplus": Softplus,
    "mish": Mish,
    "identity": nn.Identity,
}

#: Names accepted by :func:`make_activation`.
ACTIVATIONS: tuple[str, ...] = tuple(_BY_NAME)


def make_activation(name: str, **kwargs: Any) -> nn.Module:
    """Build an elementwise activation module by name.

    Args:
        name: one of :data:`ACTIVATIONS` (``"identity"`` gives ``nn.Identity``).
        **kwargs: the module's settings, e.g. ``negative_slope=0.2`` for
            ``"leaky_relu"``, ``approximate="tanh"`` for ``"gelu"``.

    Returns:
        A fresh module.

    Raises:
        ValueError: unknown ``name`` (the message lists the choices).
        TypeError: a keyword the module does not take.

    Example:
        >>> make_activation("gelu", approximate="tanh")
        GELU(approximate='tanh')
    """
    cls = _BY_NAME[check_choice(name, "activation name", ACTIVATIONS)]
    if kwargs and cls in (Sigmoid, Tanh, ReLU, SELU, SiLU, Mish, nn.Identity):
        raise TypeError(f"activation {name!r} takes no settings; got {sorted(kwargs)}")
    return cls(**kwargs)
