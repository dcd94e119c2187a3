"""scikit-learn's bundled data sets as tensors, with fixed seeded splits.

The five sets ship inside scikit-learn, so everything here works offline:

============== ============== ======= ======== =========================
name           task           samples features classes
============== ============== ======= ======== =========================
digits         classification 1797    64       10 (8x8 images, 0..16)
breast_cancer  classification 569     30       2
wine           classification 178     13       3
iris           classification 150     4        3
diabetes       regression     442     10       -- (disease progression)
============== ============== ======= ======== =========================

Splits are drawn once per ``seed``: the test part first, then the validation
part from the rest, both stratified by class for classification (each split
keeps the class proportions up to rounding). Standardisation (z-scores) is
fitted on the training split only and applied to all three, so no statistic
of the validation or test data leaks into training. For regression the target
is standardised the same way (diabetes' progression score spans 25..346; on
the z-scale a mean-squared error of 1.0 means "no better than predicting the
training mean"), and ``target_mean``/``target_std`` convert predictions back.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from ..functional._checks import check_choice, check_number

__all__ = ["DATASETS", "Split", "Dataset", "load_dataset"]

#: The names :func:`load_dataset` accepts, with their task.
DATASETS = {
    "digits": "classification",
    "breast_cancer": "classification",
    "wine": "classification",
    "iris": "classification",
    "diabetes": "regression",
}


@dataclass(frozen=True)
class Split:
    """One part of a data set: inputs ``x`` and targets ``y``.

    Attributes:
        x: float32 inputs, shape (N, F), or (N, 1, 8, 8) for digit images.
        y: targets, shape (N,): ``torch.long`` class indices for
            classification, float32 values for regression.
    """

    x: torch.Tensor
    y: torch.Tensor

    def __post_init__(self) -> None:
        if not isinstance(self.x, torch.Tensor) or not isinstance(self.y, torch.Tensor):
            raise TypeError(
                f"Split needs tensors x and y; got {type(self.x).__name__} and {type(self.y).__name__}"
            )
        if self.x.shape[0] != self.y.shape[0]:
            raise ValueError(
                f"Split x and y must have the same number of rows; got x {tuple(self.x.shape)} "
                f"and y {tuple(self.y.shape)}"
            )

    def __len__(self) -> int:
        return self.x.shape[0]


@dataclass(frozen=True)
class Dataset:
    """A data set with its train/validation/test splits.

    Attributes:
        name: one of :data:`DATASETS`.
        task: ``"classification"`` or ``"regression"``.
        num_classes: number of classes; ``None`` for regression.
        train, val, test: the three disjoint :class:`Split` s (``val`` has zero
            rows when ``val_fraction=0``).
        feature_names: one name per input feature (per pixel for digits).
        mean, std: the per-feature training statistics used to standardise
            ``x`` (shape (F,), or (1, 8, 8) for images); ``None`` when
            ``standardize`` was off.
        target_mean, target_std: the training statistics of a standardised
            regression target; ``None`` otherwise. ``y * target_std +
            target_mean`` gives the original units.
    """

    name: str
    task: str
    num_classes: int | None
    train: Split
    val: Split
    test: Split
    feature_names: tuple[str, ...]
    mean: torch.Tensor | None = None
    std: torch.Tensor | None = None
    target_mean: float | None = None
    target_std: float | None = None

    @property
    def num_features(self) -> int:
        """Number of input values per sample (64 for digits, also as images)."""
        return int(np.prod(self.train.x.shape[1:]))


@functools.lru_cache(maxsize=None)
def _raw(name: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """The bundled arrays, loaded once per process (read-only)."""
    from sklearn import datasets as skd

    if name == "diabetes":
        # Raw units (ages in years, ...); sklearn's default pre-scales every
        # feature with statistics of the whole set, which would leak the test part.
        bunch = skd.load_diabetes(scaled=False)
    else:
        bunch = getattr(skd, f"load_{name}")()
    x = np.ascontiguousarray(bunch.data, dtype=np.float64)
    y = np.ascontiguousarray(bunch.target)
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y, tuple(str(f) for f in bunch.feature_names)


def _stratified_split(
    y: np.ndarray | None, n: int, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``(rest, part)`` of ``n`` rows, ``part`` holding ``round(fraction * n)``.

    With class labels ``y`` every class contributes to ``part`` in proportion to
    its size (largest remainders), so the proportions are kept up to one sample.
    """
    order = rng.permutation(n)
    k = int(round(fraction * n))
    if y is None:
        return np.sort(order[k:]), np.sort(order[:k])
    classes, counts = np.unique(y, return_counts=True)
    quota = counts * (k / n)
    take = np.floor(quota).astype(int)
    # Largest remainders get the leftover samples; ties broken by the seeded rng.
    leftover = k - int(take.sum())
    rank = np.lexsort((rng.random(len(classes)), -(quota - take)))
    take[rank[:leftover]] += 1
    part = []
    for c, t in zip(classes, take):
        members = order[y[order] == c]  # this class's rows, in the seeded order
        part.append(members[:t])
    part_idx = np.sort(np.concatenate(part))
    rest = np.setdiff1d(np.arange(n), part_idx, assume_unique=True)
    return rest, part_idx


def _nested_subsample(
    y: np.ndarray | None, n: int, n_keep: int, rng: np.random.Generator
) -> np.ndarray:
    """Positions of ``n_keep`` rows; nested in ``n_keep`` and stratified for classes.

    Each row gets the key ``(i + 1/2) / n_c``, ``i`` being its seeded rank within
    its class of size ``n_c``; sorting by the key and taking a prefix allocates
    rows to classes by the Sainte-Lague divisor rule (proportional up to one
    sample per class), and a larger ``n_keep`` always contains a smaller one.
    """
    order = rng.permutation(n)
    if y is None:
        return np.sort(order[:n_keep])
    key = np.empty(n)
    for c in np.unique(y):
        members = order[y[order] == c]
        key[members] = (np.arange(len(members)) + 0.5) / len(members)
    tie = rng.random(n)
    chosen = np.lexsort((tie, key))[:n_keep]
    return np.sort(chosen)


def load_dataset(
    name: str,
    seed: int = 0,
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
    standardize: bool | None = None,
    as_images: bool = False,
    n_train: int | None = None,
) -> Dataset:
    """Load one of scikit-learn's bundled sets as tensors with seeded splits.

    The test split takes ``test_fraction`` of all rows, the validation split
    ``val_fraction`` of all rows, the training split the rest (stratified by
    class for classification). The same ``seed`` always gives the same
    splits. ``n_train`` then keeps a stratified, seeded subset of the training
    split, nested in ``n_train`` (the 100 rows kept for ``n_train=100`` are
    among the 200 kept for ``n_train=200``), for learning curves; validation
    and test splits do not change with ``n_train``.

    Standardisation maps every feature to ``(x - mean) / std`` with ``mean``
    and ``std`` (population std, ``ddof=0``) of the (possibly subsampled)
    training split; features constant on it (the border pixels of digits)
    get ``std = 1``, so they stay 0 on train and never divide by zero. For
    regression the target is standardised with the training statistics too.

    Args:
        name: one of ``"digits"``, ``"breast_cancer"``, ``"diabetes"``,
            ``"wine"``, ``"iris"``.
        seed: seed of the splits and of the ``n_train`` subsample. Default 0.
        val_fraction: fraction of all rows in the validation split, in
            ``[0, 1)``. Default 0.2.
        test_fraction: fraction of all rows in the test split, in ``[0, 1)``;
            ``val_fraction + test_fraction`` must be below 1. Default 0.2.
        standardize: z-score ``x`` (and a regression ``y``) with training
            statistics. Default ``None``: on for feature vectors, off for
            ``as_images`` (images stay in ``[0, 1]``); pass ``True`` to
            standardise images pixel by pixel.
        as_images: digits only; ``x`` becomes (N, 1, 8, 8) scaled from the raw
            0..16 grey levels to ``[0, 1]``. Default False.
        n_train: keep only this many training rows (at least one per class).
            Default ``None``: the whole training split.

    Returns:
        Dataset: ``.train``, ``.val``, ``.test`` (:class:`Split`), ``.task``,
        ``.num_classes``, ``.feature_names``, and the statistics used.

    Shape:
        - x: (N, F) float32, or (N, 1, 8, 8) with ``as_images``.
        - y: (N,) long for classification, (N,) float32 for regression.

    Raises:
        ValueError: unknown ``name``; fractions outside ``[0, 1)`` or summing
            to 1 or more; ``as_images`` for a set that is not digits;
            ``n_train`` smaller than the number of classes or larger than the
            training split.
        TypeError: a non-integer ``seed`` or ``n_train``.

    Example:
        >>> ds = load_dataset("wine", seed=0)
        >>> ds.task, ds.num_classes, tuple(ds.train.x.shape), tuple(ds.test.x.shape)
        ('classification', 3, (106, 13), (36, 13))
        >>> bool(ds.train.x.mean(0).abs().max() < 1e-5)
        True
        >>> load_dataset("digits", as_images=True).train.x.shape
        torch.Size([1079, 1, 8, 8])
    """
    check_choice(name, "name", DATASETS)
    check_number(seed, "seed", integer=True)
    check_number(val_fraction, "val_fraction", low=0.0, high=1.0, high_inclusive=False)
    check_number(test_fraction, "test_fraction", low=0.0, high=1.0, high_inclusive=False)
    if val_fraction + test_fraction >= 1.0:
        raise ValueError(
            "val_fraction + test_fraction must be below 1 to leave training rows; "
            f"got {val_fraction} + {test_fraction} = {val_fraction + test_fraction}"
        )
    if as_images and name != "digits":
        raise ValueError(f"as_images=True needs name='digits' (the only image set); got name={name!r}")
    if standardize is None:
        standardize = not as_images
    task = DATASETS[name]
    x_all, y_all, feature_names = _raw(name)
    n = len(y_all)
    strata = y_all if task == "classification" else None

    rng = np.random.default_rng(seed)
    rest, test_idx = _stratified_split(strata, n, test_fraction, rng)
    # val_fraction is a share of all rows; rescale it to a share of the rest.
    val_share = val_fraction * n / len(rest)
    sub_strata = strata[rest] if strata is not None else None
    train_pos, val_pos = _stratified_split(sub_strata, len(rest), val_share, rng)
    train_idx, val_idx = rest[train_pos], rest[val_pos]
    if len(train_idx) == 0:
        raise ValueError(
            f"val_fraction={val_fraction} and test_fraction={test_fraction} leave no training "
            f"rows out of {n}"
        )

    num_classes = int(y_all.max()) + 1 if task == "classification" else None
    if n_train is not None:
        check_number(n_train, "n_train", integer=True, low=num_classes or 1, high=len(train_idx))
        train_strata = strata[train_idx] if strata is not None else None
        keep = _nested_subsample(train_strata, len(train_idx), n_train, rng)
        train_idx = train_idx[keep]

    x = x_all
    if as_images:
        x = (x / 16.0).reshape(n, 1, 8, 8)  # (N, 64) -> (N, 1, 8, 8), grey levels 0..16 -> [0, 1]
    mean = std = None
    if standardize:
        mean = x[train_idx].mean(axis=0)  # (N_train, ...) -> (...)
        std = x[train_idx].std(axis=0)
        std = np.where(std > 0, std, 1.0)
        x = (x - mean) / std
        mean = torch.as_tensor(mean, dtype=torch.float32)
        std = torch.as_tensor(std, dtype=torch.float32)

    target_mean = target_std = None
    if task == "classification":
        y = torch.tensor(y_all, dtype=torch.long)  # a copy: the cached array is read-only
    else:
        y_np = y_all.astype(np.float64)
        if standardize:
            target_mean = float(y_np[train_idx].mean())
            target_std = float(y_np[train_idx].std())
            y_np = (y_np - target_mean) / target_std
        y = torch.as_tensor(y_np, dtype=torch.float32)
    x_t = torch.tensor(x, dtype=torch.float32)  # a copy: x may be the cached read-only array

    def split(idx: np.ndarray) -> Split:
        i = torch.as_tensor(idx, dtype=torch.long)
        return Split(x_t[i].contiguous(), y[i].contiguous())

    return Dataset(
        name=name,
        task=task,
        num_classes=num_classes,
        train=split(train_idx),
        val=split(val_idx),
        test=split(test_idx),
        feature_names=feature_names,
        mean=mean,
        std=std,
        target_mean=target_mean,
        target_std=target_std,
    )
