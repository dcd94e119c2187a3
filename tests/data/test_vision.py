"""Tests for mustknow.data.vision on tiny files written in torchvision's raw formats."""

import pickle
import struct
import sys
import types

import numpy as np
import pytest
import torch

from mustknow.data import load_torchvision


def _torchvision_error() -> str | None:
    try:
        import torchvision  # noqa: F401
    except Exception as err:  # missing, or built for another torch
        return f"torchvision does not load here ({type(err).__name__}: {err})"
    return None


needs_torchvision = pytest.mark.skipif(_torchvision_error() is not None, reason=str(_torchvision_error()))


def _write_idx(path, array: np.ndarray) -> None:
    """The MNIST idx format: magic (0, 0, dtype 0x08 = ubyte, ndim), big-endian sizes, data."""
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 0x08, array.ndim]))
        f.write(struct.pack(f">{array.ndim}I", *array.shape))
        f.write(array.astype(np.uint8).tobytes())


def _mnist_files(root, folder="MNIST", n_train=5, n_test=3):
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    images = {p: rng.integers(0, 256, size=(n, 28, 28)) for p, n in (("train", n_train), ("t10k", n_test))}
    labels = {p: rng.integers(0, 10, size=len(images[p])) for p in images}
    for part in images:
        _write_idx(raw / f"{part}-images-idx3-ubyte", images[part])
        _write_idx(raw / f"{part}-labels-idx1-ubyte", labels[part])
    return images, labels


def _cifar_files(root, n=4):
    base = root / "cifar-10-batches-py"
    base.mkdir(parents=True)
    rng = np.random.default_rng(1)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, size=(n, 3 * 32 * 32)).astype(np.uint8)  # rows: R plane, G, B
        labels = rng.integers(0, 10, size=n).tolist()
        batches[name] = (data, labels)
        with open(base / name, "wb") as f:
            pickle.dump({"data": data, "labels": labels}, f)
    with open(base / "batches.meta", "wb") as f:
        pickle.dump({"label_names": [f"class{i}" for i in range(10)]}, f)
    return batches


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST"), ("cifar10", None)])
def test_missing_files_message_says_what_and_how(tmp_path, name, folder):
    with pytest.raises(FileNotFoundError, match=r"needs these files under .*missing.*never downloads.*download=True"):
        load_torchvision(name, tmp_path)
    if folder is not None:  # a partial set names exactly the missing files
        _mnist_files(tmp_path, folder)
        (tmp_path / folder / "raw" / "t10k-labels-idx1-ubyte").unlink()
        with pytest.raises(FileNotFoundError, match=r": t10k-labels-idx1-ubyte missing"):
            load_torchvision(name, tmp_path, train=True)


def test_missing_torchvision_message(tmp_path, monkeypatch):
    _mnist_files(tmp_path)
    monkeypatch.setitem(sys.modules, "torchvision", None)  # makes `import torchvision` fail
    with pytest.raises(ImportError, match=r'needs a working torchvision.*pip install "mustknow\[vision\]"'):
        load_torchvision("mnist", tmp_path)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"name": "svhn", "root": "."}, ValueError, "name='svhn' must be one of 'mnist', 'fashion_mnist', 'cifar10'"),
        ({"name": "mnist", "root": ".", "train": 1}, TypeError, "train must be a bool"),
    ],
)
def test_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        load_torchvision(**kwargs)


def test_conversion_with_a_stand_in_torchvision(tmp_path, monkeypatch):
    """The conversion path (layout, scaling, dtypes, download=False) without torchvision itself."""
    _mnist_files(tmp_path)
    _cifar_files(tmp_path)
    calls = []

    class Fake:
        def __init__(self, root, train, download):
            calls.append((type(self).__name__, root, train, download))
            channels = 3 if type(self).__name__ == "CIFAR10" else 0
            shape = (2, 32, 32, 3) if channels else (2, 28, 28)
            self.data = np.full(shape, 255, dtype=np.uint8)  # torchvision: uint8 arrays / tensors
            self.targets = [7, 1]

    fake = types.ModuleType("torchvision")
    fake.datasets = types.SimpleNamespace(
        MNIST=type("MNIST", (Fake,), {}), FashionMNIST=type("FashionMNIST", (Fake,), {}),
        CIFAR10=type("CIFAR10", (Fake,), {}),
    )  # fmt: skip
    monkeypatch.setitem(sys.modules, "torchvision", fake)
    mnist = load_torchvision("mnist", tmp_path, train=False)
    cifar = load_torchvision("cifar10", str(tmp_path))
    assert mnist.x.shape == (2, 1, 28, 28) and cifar.x.shape == (2, 3, 32, 32)
    for split in (mnist, cifar):
        assert split.x.dtype == torch.float32 and float(split.x.max()) == 1.0
        assert split.y.dtype == torch.long and split.y.tolist() == [7, 1]
    assert calls == [("MNIST", str(tmp_path), False, False), ("CIFAR10", str(tmp_path), True, False)]


@needs_torchvision
@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_mnist_formats_through_torchvision(tmp_path, name, folder):
    images, labels = _mnist_files(tmp_path, folder)
    for train, part in ((True, "train"), (False, "t10k")):
        split = load_torchvision(name, tmp_path, train=train)
        assert split.x.shape == (len(images[part]), 1, 28, 28) and split.x.dtype == torch.float32
        torch.testing.assert_close(split.x[:, 0], torch.as_tensor(images[part] / 255.0, dtype=torch.float32))
        assert split.y.tolist() == labels[part].tolist()


@needs_torchvision
def test_cifar10_format_through_torchvision(tmp_path, monkeypatch):
    import torchvision

    batches = _cifar_files(tmp_path)
    # Tiny files cannot match the real archive's MD5 sums, which CIFAR10 verifies.
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "_check_integrity", lambda self: True)
    test = load_torchvision("cifar10", tmp_path, train=False)
    data, labels = batches["test_batch"]
    expected = torch.as_tensor(data.reshape(-1, 3, 32, 32) / 255.0, dtype=torch.float32)
    torch.testing.assert_close(test.x, expected)
    assert test.y.tolist() == labels
    assert len(load_torchvision("cifar10", tmp_path, train=True)) == 5 * len(labels)
