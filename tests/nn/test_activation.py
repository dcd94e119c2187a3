"""Tests for mustknow.nn.activation: modules match the functions, repr, state_dict, make_activation."""

import copy

import pytest
import torch
from torch import nn

import mustknow.functional as F
from mustknow.nn import (
    ACTIVATIONS,
    ELU,
    GELU,
    SELU,
    LeakyReLU,
    LogSoftmax,
    Mish,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
    make_activation,
)

# (module, the function call it must equal, expected repr)
MODULES = [
    (Sigmoid(), F.sigmoid, "Sigmoid()"),
    (Tanh(), F.tanh, "Tanh()"),
    (ReLU(), F.relu, "ReLU()"),
    (LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2), "LeakyReLU(negative_slope=0.2)"),
    (ELU(0.5), lambda x: F.elu(x, 0.5), "ELU(alpha=0.5)"),
    (SELU(), F.selu, "SELU()"),
    (GELU("tanh"), lambda x: F.gelu(x, "tanh"), "GELU(approximate='tanh')"),
    (SiLU(), F.silu, "SiLU()"),
    (Softplus(2.0, 10.0), lambda x: F.softplus(x, 2.0, 10.0), "Softplus(beta=2.0, threshold=10.0)"),
    (Mish(), F.mish, "Mish()"),
    (Softmax(dim=1), lambda x: F.softmax(x, 1), "Softmax(dim=1)"),
    (LogSoftmax(dim=-1), lambda x: F.log_softmax(x, -1), "LogSoftmax(dim=-1)"),
]


@pytest.mark.parametrize("module, fn, text", MODULES, ids=[m[2] for m in MODULES])
def test_module_matches_function_and_shows_settings(module, fn, text):
    x = torch.randn(3, 5, requires_grad=True)
    y = module(x)
    assert torch.equal(y, fn(x))
    y.sum().backward()
    assert x.grad.shape == x.shape
    assert repr(module) == text


@pytest.mark.parametrize("module, fn, text", MODULES, ids=[m[2] for m in MODULES])
def test_module_keeps_dtype_and_round_trips_state_dict(module, fn, text):
    x = torch.randn(2, 4, dtype=torch.float64)
    assert module(x).dtype == torch.float64
    clone = copy.deepcopy(module)
    clone.load_state_dict(module.state_dict())  # no parameters or buffers: an empty dict round-trips
    assert torch.equal(clone(x), module(x))


def test_activations_lists_every_name_and_identity():
    assert ACTIVATIONS == (
        "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "silu", "softplus", "mish", "identity",
    )


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_make_activation_builds_each_name(name):
    module = make_activation(name)
    assert isinstance(module, nn.Module)
    x = torch.randn(4, 3)
    if name == "identity":
        assert isinstance(module, nn.Identity) and torch.equal(module(x), x)
    else:
        assert torch.equal(module(x), getattr(F, name)(x))


@pytest.mark.parametrize(
    "name, kwargs, text",
    [
        ("leaky_relu", {"negative_slope": 0.3}, "LeakyReLU(negative_slope=0.3)"),
        ("elu", {"alpha": 2.0}, "ELU(alpha=2.0)"),
        ("gelu", {"approximate": "tanh"}, "GELU(approximate='tanh')"),
        ("softplus", {"beta": 3.0}, "Softplus(beta=3.0, threshold=20.0)"),
    ],
)
def test_make_activation_passes_settings(name, kwargs, text):
    assert repr(make_activation(name, **kwargs)) == text


def test_make_activation_rejects_unknown_names_and_settings():
    with pytest.raises(ValueError, match="activation name='swish' must be one of 'sigmoid', 'tanh', .*'identity'"):
        make_activation("swish")
    with pytest.raises(TypeError, match=r"activation 'relu' takes no settings; got \['alpha'\]"):
        make_activation("relu", alpha=1.0)
    with pytest.raises(TypeError, match=r"activation 'identity' takes no settings"):
        make_activation("identity", inplace=True)
    with pytest.raises(TypeError, match="unexpected keyword argument 'alpha'"):
        make_activation("leaky_relu", alpha=0.1)


@pytest.mark.parametrize(
    "build, error, match",
    [
        (lambda: LeakyReLU("a"), TypeError, "negative_slope must be a real number; got str"),
        (lambda: ELU(None), TypeError, "alpha must be a real number; got NoneType"),
        (lambda: GELU("erf"), ValueError, "approximate='erf' must be one of 'none', 'tanh'"),
        (lambda: Softplus(beta=0), ValueError, "beta must be non-zero"),
        (lambda: Softplus(threshold="20"), TypeError, "threshold must be a real number; got str"),
        (lambda: Softmax(dim=1.5), TypeError, "dim must be an int; got float"),
        (lambda: LogSoftmax(dim="1"), TypeError, "dim must be an int; got str"),
    ],
)
def test_bad_settings_raise_at_construction(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_softmax_module_bad_dim_raises_on_call():
    with pytest.raises(ValueError, match=r"dim must be in \[-2, 1\]"):
        Softmax(dim=3)(torch.zeros(2, 2))
