"""Shared test setup."""

import os

import pytest
import torch

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Two workers on two cores: one intra-op thread each avoids oversubscription.
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield


def make_image_split(n: int, channels: int, side: int, seed: int):
    """n images of 10 classes, each a fixed random class pattern plus noise, in multiples of 1/255."""
    from mustknow.data import Split

    gen = torch.Generator().manual_seed(seed)
    patterns = torch.rand(10, channels, side, side, generator=torch.Generator().manual_seed(1234))
    y = torch.arange(n) % 10
    y = y[torch.randperm(n, generator=gen)]
    x = 0.7 * patterns[y] + 0.3 * torch.rand(n, channels, side, side, generator=gen)
    return Split(torch.round(x * 255) / 255, y)


@pytest.fixture
def image_data_root(tmp_path, monkeypatch):
    """A data folder with small MNIST, Fashion-MNIST and CIFAR-10 sets in their published formats.

    Each set has 300 training and 100 test images (10 classes, learnable:
    a class pattern plus noise); ``MUSTKNOW_DATA`` points at the folder.
    """
    from mustknow.data import save_image_set

    for i, (name, channels, side) in enumerate((("mnist", 1, 28), ("fashion_mnist", 1, 28), ("cifar10", 3, 32))):
        save_image_set(name, tmp_path, make_image_split(300, channels, side, 2 * i),
                       make_image_split(100, channels, side, 2 * i + 1))
    monkeypatch.setenv("MUSTKNOW_DATA", str(tmp_path))
    return tmp_path
