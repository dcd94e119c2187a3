"""Tests for mustknow.data.vision on small files in the published MNIST, Fashion-MNIST and CIFAR-10 formats.

The files are written two ways: by hand here, byte by byte from the format
descriptions (so the reader is checked against the formats, not only against
its own writer), and by ``save_image_set`` (round trips).
"""

import gzip
import pickle
import struct
import warnings

import numpy as np
import pytest
import torch

from mustknow.data import (DatasetFallbackWarning, Split, available_image_dataset, load_dataset,
                           load_image_classification, read_image_set, save_image_set, vision)


def _write_idx(path, array: np.ndarray, gz: bool = False) -> None:
    """The idx format: magic (0, 0, dtype 0x08 = ubyte, ndim), big-endian uint32 sizes, data."""
    payload = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload += array.astype(np.uint8).tobytes()
    if gz:
        path, payload = path.with_name(path.name + ".gz"), gzip.compress(payload)
    path.write_bytes(payload)


def _mnist_files(root, folder="MNIST", n_train=5, n_test=3, gz=False):
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    images = {p: rng.integers(0, 256, size=(n, 28, 28)) for p, n in (("train", n_train), ("t10k", n_test))}
    labels = {p: rng.integers(0, 10, size=len(images[p])) for p in images}
    for part in images:
        _write_idx(raw / f"{part}-images-idx3-ubyte", images[part], gz)
        _write_idx(raw / f"{part}-labels-idx1-ubyte", labels[part], gz)
    return images, labels


def _cifar_py_files(root, n=4):
    """The python version, as published: a pickled dict per batch with bytes keys (Python 2 pickles)."""
    base = root / "cifar-10-batches-py"
    base.mkdir(parents=True)
    rng = np.random.default_rng(1)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, size=(n, 3 * 32 * 32)).astype(np.uint8)  # rows: R plane, G, B
        labels = rng.integers(0, 10, size=n).tolist()
        batches[name] = (data, labels)
        with open(base / name, "wb") as f:
            pickle.dump({b"batch_label": name.encode(), b"data": data, b"labels": labels}, f, protocol=2)
    return batches


def _cifar_bin_files(root, n=3):
    base = root / "cifar-10-batches-bin"
    base.mkdir(parents=True)
    rng = np.random.default_rng(2)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        records = rng.integers(0, 256, size=(n, 1 + 3072)).astype(np.uint8)
        records[:, 0] %= 10
        batches[name] = records
        (base / f"{name}.bin").write_bytes(records.tobytes())
    return batches


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_reads_the_idx_format(tmp_path, name, folder, gz):
    images, labels = _mnist_files(tmp_path, folder, gz=gz)
    for train, part in ((True, "train"), (False, "t10k")):
        split = read_image_set(name, tmp_path, train=train)
        assert split.x.shape == (len(images[part]), 1, 28, 28) and split.x.dtype == torch.float32
        torch.testing.assert_close(split.x[:, 0], torch.as_tensor(images[part] / 255.0, dtype=torch.float32))
        assert split.y.dtype == torch.long and split.y.tolist() == labels[part].tolist()


def test_reads_the_cifar10_python_version(tmp_path):
    batches = _cifar_py_files(tmp_path)
    test = read_image_set("cifar10", tmp_path, train=False)
    data, labels = batches["test_batch"]
    torch.testing.assert_close(test.x, torch.as_tensor(data.reshape(-1, 3, 32, 32) / 255.0, dtype=torch.float32))
    assert test.x[0, 1, 0, 0] == float(data[0, 1024]) / 255  # the green plane starts at 1024
    assert test.y.tolist() == labels
    train = read_image_set("cifar10", tmp_path, train=True)
    assert train.y.tolist() == [lab for i in range(1, 6) for lab in batches[f"data_batch_{i}"][1]]


def test_reads_the_cifar10_binary_version(tmp_path):
    batches = _cifar_bin_files(tmp_path)
    test = read_image_set("cifar10", tmp_path, train=False)
    records = batches["test_batch"]
    assert test.y.tolist() == records[:, 0].tolist()
    torch.testing.assert_close(test.x.flatten(1), torch.as_tensor(records[:, 1:] / 255.0, dtype=torch.float32))
    assert len(read_image_set("cifar10", tmp_path)) == 5 * len(records)


def test_a_crafted_cifar_pickle_cannot_run_code(tmp_path, capsys):
    class Exploit:
        def __reduce__(self):
            return (print, ("owned",))

    base = tmp_path / "cifar-10-batches-py"
    _cifar_py_files(tmp_path)
    (base / "test_batch").write_bytes(pickle.dumps({b"data": Exploit(), b"labels": []}, protocol=2))
    with pytest.raises(ValueError, match=r"test_batch: not a CIFAR-10 python batch \(refusing to load \w+\.print"):
        read_image_set("cifar10", tmp_path, train=False)
    assert "owned" not in capsys.readouterr().out


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
@pytest.mark.parametrize("compress", [False, True])
def test_save_then_read_round_trips_mnist_style(tmp_path, name, compress):
    x = torch.randint(0, 256, (6, 1, 28, 28)) / 255.0
    y = torch.tensor([0, 1, 2, 3, 9, 9])
    save_image_set(name, tmp_path, Split(x, y), Split(x[:2], y[:2]), compress=compress)
    back = read_image_set(name, tmp_path)
    assert torch.equal(back.x, x) and torch.equal(back.y, y)
    assert torch.equal(read_image_set(name, tmp_path, train=False).y, y[:2])


@pytest.mark.parametrize("cifar_format", ["python", "binary"])
def test_save_then_read_round_trips_cifar10(tmp_path, cifar_format):
    x = torch.randint(0, 256, (12, 3, 32, 32)) / 255.0
    y = torch.arange(12) % 10
    folder = save_image_set("cifar10", tmp_path, Split(x, y), Split(x[:3], y[:3]), cifar_format=cifar_format)
    assert len(list(folder.iterdir())) == 6  # five training batches and the test batch
    back = read_image_set("cifar10", tmp_path)
    assert torch.equal(back.x, x) and torch.equal(back.y, y)


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST"), ("cifar10", None)])
def test_missing_files_message_says_what_and_how(tmp_path, name, folder):
    with pytest.raises(FileNotFoundError, match=r"needs its files under .*never downloads data.*download=True"):
        read_image_set(name, tmp_path)
    if folder is not None:  # a partial set names exactly the missing files
        _mnist_files(tmp_path, folder)
        (tmp_path / folder / "raw" / "t10k-labels-idx1-ubyte").unlink()
        with pytest.raises(FileNotFoundError, match=r": t10k-labels-idx1-ubyte missing"):
            read_image_set(name, tmp_path, train=True)


def test_no_root_and_no_environment(monkeypatch):
    monkeypatch.delenv("MUSTKNOW_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="mnist: no root given and MUSTKNOW_DATA is not set"):
        read_image_set("mnist")


def test_malformed_files_are_rejected_with_the_reason(tmp_path):
    _mnist_files(tmp_path)
    raw = tmp_path / "MNIST" / "raw"
    labels = raw / "train-labels-idx1-ubyte"
    good = labels.read_bytes()
    labels.write_bytes(b"\x00\x00\x0d\x01" + good[4:])  # dtype 0x0d (float) instead of unsigned bytes
    with pytest.raises(ValueError, match=r"not an idx file of unsigned bytes with 1 dimensions .*got 0x00 0x00 0x0d"):
        read_image_set("mnist", tmp_path)
    labels.write_bytes(good[:-1])
    with pytest.raises(ValueError, match=r"header says shape \(5,\) \(13 bytes in all\); the file has 12"):
        read_image_set("mnist", tmp_path)
    _write_idx(labels, np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="5 images but 3 labels"):
        read_image_set("mnist", tmp_path)
    _write_idx(labels, np.array([1, 2, 3, 4, 11]))
    with pytest.raises(ValueError, match=r"labels must be 0..9; got 1..11"):
        read_image_set("mnist", tmp_path)
    (tmp_path / "cifar-10-batches-bin").mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (tmp_path / "cifar-10-batches-bin" / f"{name}.bin").write_bytes(b"\x01" * 100)
    with pytest.raises(ValueError, match=r"whole number of 3073-byte records; got 100 bytes"):
        read_image_set("cifar10", tmp_path)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: read_image_set("svhn", "."), ValueError, "name='svhn' must be one of 'mnist', 'fashion_mnist'"),
        (lambda: read_image_set("mnist", ".", train=1), TypeError, "train must be a bool"),
        (lambda: read_image_set("mnist", 3), TypeError, "root must be a path"),
        (lambda: save_image_set("mnist", ".", Split(torch.zeros(1, 1, 8, 8), torch.zeros(1, dtype=torch.long)),
                                None), ValueError, r"train.x must be float of shape \(N, 1, 28, 28\)"),
        (lambda: save_image_set("mnist", ".", Split(torch.zeros(1, 1, 28, 28), torch.zeros(1, dtype=torch.long)),
                                None), TypeError, "test must be a Split"),
        (lambda: save_image_set("cifar10", ".", None, None, cifar_format="zip"), ValueError, "cifar_format"),
        (lambda: save_image_set("mnist", ".", None, None, compress=1), TypeError, "compress must be a bool; got int 1"),
        (lambda: available_image_dataset("svhn"), ValueError, "name='svhn' must be one of 'digits', 'mnist'"),
        (lambda: load_image_classification("svhn"), ValueError, "name='svhn' must be one of 'digits', 'mnist'"),
        (lambda: load_image_classification("digits", val_fraction=1.0), ValueError, "val_fraction"),
        (lambda: load_image_classification("digits", seed=0.5), TypeError, "seed"),
        (lambda: load_image_classification("digits", flatten=1), TypeError, "flatten must be a bool"),
        (lambda: load_image_classification("digits", standardize=None), TypeError, "standardize must be a bool"),
    ],
)
def test_argument_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_save_rejects_pixels_outside_the_unit_interval(tmp_path):
    bad = Split(torch.full((1, 1, 28, 28), 2.0), torch.zeros(1, dtype=torch.long))
    with pytest.raises(ValueError, match=r"train.x must lie in \[0, 1\]; got 2.0..2.0"):
        save_image_set("mnist", tmp_path, bad, bad)


def test_available_image_dataset(image_data_root, monkeypatch):
    monkeypatch.setattr(vision, "_warned", set())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [available_image_dataset(n) for n in ("digits", "mnist", "fashion_mnist", "cifar10")] == [
            "digits", "mnist", "fashion_mnist", "cifar10"]
    (image_data_root / "MNIST" / "raw" / "t10k-images-idx3-ubyte").unlink()
    with pytest.warns(DatasetFallbackWarning, match=r"mnist is not available \(mnist needs its files under .*"
                                                    r"t10k-images-idx3-ubyte missing.*using the bundled digits"):
        assert available_image_dataset("mnist") == "digits"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once per process and reason
        assert available_image_dataset("mnist") == "digits"
    monkeypatch.delenv("MUSTKNOW_DATA")
    with pytest.warns(DatasetFallbackWarning, match="no root given and MUSTKNOW_DATA is not set"):
        assert available_image_dataset("cifar10") == "digits"
    assert available_image_dataset("cifar10", root=image_data_root) == "cifar10"


def test_image_classification_digits_is_the_bundled_set(monkeypatch):
    monkeypatch.delenv("MUSTKNOW_DATA", raising=False)
    ds = load_image_classification("digits", seed=3, n_train=200)
    expected = load_dataset("digits", as_images=True, seed=3, n_train=200)
    assert ds.name == "digits" and ds.num_classes == 10 and ds.task == "classification"
    for got, want in zip((ds.train, ds.val, ds.test), (expected.train, expected.val, expected.test)):
        assert torch.equal(got.x, want.x) and torch.equal(got.y, want.y)
    flat = load_image_classification("digits", seed=3, n_train=200, flatten=True)
    assert torch.equal(flat.train.x, expected.train.x.flatten(1)) and flat.num_features == 64


def test_image_classification_does_not_fall_back(monkeypatch):
    monkeypatch.delenv("MUSTKNOW_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="no root given and MUSTKNOW_DATA is not set"):
        load_image_classification("mnist")


def test_image_classification_splits_the_official_training_part(image_data_root):
    """Name kept, stratified seeded validation split, n_train nested, test part untouched."""
    full = read_image_set("mnist", image_data_root)
    ds = load_image_classification("mnist", seed=1, val_fraction=0.2)
    small = load_image_classification("mnist", seed=1, val_fraction=0.2, n_train=40)
    assert ds.name == "mnist" and ds.num_classes == 10
    assert (len(ds.train), len(ds.val), len(ds.test)) == (240, 60, 100)
    assert torch.equal(ds.test.x, read_image_set("mnist", image_data_root, train=False).x)
    rows = {tuple(r.tolist()) for r in full.x.flatten(1)}
    seen = {part: {tuple(r.tolist()) for r in getattr(ds, part).x.flatten(1)} for part in ("train", "val")}
    assert not seen["train"] & seen["val"] and seen["train"] | seen["val"] == rows  # disjoint, covering
    assert torch.bincount(ds.val.y, minlength=10).tolist() == [6] * 10  # stratified
    assert torch.equal(small.val.x, ds.val.x) and len(small.train) == 40
    assert {tuple(r.tolist()) for r in small.train.x.flatten(1)} <= seen["train"]  # nested
    assert torch.bincount(small.train.y).tolist() == [4] * 10
    cifar = load_image_classification("cifar10", flatten=True)
    assert cifar.train.x.shape[1:] == (3 * 32 * 32,) and len(cifar.feature_names) == 3 * 32 * 32
    assert float(ds.train.x.max()) <= 1.0 and ds.train.x.dtype == torch.float32


def test_standardize_uses_one_pair_per_channel_from_the_training_split(image_data_root):
    raw = load_image_classification("cifar10", seed=2, n_train=50)
    std = load_image_classification("cifar10", seed=2, n_train=50, standardize=True)
    assert std.mean.shape == std.std.shape == (3, 1, 1) and raw.mean is None
    per_channel = std.train.x.transpose(0, 1).flatten(1)  # (N, C, H, W) -> (C, N*H*W)
    torch.testing.assert_close(per_channel.mean(1), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(per_channel.std(1, correction=0), torch.ones(3), atol=1e-5, rtol=0)
    for part in ("val", "test"):  # the training statistics, applied to every split
        torch.testing.assert_close(getattr(std, part).x, (getattr(raw, part).x - std.mean) / std.std)
    flat = load_image_classification("mnist", standardize=True, flatten=True)
    assert flat.train.x.shape[1:] == (784,) and abs(float(flat.train.x.mean())) < 1e-5
    blank = load_image_classification("digits", standardize=True)  # digits: 1 channel, not constant
    assert blank.std.shape == (1, 1, 1) and float(blank.std) > 0
