"""Tests for the full-profile image data the questions share (mustknow.lab.questions._images)."""

from dataclasses import dataclass

import torch

import pytest

from mustknow.data import vision
from mustknow.lab.questions import _images


def test_data_fields_name_the_set_and_size_or_digits(image_data_root, monkeypatch):
    monkeypatch.setattr(vision, "_warned", set())
    assert _images.data_fields("cifar10", 5000) == {"dataset": "cifar10", "n_train": 5000}
    monkeypatch.delenv("MUSTKNOW_DATA")
    with pytest.warns(vision.DatasetFallbackWarning):
        assert _images.data_fields("cifar10", 5000) == {"dataset": "digits", "n_train": None}
    with pytest.raises(TypeError, match="n_train must be an int or None; got float 10000.0"):
        _images.data_fields("mnist", 1e4)


@dataclass(frozen=True)
class _Base:
    width: int = 4

    def __post_init__(self):
        if self.width < 1:
            raise ValueError("width must be >= 1")


@dataclass(frozen=True)
class _Full(_images.FullData, _Base):
    pass


def test_full_data_keeps_the_base_fields_first_and_both_checks():
    assert list(_Full.__dataclass_fields__) == ["width", "dataset", "n_train"]
    with pytest.raises(ValueError, match="dataset='svhn' must be one of 'digits', 'mnist'"):
        _Full(dataset="svhn")
    with pytest.raises(ValueError, match="width must be >= 1"):  # the experiment's own check still runs
        _Full(width=0, dataset="mnist")


def test_data_note_and_title():
    quick = [{"config": {"width": 8}}]
    assert _images.data_note(quick) == ("", "", {}) and _images.data_title(quick) == "digits"
    full = [{"config": {"dataset": "mnist", "n_train": 100}}, {"config": {"dataset": "cifar10", "n_train": None}}]
    en, zh, evidence = _images.data_note(full)
    assert en == " Data: CIFAR-10 (its whole training split), MNIST (100 training images)."
    assert zh == "数据:CIFAR-10(全部训练集)、MNIST(100 张训练图像)。"
    assert evidence == {"dataset": "CIFAR-10, MNIST", "n_train": [100, None]}
    curve = [{"config": {"dataset": "fashion_mnist", "n_train": n}} for n in (400, 50, None)]
    assert _images.data_note(curve)[0] == " Data: Fashion-MNIST (50, 400 and all training images)."
    assert _images.data_note(curve)[1] == "数据:Fashion-MNIST(50、400 张及全部训练图像)。"
    assert _images.data_title(full) == "CIFAR-10, MNIST"
    en, zh, _ = _images.data_note([{"config": {"dataset": "digits", "n_train": None}}])
    assert "digits because the public set's files were not there" in en and "文件不存在" in zh
    with pytest.raises(ValueError, match="dataset='svhn' must be one of 'digits', 'mnist'"):
        _images.data_note([{"config": {"dataset": "svhn"}}])


@dataclass(frozen=True)
class _Quick:
    width: int = 4


@dataclass(frozen=True)
class _FullQuick(_images.FullData, _Quick):
    pass


def test_mlp_data_standardises_public_images_per_channel_and_keeps_digits_for_digits(image_data_root):
    data = _images.mlp_data(_FullQuick(dataset="mnist", n_train=100))
    assert data.name == "mnist" and tuple(data.train.x.shape) == (100, 784) and data.test.x.shape[1] == 784
    assert abs(float(data.train.x.mean())) < 1e-4 and float(data.train.x.std(unbiased=False)) == pytest.approx(1.0)
    assert data.mean.shape == data.std.shape == (1, 1, 1)
    digits = _images.mlp_data(_FullQuick(dataset="digits"))
    quick = _images.mlp_data(_Quick())
    assert torch.equal(digits.train.x, quick.train.x) and quick.train.x.shape[1] == 64
    with pytest.raises(TypeError, match="config must be a dataclass instance"):
        _images.mlp_data({"dataset": "mnist"})
