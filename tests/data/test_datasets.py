"""Tests for mustknow.data.datasets: splits, standardisation, subsampling, errors."""

from collections import Counter

import numpy as np
import pytest
import torch

from mustknow.data import DATASETS, Dataset, Split, load_dataset
from mustknow.data.datasets import _raw

SIZES = {"digits": (1797, 64, 10), "breast_cancer": (569, 30, 2), "wine": (178, 13, 3),
         "iris": (150, 4, 3), "diabetes": (442, 10, None)}  # fmt: skip


def _row_keys(x) -> set[bytes]:
    return set(_row_counts(x))


def _row_counts(x) -> Counter:
    rows = x.double().numpy() if isinstance(x, torch.Tensor) else x.astype(np.float32).astype(np.float64)
    return Counter(r.tobytes() for r in rows)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_shapes_dtypes_and_sizes(name):
    n, f, k = SIZES[name]
    ds = load_dataset(name, seed=0)
    assert isinstance(ds, Dataset) and ds.name == name and ds.num_classes == k
    assert ds.task == ("regression" if k is None else "classification")
    assert len(ds.train) + len(ds.val) + len(ds.test) == n
    assert len(ds.test) == round(0.2 * n) and len(ds.val) == round(0.2 * n)
    assert len(ds.feature_names) == f == ds.num_features
    for split in (ds.train, ds.val, ds.test):
        assert split.x.dtype == torch.float32 and split.x.shape[1:] == (f,)
        assert split.y.dtype == (torch.float32 if k is None else torch.long)
        assert split.y.shape == (len(split),)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_splits_are_disjoint_and_cover_the_data(name):
    ds = load_dataset(name, seed=3, standardize=False)
    # Every raw row lands in exactly one split (as multisets: a few raw rows repeat).
    together = _row_counts(ds.train.x) + _row_counts(ds.val.x) + _row_counts(ds.test.x)
    assert together == _row_counts(_raw(name)[0])


def test_splits_deterministic_and_seed_dependent():
    a, b, c = load_dataset("wine", seed=5), load_dataset("wine", seed=5), load_dataset("wine", seed=6)
    assert torch.equal(a.train.x, b.train.x) and torch.equal(a.test.y, b.test.y)
    assert not torch.equal(a.train.x, c.train.x)


@pytest.mark.parametrize("name", ["digits", "breast_cancer", "wine", "iris"])
def test_stratified_class_proportions(name):
    ds = load_dataset(name, seed=1)
    k = ds.num_classes
    total = np.bincount(_raw(name)[1], minlength=k)
    for split in (ds.train, ds.val, ds.test):
        counts = np.bincount(split.y.numpy(), minlength=k)
        expected = total * len(split) / total.sum()
        assert np.abs(counts - expected).max() <= 1.5  # rounding of two nested splits


def test_standardisation_uses_train_statistics_only():
    ds = load_dataset("breast_cancer", seed=0)
    assert ds.train.x.mean(0).abs().max() < 1e-5
    assert (ds.train.x.std(0, unbiased=False) - 1).abs().max() < 1e-4
    assert ds.test.x.mean(0).abs().max() > 1e-3  # test data is not re-centred on itself
    raw = load_dataset("breast_cancer", seed=0, standardize=False)
    torch.testing.assert_close(raw.train.x.mean(0), ds.mean)
    torch.testing.assert_close((raw.test.x - ds.mean) / ds.std, ds.test.x)


def test_constant_features_keep_unit_std():
    ds = load_dataset("digits", seed=0)
    raw = load_dataset("digits", seed=0, standardize=False)
    const = raw.train.x.std(0) == 0
    assert const.any() and (ds.std[const] == 1).all()
    assert torch.isfinite(ds.test.x).all() and (ds.train.x[:, const] == 0).all()


def test_regression_target_standardised_on_train():
    ds = load_dataset("diabetes", seed=0)
    raw = load_dataset("diabetes", seed=0, standardize=False)
    assert abs(float(ds.train.y.mean())) < 1e-5 and abs(float(ds.train.y.std(unbiased=False)) - 1) < 1e-4
    torch.testing.assert_close(ds.test.y * ds.target_std + ds.target_mean, raw.test.y)
    assert raw.target_mean is None and raw.mean is None
    assert float(raw.train.y.min()) >= 25  # raw units, not sklearn's pre-scaled values


def test_as_images():
    ds = load_dataset("digits", as_images=True)
    assert ds.train.x.shape[1:] == (1, 8, 8) and ds.num_features == 64
    assert float(ds.train.x.min()) == 0.0 and float(ds.train.x.max()) == 1.0
    flat = load_dataset("digits", standardize=False)
    torch.testing.assert_close(ds.train.x.reshape(-1, 64) * 16, flat.train.x)
    std = load_dataset("digits", as_images=True, standardize=True)
    assert std.mean.shape == (1, 8, 8) and std.train.x.mean(0).abs().max() < 1e-5


def test_n_train_stratified_nested_and_leaves_val_test_alone():
    full = load_dataset("digits", seed=2)
    small = load_dataset("digits", seed=2, n_train=50)
    big = load_dataset("digits", seed=2, n_train=200)
    assert len(small.train) == 50 and len(big.train) == 200
    counts = np.bincount(small.train.y.numpy(), minlength=10)
    assert counts.min() >= 4 and counts.max() <= 6
    assert _row_keys(load_dataset("digits", seed=2, n_train=50, standardize=False).train.x) <= _row_keys(
        load_dataset("digits", seed=2, n_train=200, standardize=False).train.x
    )
    assert torch.equal(small.test.y, full.test.y) and len(small.val) == len(full.val)
    assert small.train.x.mean(0).abs().max() < 1e-5  # statistics of the subsample
    assert len(load_dataset("diabetes", n_train=30).train) == 30


def test_val_fraction_zero_gives_empty_val():
    ds = load_dataset("iris", val_fraction=0.0)
    assert len(ds.val) == 0 and len(ds.train) == 120


def test_split_rejects_mismatched_rows():
    with pytest.raises(ValueError, match="same number of rows"):
        Split(torch.zeros(3, 2), torch.zeros(4))
    with pytest.raises(TypeError, match="Split needs tensors"):
        Split([1, 2], torch.zeros(2))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"name": "mnist"}, ValueError, "name='mnist' must be one of"),
        ({"name": "iris", "val_fraction": 1.0}, ValueError, "val_fraction must be <"),
        ({"name": "iris", "test_fraction": -0.1}, ValueError, "test_fraction must be >="),
        ({"name": "iris", "val_fraction": 0.5, "test_fraction": 0.5}, ValueError, "must be below 1"),
        ({"name": "iris", "as_images": True}, ValueError, "as_images=True needs name='digits'"),
        ({"name": "iris", "n_train": 2}, ValueError, "n_train must be >= 3"),
        ({"name": "iris", "n_train": 1000}, ValueError, "n_train must be <= 90"),
        ({"name": "iris", "n_train": 10.0}, TypeError, "n_train must be an int"),
        ({"name": "iris", "seed": "0"}, TypeError, "seed must be an int"),
    ],
)
def test_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        load_dataset(**kwargs)
