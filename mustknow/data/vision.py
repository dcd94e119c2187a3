"""MNIST, Fashion-MNIST and CIFAR-10 read from their published files, with no extra dependency.

mustknow never downloads anything: these readers parse the files a user has
put under a folder themselves, in the formats the data sets are published in
(the layout torchvision's ``download=True`` leaves, so a folder it filled works
as is). Nothing but numpy and torch is needed.

============== ==================================================================================
name           files under ``root`` (either row of a set; MNIST-style files may end in ``.gz``)
============== ==================================================================================
mnist          ``MNIST/raw/{train,t10k}-images-idx3-ubyte``, ``...-labels-idx1-ubyte``
fashion_mnist  ``FashionMNIST/raw/{train,t10k}-images-idx3-ubyte``, ``...-labels-idx1-ubyte``
cifar10        ``cifar-10-batches-py/{data_batch_1..5,test_batch}`` (the "python version")
cifar10        ``cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin`` (the "binary version")
============== ==================================================================================

The formats, as their publishers describe them:

- idx (LeCun et al., yann.lecun.com/exdb/mnist; Fashion-MNIST by Xiao et al.
  2017, arXiv:1708.07747, uses the same): a 4-byte magic number ``0, 0,
  0x08 (unsigned byte), ndim``, then ``ndim`` big-endian uint32 sizes, then
  the bytes in C order.
- CIFAR-10 (Krizhevsky 2009, "Learning Multiple Layers of Features from Tiny
  Images"): the python version pickles a dict per batch with ``data``, a
  uint8 array (10000, 3072) whose rows hold the red, green and blue 32x32
  planes, and ``labels``. It is read with an unpickler that only accepts the
  few numpy names an array needs, so a crafted file cannot run code. The
  binary version stores records of one label byte followed by the 3072 pixels.

:func:`available_image_dataset` says which set an experiment can use (the
requested one, or the bundled digits when its files are not there), so a
full-profile config names the data its trials really use;
:func:`load_image_classification` then loads it as train/val/test splits.
The folder is ``root``, or the one named by the environment variable
``MUSTKNOW_DATA`` when no ``root`` is given.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import struct
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from ..functional._checks import check_choice, check_number
from .datasets import Dataset, Split, _nested_subsample, _stratified_split, load_dataset

__all__ = ["VISION_DATASETS", "IMAGE_DATASETS", "DATA_ENV", "DatasetFallbackWarning", "read_image_set",
           "save_image_set", "available_image_dataset", "load_image_classification"]

#: The public sets :func:`read_image_set` reads.
VISION_DATASETS = ("mnist", "fashion_mnist", "cifar10")
#: The names :func:`load_image_classification` accepts: the bundled digits, then the public sets.
IMAGE_DATASETS = ("digits", *VISION_DATASETS)
#: The environment variable naming the data folder when no ``root`` is given.
DATA_ENV = "MUSTKNOW_DATA"

_IDX_FOLDER = {"mnist": "MNIST/raw", "fashion_mnist": "FashionMNIST/raw"}
_IDX_PARTS = {True: "train", False: "t10k"}
_CIFAR_PY, _CIFAR_BIN = "cifar-10-batches-py", "cifar-10-batches-bin"
_CIFAR_BATCHES = {True: tuple(f"data_batch_{i}" for i in range(1, 6)), False: ("test_batch",)}
_CIFAR_SIDE = 32
_CIFAR_PIXELS = 3 * _CIFAR_SIDE * _CIFAR_SIDE
_HOW_TO_GET = ("mustknow never downloads data: copy the files from a machine with internet access (for example "
               "a folder filled by torchvision.datasets.{cls}(root, download=True)), or use load_dataset('digits'), "
               "which is bundled")
_TV_CLASS = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST", "cifar10": "CIFAR10"}


class DatasetFallbackWarning(UserWarning):
    """A requested image set's files were not found, so the bundled digits are used instead."""


# ----------------------------------------------------------------------------------------------- locating files


def _idx_file(base: Path, stem: str) -> Path | None:
    for path in (base / stem, base / f"{stem}.gz"):
        if path.is_file():
            return path
    return None


def _files(name: str, root: Path) -> dict[bool, list[Path]]:
    """Per part (True: train, False: test), the files of ``name`` under ``root``.

    Raises:
        FileNotFoundError: a file is missing; the message lists what is expected where.
    """
    if name in _IDX_FOLDER:
        base = root / _IDX_FOLDER[name]
        stems = [f"{_IDX_PARTS[t]}-{kind}" for t in (True, False) for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")]
        found = {stem: _idx_file(base, stem) for stem in stems}
        missing = [stem for stem, path in found.items() if path is None]
        if not missing:
            return {t: [found[s] for s in stems if s.startswith(_IDX_PARTS[t] + "-")] for t in (True, False)}
        detail = f"under {base}: {', '.join(missing)} missing (each may also end in .gz)"
    else:
        layouts = {_CIFAR_PY: "", _CIFAR_BIN: ".bin"}
        for folder, suffix in layouts.items():
            paths = {t: [root / folder / f"{b}{suffix}" for b in _CIFAR_BATCHES[t]] for t in (True, False)}
            if all(p.is_file() for part in paths.values() for p in part):
                return paths
        names = ", ".join(_CIFAR_BATCHES[True] + _CIFAR_BATCHES[False])
        detail = f"under {root}: {_CIFAR_PY}/{{{names}}} or {_CIFAR_BIN}/{{the same}}.bin, complete in neither"
    raise FileNotFoundError(f"{name} needs its files {detail}. {_HOW_TO_GET.format(cls=_TV_CLASS[name])}.")


def _resolve_root(root: str | Path | None) -> tuple[Path | None, str]:
    """The data folder (``root`` or ``$MUSTKNOW_DATA``) and, when there is none, why."""
    if root is None:
        root = os.environ.get(DATA_ENV) or None
        if root is None:
            return None, f"no root given and {DATA_ENV} is not set"
    if not isinstance(root, (str, Path)):
        raise TypeError(f"root must be a path (str or Path) or None; got {type(root).__name__}")
    return Path(root).expanduser(), ""


# ----------------------------------------------------------------------------------------------- reading


def _read_bytes(path: Path) -> bytes:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            return f.read()
    except (OSError, EOFError) as err:  # includes a corrupt gzip stream
        raise ValueError(f"{path}: cannot be read ({err})") from None


def _read_idx(path: Path, ndim: int) -> np.ndarray:
    """An idx file of unsigned bytes with ``ndim`` dimensions, checked against its header."""
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08 or raw[3] != ndim:
        got = " ".join(f"{b:#04x}" for b in raw[:4])
        raise ValueError(f"{path}: not an idx file of unsigned bytes with {ndim} dimensions "
                         f"(expected magic 0x00 0x00 0x08 {ndim:#04x}; got {got or 'an empty file'})")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated header ({len(raw)} bytes; expected at least {header})")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = header + int(np.prod(shape, dtype=np.int64))
    if len(raw) != expected:
        raise ValueError(f"{path}: header says shape {shape} ({expected} bytes in all); the file has {len(raw)}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles plain containers and numpy arrays, nothing else (no code from the file is run)."""

    _ALLOWED = {("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}

    def find_class(self, module: str, name: str):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: a CIFAR-10 batch holds only arrays, "
                                         "lists and strings")
        if name == "_reconstruct":
            module = "numpy._core.multiarray" if hasattr(np, "_core") else "numpy.core.multiarray"
        return super().find_class(module, name)


def _read_cifar_py(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        batch = _ArrayUnpickler(io.BytesIO(_read_bytes(path)), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as err:
        raise ValueError(f"{path}: not a CIFAR-10 python batch ({err})") from None
    if not isinstance(batch, dict):
        raise ValueError(f"{path}: a CIFAR-10 python batch is a dict; got {type(batch).__name__}")
    batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or "labels" not in batch:
        raise ValueError(f"{path}: a CIFAR-10 python batch has 'data' and 'labels'; got keys {sorted(batch)}")
    data, labels = np.asarray(batch["data"]), np.asarray(batch["labels"])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != _CIFAR_PIXELS:
        raise ValueError(f"{path}: 'data' must be uint8 of shape (N, {_CIFAR_PIXELS}); "
                         f"got {data.dtype} {tuple(data.shape)}")
    if labels.shape != (len(data),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{path}: 'labels' must be {len(data)} integers; got {labels.dtype} {tuple(labels.shape)}")
    return data, labels


def _read_cifar_bin(path: Path) -> tuple[np.ndarray, np.ndarray]:
    raw = np.frombuffer(_read_bytes(path), dtype=np.uint8)
    record = 1 + _CIFAR_PIXELS
    if raw.size == 0 or raw.size % record:
        raise ValueError(f"{path}: a CIFAR-10 binary batch is a whole number of {record}-byte records; "
                         f"got {raw.size} bytes")
    rows = raw.reshape(-1, record)
    return rows[:, 1:], rows[:, 0]


def read_image_set(name: str, root: str | Path | None = None, train: bool = True) -> Split:
    """Read one part of MNIST, Fashion-MNIST or CIFAR-10 from its published files.

    The whole part is converted at once: pixels scaled from 0..255 to
    ``[0, 1]`` as float32, labels as ``torch.long``.

    Args:
        name: ``"mnist"``, ``"fashion_mnist"`` or ``"cifar10"``.
        root: the folder holding the files (see the module docs). Default
            ``None``: the folder named by ``MUSTKNOW_DATA``.
        train: the training part (True, default) or the test part (False).

    Returns:
        Split with ``x`` (N, C, H, W) float32 in ``[0, 1]`` and ``y`` (N,) long.

    Shape:
        - x: (N, 1, 28, 28) for MNIST and Fashion-MNIST, (N, 3, 32, 32) for CIFAR-10.
        - y: (N,).

    Raises:
        ValueError: unknown ``name``; a file that is not in its format, whose
            images and labels disagree in number, or with labels outside 0..9.
        TypeError: ``train`` not a bool, ``root`` not a path.
        FileNotFoundError: no folder given, or files missing in it (the
            message lists them and says how to get them).

    Example:
        >>> split = read_image_set("mnist", "~/data")  # doctest: +SKIP
        >>> split.x.shape  # doctest: +SKIP
        torch.Size([60000, 1, 28, 28])
    """
    check_choice(name, "name", VISION_DATASETS)
    if not isinstance(train, bool):
        raise TypeError(f"train must be a bool; got {type(train).__name__} {train!r}")
    folder, reason = _resolve_root(root)
    if folder is None:
        raise FileNotFoundError(f"{name}: {reason}. {_HOW_TO_GET.format(cls=_TV_CLASS[name])}.")
    paths = _files(name, folder)[train]
    if name in _IDX_FOLDER:
        images, labels = _read_idx(paths[0], 3), _read_idx(paths[1], 1)
        x = images[:, None]  # (N, H, W) -> (N, 1, H, W)
    else:
        read = _read_cifar_py if paths[0].suffix != ".bin" else _read_cifar_bin
        parts = [read(p) for p in paths]
        pixels = np.concatenate([d for d, _ in parts])
        labels = np.concatenate([lab for _, lab in parts])
        x = pixels.reshape(-1, 3, _CIFAR_SIDE, _CIFAR_SIDE)  # rows are the R, G, B planes
    if len(x) != len(labels):
        raise ValueError(f"{name} ({'train' if train else 'test'}): {len(x)} images but {len(labels)} labels "
                         f"in {', '.join(str(p) for p in paths)}")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"{name}: labels must be 0..9; got {int(labels.min())}..{int(labels.max())}")
    x = torch.from_numpy(np.array(x, dtype=np.uint8)).to(torch.float32).div_(255.0)  # a writable copy
    return Split(x, torch.as_tensor(labels.astype(np.int64)))


# ----------------------------------------------------------------------------------------------- writing


def _to_bytes(split: Split, name: str, part: str, channels: int) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(split, Split):
        raise TypeError(f"{part} must be a Split; got {type(split).__name__}")
    x, y = split.x, split.y
    side = 28 if channels == 1 else _CIFAR_SIDE
    if not x.is_floating_point() or x.dim() != 4 or tuple(x.shape[1:]) != (channels, side, side):
        raise ValueError(f"{name} {part}.x must be float of shape (N, {channels}, {side}, {side}); "
                         f"got {x.dtype} {tuple(x.shape)}")
    if y.dtype != torch.long or y.shape != (len(x),) or (y.numel() and (y.min() < 0 or y.max() > 9)):
        raise ValueError(f"{name} {part}.y must be {len(x)} long labels in 0..9; got {y.dtype} {tuple(y.shape)}")
    if x.numel() and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"{name} {part}.x must lie in [0, 1]; got {float(x.min())}..{float(x.max())}")
    pixels = torch.round(x.detach().cpu() * 255).to(torch.uint8).numpy()
    return pixels, y.cpu().numpy().astype(np.uint8)


def _write_idx(path: Path, array: np.ndarray, compress: bool) -> None:
    payload = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        payload = gzip.compress(payload, mtime=0)
    path.write_bytes(payload)


def save_image_set(name: str, root: str | Path, train: Split, test: Split, compress: bool = False,
                   cifar_format: str = "python") -> Path:
    """Write images and labels as ``name``'s published files under ``root``: :func:`read_image_set`'s inverse.

    Useful to store a subset, or one's own images, where the experiments look
    for a public set (and it is how the tests make small sets in the real
    formats). Pixels are rounded to 0..255 bytes, so a round trip is exact for
    images whose values are multiples of 1/255.

    Args:
        name: ``"mnist"``, ``"fashion_mnist"`` or ``"cifar10"``.
        root: the data folder; the set's subfolder is created in it.
        train / test: the two parts; ``x`` float in ``[0, 1]``, ``y`` long in 0..9.
        compress: MNIST-style sets only: write ``.gz`` files. Default False.
        cifar_format: CIFAR-10 only: ``"python"`` (pickled batches) or
            ``"binary"`` (``.bin`` records). Default ``"python"``. The
            training part is split over five batches, as published.

    Returns:
        The folder written.

    Shape:
        - x: (N, 1, 28, 28) for MNIST and Fashion-MNIST, (N, 3, 32, 32) for CIFAR-10.
        - y: (N,).

    Raises:
        ValueError: unknown ``name`` or ``cifar_format``; images or labels of
            the wrong shape, dtype or range.
        TypeError: ``train`` or ``test`` not a Split; ``compress`` not a bool.

    Example:
        >>> import tempfile
        >>> x = torch.zeros(2, 1, 28, 28)
        >>> part = Split(x, torch.tensor([3, 7]))
        >>> with tempfile.TemporaryDirectory() as root:
        ...     _ = save_image_set("mnist", root, part, part)
        ...     read_image_set("mnist", root, train=False).y.tolist()
        [3, 7]
    """
    check_choice(name, "name", VISION_DATASETS)
    check_choice(cifar_format, "cifar_format", ("python", "binary"))
    if not isinstance(compress, bool):
        raise TypeError(f"compress must be a bool; got {type(compress).__name__} {compress!r}")
    channels = 1 if name in _IDX_FOLDER else 3
    parts = {True: _to_bytes(train, name, "train", channels), False: _to_bytes(test, name, "test", channels)}
    root = Path(root).expanduser()
    if name in _IDX_FOLDER:
        base = root / _IDX_FOLDER[name]
        base.mkdir(parents=True, exist_ok=True)
        for is_train, (pixels, labels) in parts.items():
            stem = _IDX_PARTS[is_train]
            _write_idx(base / f"{stem}-images-idx3-ubyte", pixels[:, 0], compress)
            _write_idx(base / f"{stem}-labels-idx1-ubyte", labels, compress)
        return base
    base = root / (_CIFAR_PY if cifar_format == "python" else _CIFAR_BIN)
    base.mkdir(parents=True, exist_ok=True)
    for is_train, (pixels, labels) in parts.items():
        batches = _CIFAR_BATCHES[is_train]
        rows = pixels.reshape(len(pixels), -1)
        for batch, idx in zip(batches, np.array_split(np.arange(len(rows)), len(batches))):
            if cifar_format == "python":
                content = {b"batch_label": batch.encode(), b"data": rows[idx], b"labels": labels[idx].tolist()}
                (base / batch).write_bytes(pickle.dumps(content, protocol=2))
            else:
                (base / f"{batch}.bin").write_bytes(np.concatenate([labels[idx, None], rows[idx]], axis=1).tobytes())
    return base


# ----------------------------------------------------------------------------------------------- experiments

_warned: set[tuple[str, str]] = set()


def available_image_dataset(name: str, root: str | Path | None = None) -> str:
    """``name`` when its files are under ``root`` (or ``MUSTKNOW_DATA``), else ``"digits"``.

    Experiments' full-profile configs call this, so that a config names the
    data set its trials really use: a result computed on digits is never
    stored under a config that says MNIST, and once the files are provided the
    configs change and those trials run afresh. Only the files' presence is
    checked here (cheap); :func:`load_image_classification` reads and checks
    their content.

    Args:
        name: one of :data:`IMAGE_DATASETS`; ``"digits"`` is always available.
        root: the data folder. Default ``None``: ``MUSTKNOW_DATA``.

    Returns:
        ``name`` or ``"digits"``.

    Raises:
        ValueError: unknown ``name``.
        TypeError: ``root`` not a path.

    Warns:
        DatasetFallbackWarning: once per process and reason, when the files
            are missing: what was looked for, and that digits are used.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", DatasetFallbackWarning)
        ...     available_image_dataset("cifar10", root="/nonexistent")
        'digits'
    """
    check_choice(name, "name", IMAGE_DATASETS)
    if name == "digits":
        return name
    folder, reason = _resolve_root(root)
    if folder is not None:
        try:
            _files(name, folder)
        except FileNotFoundError as err:
            reason = str(err)
        else:
            return name
    if (name, reason) not in _warned:
        _warned.add((name, reason))
        warnings.warn(f"{name} is not available ({reason}); using the bundled digits images (8x8) instead",
                      DatasetFallbackWarning, stacklevel=2)
    return "digits"


def load_image_classification(
    name: str,
    root: str | Path | None = None,
    seed: int = 0,
    val_fraction: float = 0.2,
    n_train: int | None = None,
    flatten: bool = False,
    standardize: bool = False,
) -> Dataset:
    """An image classification set as train/val/test splits: the bundled digits, MNIST, Fashion-MNIST or CIFAR-10.

    For the public sets the official test part is the test split;
    ``val_fraction`` of the official training part (stratified by class, drawn
    with ``seed``) is the validation split, the rest the training split;
    ``n_train`` then keeps a stratified, seeded, nested subset of it (as in
    :func:`~mustknow.data.load_dataset`). ``"digits"`` is
    ``load_dataset("digits", seed, val_fraction, as_images=True, n_train)``.
    Pixels stay in ``[0, 1]`` unless ``standardize``. Nothing falls back: to
    use digits when a set is missing, pass the name through
    :func:`available_image_dataset` first.

    Args:
        name: ``"digits"``, ``"mnist"``, ``"fashion_mnist"`` or ``"cifar10"``.
        root: the data folder (see the module docs). Default ``None``: ``MUSTKNOW_DATA``.
        seed: seed of the validation split and the ``n_train`` subset. Default 0.
        val_fraction: share of the training part held out for validation, in
            ``[0, 1)``. Default 0.2 (12000 MNIST images, 10000 CIFAR-10 ones).
        n_train: keep only this many training images. Default ``None``: all.
        flatten: images as pixel vectors ``(N, C*H*W)``, for MLPs. Default False.
        standardize: map each colour channel to ``(x - mean) / std`` with the
            mean and (population) std of that channel over all pixels of the
            training split, for all three splits (a channel constant on it gets
            ``std = 1``). One pair per channel, not per pixel as
            :func:`~mustknow.data.load_dataset` does for feature vectors:
            MNIST's border pixels are 0 on nearly every image, and a per-pixel
            z-score would turn a rare stroke there into a value of hundreds.
            Default False.

    Returns:
        Dataset with ``task="classification"``, ``num_classes=10``, ``name``,
        ``feature_names`` ``("c0_h0_w0", ...)`` (one per pixel value; the
        digits' own names for digits), and with ``standardize`` the statistics
        used as ``mean`` and ``std`` of shape (C, 1, 1).

    Shape:
        - x: (N, 1, 28, 28) MNIST and Fashion-MNIST, (N, 3, 32, 32) CIFAR-10,
          (N, 1, 8, 8) digits; float32 in ``[0, 1]``. ``(N, C*H*W)`` with ``flatten``.
        - y: (N,) long.

    Raises:
        ValueError: unknown ``name``; ``val_fraction`` outside ``[0, 1)``;
            ``n_train`` out of range; malformed files.
        TypeError: non-integer ``seed`` or ``n_train``; ``flatten`` or
            ``standardize`` not a bool.
        FileNotFoundError: the set's files are not there (the message lists them).

    Example:
        >>> ds = load_image_classification("digits", flatten=True)
        >>> ds.name, tuple(ds.train.x.shape[1:])
        ('digits', (64,))
    """
    check_choice(name, "name", IMAGE_DATASETS)
    check_number(seed, "seed", integer=True)
    check_number(val_fraction, "val_fraction", low=0.0, high=1.0, high_inclusive=False)
    for flag, value in (("flatten", flatten), ("standardize", standardize)):
        if not isinstance(value, bool):
            raise TypeError(f"{flag} must be a bool; got {type(value).__name__} {value!r}")
    if name == "digits":
        data = load_dataset("digits", seed=seed, val_fraction=val_fraction, as_images=True, n_train=n_train)
    else:
        data = _image_dataset(name, read_image_set(name, root, train=True), read_image_set(name, root, train=False),
                              seed, val_fraction, n_train)
    parts = ("train", "val", "test")
    if standardize:
        images = data.train.x  # (N, C, H, W)
        mean = images.mean(dim=(0, 2, 3))[:, None, None]  # (C,) -> (C, 1, 1)
        std = images.std(dim=(0, 2, 3), correction=0)[:, None, None]
        std = torch.where(std > 0, std, torch.ones_like(std))
        data = replace(data, mean=mean, std=std,
                       **{p: Split((getattr(data, p).x - mean) / std, getattr(data, p).y) for p in parts})
    if flatten:
        data = replace(data, **{p: Split(getattr(data, p).x.flatten(1), getattr(data, p).y) for p in parts})
    return data


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
