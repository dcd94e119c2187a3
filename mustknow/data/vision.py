"""Optional loaders for MNIST, Fashion-MNIST and CIFAR-10 through torchvision.

mustknow never downloads anything: these loaders read files a user has put
under ``root`` themselves (``download=False`` always), and only when
torchvision is installed (``pip install "mustknow[vision]"``). The expected
layout is torchvision's own:

============== =====================================================================
name           files under ``root``
============== =====================================================================
mnist          ``MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte``
fashion_mnist  ``FashionMNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte``
cifar10        ``cifar-10-batches-py/{data_batch_1..5,test_batch,batches.meta}``
============== =====================================================================

One way to get them: on a machine with internet access, run
``torchvision.datasets.MNIST(root, download=True)`` (or ``FashionMNIST``,
``CIFAR10``) and copy ``root`` over.

:func:`load_image_classification` is what experiments call: it looks under
``root``, or under the folder named by the environment variable
``MUSTKNOW_DATA`` when ``root`` is not given, and falls back to the bundled
digits images (with a :class:`DatasetFallbackWarning` saying why) when the set
or torchvision is missing. ``Dataset.name`` tells which set was used.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import torch

from ..functional._checks import check_choice, check_number
from .datasets import Dataset, Split, _nested_subsample, _stratified_split, load_dataset

__all__ = ["VISION_DATASETS", "IMAGE_DATASETS", "DATA_ENV", "DatasetFallbackWarning", "load_torchvision",
           "load_image_classification"]

_MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
#: name -> (torchvision class, folder under root, the files torchvision checks for either part)
_LAYOUT = {
    "mnist": ("MNIST", "MNIST/raw", _MNIST_FILES),
    "fashion_mnist": ("FashionMNIST", "FashionMNIST/raw", _MNIST_FILES),
    "cifar10": ("CIFAR10", "cifar-10-batches-py",
                tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch", "batches.meta")),
}  # fmt: skip

#: The names :func:`load_torchvision` accepts.
VISION_DATASETS = tuple(_LAYOUT)
#: The names :func:`load_image_classification` accepts: the bundled digits, then the torchvision sets.
IMAGE_DATASETS = ("digits", *VISION_DATASETS)
#: The environment variable :func:`load_image_classification` reads ``root`` from when none is given.
DATA_ENV = "MUSTKNOW_DATA"


class DatasetFallbackWarning(UserWarning):
    """A requested image set was not available, so the bundled digits were used instead."""


def load_torchvision(name: str, root: str | Path, train: bool = True) -> Split:
    """Load MNIST, Fashion-MNIST or CIFAR-10 from local files as one :class:`Split`.

    The whole split is converted at once (no per-item transforms): pixels
    scaled from 0..255 to ``[0, 1]`` as float32, labels as ``torch.long``.

    Args:
        name: ``"mnist"``, ``"fashion_mnist"`` or ``"cifar10"``.
        root: the folder holding torchvision's layout (see the module docs).
        train: the training part (True, default) or the test part (False).

    Returns:
        Split with ``x`` (N, C, H, W) float32 in ``[0, 1]`` and ``y`` (N,) long.

    Shape:
        - x: (N, 1, 28, 28) for MNIST and Fashion-MNIST, (N, 3, 32, 32) for CIFAR-10.
        - y: (N,).

    Raises:
        ValueError: unknown ``name``.
        TypeError: ``train`` not a bool.
        FileNotFoundError: files missing under ``root`` (the message lists
            them and says how to get them).
        ImportError: torchvision is not installed or does not load with this
            torch (the message says why and how to install it).

    Example:
        >>> split = load_torchvision("mnist", "~/data")  # doctest: +SKIP
        >>> split.x.shape  # doctest: +SKIP
        torch.Size([60000, 1, 28, 28])
    """
    check_choice(name, "name", VISION_DATASETS)
    if not isinstance(train, bool):
        raise TypeError(f"train must be a bool; got {type(train).__name__} {train!r}")
    cls_name, folder, files = _LAYOUT[name]
    base = Path(root).expanduser() / folder
    missing = [f for f in files if not (base / f).is_file()]
    if missing:
        # torchvision checks every file of the set, whichever part is asked for.
        raise FileNotFoundError(
            f"{name} needs these files under {base}: "
            f"{', '.join(missing)} missing. mustknow never downloads data: on a machine "
            f"with internet access run torchvision.datasets.{cls_name}({str(root)!r}, "
            f"download=True) and copy the folder here (or use load_dataset('digits'), "
            f"which is bundled)."
        )
    try:
        import torchvision
    except Exception as err:  # not installed (ImportError), or built for another torch (RuntimeError)
        raise ImportError(
            f"load_torchvision({name!r}) needs a working torchvision ({type(err).__name__}: {err}): "
            f'run pip install "mustknow[vision]" (a torchvision build matching torch '
            f"{torch.__version__}), or use load_dataset('digits'), which needs nothing extra."
        ) from err
    ds = getattr(torchvision.datasets, cls_name)(str(Path(root).expanduser()), train=train, download=False)
    data = torch.as_tensor(ds.data)
    if data.dim() == 3:
        x = data.unsqueeze(1)  # (N, H, W) -> (N, 1, H, W)
    else:
        x = data.permute(0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W)
    x = x.to(torch.float32).div_(255.0).contiguous()
    y = torch.as_tensor(ds.targets, dtype=torch.long)
    return Split(x, y)


def load_image_classification(
    name: str,
    root: str | Path | None = None,
    seed: int = 0,
    val_fraction: float = 0.2,
    n_train: int | None = None,
) -> Dataset:
    """Load an image classification set, or the bundled digits when it is not available.

    For ``"mnist"``, ``"fashion_mnist"`` and ``"cifar10"`` the official test
    part is the test split; ``val_fraction`` of the official training part
    (stratified by class, drawn with ``seed``) is the validation split, the
    rest the training split; ``n_train`` then keeps a stratified, seeded,
    nested subset of it (as in :func:`~mustknow.data.load_dataset`). Pixels
    stay in ``[0, 1]`` (no standardisation).

    When the set cannot be loaded (no ``root`` and no ``MUSTKNOW_DATA``, files
    missing, torchvision not importable), it warns with the reason and returns
    ``load_dataset("digits", seed, val_fraction, test_fraction=0.2,
    as_images=True, n_train)`` instead; ``"digits"`` itself gives that
    without a warning. The returned ``Dataset.name`` is the set actually used.

    Args:
        name: ``"digits"``, ``"mnist"``, ``"fashion_mnist"`` or ``"cifar10"``.
        root: folder in torchvision's layout (see the module docs). Default
            ``None``: the environment variable ``MUSTKNOW_DATA``.
        seed: seed of the validation split and the ``n_train`` subset. Default 0.
        val_fraction: share of the training part held out for validation, in
            ``[0, 1)``. Default 0.2, as :func:`~mustknow.data.load_dataset`
            (12000 MNIST images, 10000 CIFAR-10 ones).
        n_train: keep only this many training images. Default ``None``: all.

    Returns:
        Dataset with ``task="classification"``, ``num_classes=10``, ``name``
        the set used, ``feature_names`` ``("c0_h0_w0", ...)`` (one per pixel
        value; the digits' own names after a fallback).

    Shape:
        - x: (N, 1, 28, 28) MNIST and Fashion-MNIST, (N, 3, 32, 32) CIFAR-10,
          (N, 1, 8, 8) digits; float32 in ``[0, 1]``.
        - y: (N,) long.

    Raises:
        ValueError: unknown ``name``; ``val_fraction`` outside ``[0, 1)``;
            ``n_train`` out of range.
        TypeError: non-integer ``seed`` or ``n_train``.

    Warns:
        DatasetFallbackWarning: the set was not available; says why and that
            digits were used.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", DatasetFallbackWarning)
        ...     ds = load_image_classification("mnist", root="/nonexistent")
        >>> ds.name, tuple(ds.train.x.shape[1:])
        ('digits', (1, 8, 8))
    """
    check_choice(name, "name", IMAGE_DATASETS)
    check_number(seed, "seed", integer=True)
    check_number(val_fraction, "val_fraction", low=0.0, high=1.0, high_inclusive=False)
    if name != "digits":
        if root is None:
            root = os.environ.get(DATA_ENV) or None
        if root is None:
            reason = f"no root given and {DATA_ENV} is not set"
        else:
            try:
                train = load_torchvision(name, root, train=True)
                test = load_torchvision(name, root, train=False)
            except (FileNotFoundError, ImportError) as err:
                reason = str(err)
            else:
                return _image_dataset(name, train, test, seed, val_fraction, n_train)
        warnings.warn(f"{name} is not available ({reason}); using the bundled digits images (8x8) instead",
                      DatasetFallbackWarning, stacklevel=2)
    return load_dataset("digits", seed=seed, val_fraction=val_fraction, as_images=True, n_train=n_train)


def _image_dataset(name: str, train: Split, test: Split, seed: int, val_fraction: float,
                   n_train: int | None) -> Dataset:
    """Split the official training part into train/val (stratified, seeded) and subsample it."""
    y = train.y.numpy()
    rng = np.random.default_rng(seed)
    train_idx, val_idx = _stratified_split(y, len(y), val_fraction, rng)
    if n_train is not None:
        check_number(n_train, "n_train", integer=True, low=10, high=len(train_idx))
        train_idx = train_idx[_nested_subsample(y[train_idx], len(train_idx), n_train, rng)]
    c, h, w = train.x.shape[1:]
    names = tuple(f"c{i}_h{j}_w{k}" for i in range(c) for j in range(h) for k in range(w))

    def part(idx: np.ndarray) -> Split:
        i = torch.as_tensor(idx, dtype=torch.long)
        return Split(train.x[i].contiguous(), train.y[i].contiguous())

    return Dataset(name=name, task="classification", num_classes=10, train=part(train_idx), val=part(val_idx),
                   test=test, feature_names=names)
