"""Tests for mustknow.data.vision on tiny files written in torchvision's raw formats."""

import pickle
import struct
import sys
import types

import numpy as np
import pytest
import torch

import warnings

from mustknow.data import DatasetFallbackWarning, load_dataset, load_image_classification, load_torchvision


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


def _install_fake_torchvision(monkeypatch, base) -> None:
    fake = types.ModuleType("torchvision")
    fake.datasets = types.SimpleNamespace(
        MNIST=type("MNIST", (base,), {}), FashionMNIST=type("FashionMNIST", (base,), {}),
        CIFAR10=type("CIFAR10", (base,), {}),
    )  # fmt: skip
    monkeypatch.setitem(sys.modules, "torchvision", fake)


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

    _install_fake_torchvision(monkeypatch, Fake)
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


def _digits_images(**kwargs):
    return load_dataset("digits", as_images=True, **kwargs)


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10"])
def test_image_classification_falls_back_without_root(monkeypatch, name):
    monkeypatch.delenv("MUSTKNOW_DATA", raising=False)
    with pytest.warns(DatasetFallbackWarning, match=rf"{name} is not available \(no root given and MUSTKNOW_DATA "
                                                   r"is not set\); using the bundled digits"):
        ds = load_image_classification(name, seed=3, n_train=200)
    expected = _digits_images(seed=3, n_train=200)
    assert ds.name == "digits" and ds.num_classes == 10 and ds.task == "classification"
    for got, want in zip((ds.train, ds.val, ds.test), (expected.train, expected.val, expected.test)):
        assert torch.equal(got.x, want.x) and torch.equal(got.y, want.y)


def test_image_classification_falls_back_on_missing_files_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MUSTKNOW_DATA", str(tmp_path))
    with pytest.warns(DatasetFallbackWarning, match=rf"mnist is not available \(mnist needs these files under "
                                                   rf"{tmp_path}.*; using the bundled digits"):
        ds = load_image_classification("mnist")
    assert ds.name == "digits" and ds.train.x.shape[1:] == (1, 8, 8)


def test_image_classification_falls_back_without_torchvision(tmp_path, monkeypatch):
    _mnist_files(tmp_path)
    monkeypatch.setitem(sys.modules, "torchvision", None)
    with pytest.warns(DatasetFallbackWarning, match=r"needs a working torchvision.*using the bundled digits"):
        assert load_image_classification("mnist", root=tmp_path).name == "digits"


def test_image_classification_digits_needs_no_root_and_does_not_warn(monkeypatch):
    monkeypatch.delenv("MUSTKNOW_DATA", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = load_image_classification("digits")
    assert ds.name == "digits" and torch.equal(ds.test.x, _digits_images().test.x)


def test_image_classification_splits_the_official_training_part(tmp_path, monkeypatch):
    """With a stand-in torchvision: name kept, stratified seeded validation split, n_train nested, test untouched."""
    n, n_test = 100, 7

    class Fake:
        def __init__(self, root, train, download):
            count = n if train else n_test
            cifar = type(self).__name__ == "CIFAR10"
            self.data = np.arange(count, dtype=np.uint8)[:, None, None, None] * np.ones(
                (1, 32, 32, 3) if cifar else (1, 28, 28, 1), dtype=np.uint8)
            if not cifar:
                self.data = self.data[..., 0]  # (N, 28, 28, 1) -> (N, 28, 28)
            self.targets = [i % 10 for i in range(count)]

    _mnist_files(tmp_path)
    _cifar_files(tmp_path)
    _install_fake_torchvision(monkeypatch, Fake)
    monkeypatch.setenv("MUSTKNOW_DATA", str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = load_image_classification("mnist", seed=1, val_fraction=0.2)
        small = load_image_classification("mnist", seed=1, val_fraction=0.2, n_train=40)
        cifar = load_image_classification("cifar10", root=tmp_path)
    assert ds.name == "mnist" and ds.num_classes == 10 and cifar.name == "cifar10"
    assert (len(ds.train), len(ds.val), len(ds.test)) == (80, 20, n_test)
    assert cifar.train.x.shape[1:] == (3, 32, 32) and len(cifar.feature_names) == 3 * 32 * 32
    ids = {part: set((getattr(ds, part).x[:, 0, 0, 0] * 255).round().long().tolist()) for part in ("train", "val")}
    assert not ids["train"] & ids["val"] and len(ids["train"] | ids["val"]) == n  # disjoint, covering
    assert torch.bincount(ds.val.y, minlength=10).tolist() == [2] * 10  # stratified
    assert torch.equal(small.val.x, ds.val.x) and len(small.train) == 40
    small_ids = set((small.train.x[:, 0, 0, 0] * 255).round().long().tolist())
    assert small_ids <= ids["train"] and torch.bincount(small.train.y).tolist() == [4] * 10
    assert float(ds.train.x.max()) <= 1.0 and ds.train.x.dtype == torch.float32


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"name": "svhn"}, ValueError, "name='svhn' must be one of 'digits', 'mnist'"),
        ({"name": "mnist", "val_fraction": 1.0}, ValueError, "val_fraction"),
        ({"name": "mnist", "seed": 0.5}, TypeError, "seed"),
    ],
)
def test_image_classification_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        load_image_classification(**kwargs)
