"""What the questions' full profiles share about their image data: choosing it, loading it, naming it.

A full-profile config names the data set its trials use, resolved when the
configs are made (:func:`data_fields`, through
:func:`mustknow.data.available_image_dataset`): the public set when its files
are there, else ``"digits"``. So a result computed on digits is never stored
under a config that says MNIST, and no trial falls back on its own. Quick
configs name no data set; they use the embedded digits as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dataclasses

from ...data import IMAGE_DATASETS, Dataset, available_image_dataset, load_dataset, load_image_classification
from ...functional._checks import check_choice
from ..claims import Result

__all__ = ["TITLES", "FullData", "data_fields", "load_images", "mlp_data", "data_title", "data_note"]

#: How the report writes each data set's name.
TITLES = {"digits": "digits", "mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "cifar10": "CIFAR-10"}


@dataclass(frozen=True)
class FullData:
    """The data fields of a full-profile config, mixed into an experiment's own config class.

    A subclass ``class FullX(FullData, XConfig)`` keeps the quick ``XConfig``'s
    fields (and so the keys of its stored results) and adds these two.
    """

    dataset: str = "digits"  # what data_fields resolved: a public set, or "digits" when its files are not there
    n_train: int | None = None  # training images kept from a public set; None: the whole training split

    def __post_init__(self) -> None:
        check_choice(self.dataset, "dataset", IMAGE_DATASETS)
        parent = getattr(super(), "__post_init__", None)  # the experiment's own config checks, if any
        if parent is not None:
            parent()


def data_fields(name: str, n_train: int | None = None) -> dict[str, Any]:
    """A full config's data fields: ``name`` with ``n_train`` training images when its files are there, else digits.

    Digits keeps its whole training split (``n_train=None``), so a config that
    fell back does not claim a size it does not have.

    Raises:
        ValueError: unknown ``name``.
        TypeError: ``n_train`` neither an int nor None.

    Warns:
        DatasetFallbackWarning: once per process, when the files are missing.

    Example:
        >>> data_fields("digits", 1000)
        {'dataset': 'digits', 'n_train': None}
    """
    if n_train is not None and (isinstance(n_train, bool) or not isinstance(n_train, int)):
        raise TypeError(f"n_train must be an int or None; got {type(n_train).__name__} {n_train!r}")
    dataset = available_image_dataset(name)
    return {"dataset": dataset, "n_train": None if dataset == "digits" else n_train}


def load_images(dataset: str, n_train: int | None = None, standardize: bool = False,
                flatten: bool = False) -> Dataset:
    """A full config's data set with the split every seed shares (split seed 0).

    :func:`mustknow.data.load_image_classification` with ``seed=0``:
    ``standardize`` z-scores each colour channel with the training split's
    statistics, ``flatten`` gives MLPs ``(N, C*H*W)`` rows.

    Raises:
        ValueError, TypeError, FileNotFoundError: as
            :func:`~mustknow.data.load_image_classification`.
    """
    return load_image_classification(dataset, seed=0, n_train=n_train, standardize=standardize, flatten=flatten)


def mlp_data(config: Any) -> Dataset:
    """The data of one MLP trial, as standardised feature vectors.

    Quick configs (no :class:`FullData` fields), and full configs that name
    ``"digits"``, get the quick profile's ``load_dataset("digits", seed=0)``:
    64 pixels z-scored one by one with the training split's statistics. A
    full config naming a public set gets ``config.n_train`` of its training
    images (split seed 0, so every seed sees the same data) as ``C*H*W``
    pixels z-scored per colour channel with the training split's statistics.

    Raises:
        TypeError: ``config`` is not a dataclass instance.
        ValueError, FileNotFoundError: from
            :func:`~mustknow.data.load_image_classification` (``n_train`` out
            of range, files missing or malformed).
    """
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        raise TypeError(f"config must be a dataclass instance; got {type(config).__name__}")
    if not isinstance(config, FullData) or config.dataset == "digits":
        return load_dataset("digits", seed=0)
    return load_images(config.dataset, config.n_train, standardize=True, flatten=True)


def data_title(results: Sequence[Result]) -> str:
    """The data set(s) the results came from, for titles: their configs' ``dataset``, else the quick digits."""
    return ", ".join(sorted({TITLES[r["config"].get("dataset", "digits")] for r in results}))


def data_note(results: Sequence[Result]) -> tuple[str, str, dict[str, Any]]:
    """A sentence naming the data of full-profile results (English, Chinese) and its evidence entries.

    Empty for quick results, whose configs name no data set (they all use
    digits). A full config naming digits fell back: the public set's files
    were not there when the configs were made, and the sentence says so.

    Raises:
        ValueError: a config names a data set outside :data:`TITLES`.

    Example:
        >>> data_note([{"config": {"dataset": "mnist", "n_train": 20000}}])[0]
        ' Data: MNIST (20000 training images).'
    """
    used: dict[str, set[int | None]] = {}
    for r in results:
        if "dataset" in r["config"]:
            used.setdefault(r["config"]["dataset"], set()).add(r["config"].get("n_train"))
    if not used:
        return "", "", {}
    for name in used:
        check_choice(name, "dataset", tuple(TITLES))
    names = sorted(used, key=TITLES.__getitem__)

    def sizes(name: str, lang: str) -> str:
        counts = sorted(n for n in used[name] if n is not None)
        whole = None in used[name]
        if lang == "en":
            listed = ", ".join(map(str, counts)) + (" and all" if whole and counts else "")
            return f"{listed} training images" if counts else "its whole training split"
        listed = "、".join(map(str, counts))
        if not counts:
            return "全部训练集"
        return f"{listed} 张及全部训练图像" if whole else f"{listed} 张训练图像"

    en = ", ".join(f"{TITLES[d]} ({sizes(d, 'en')})" for d in names)
    zh = "、".join(f"{TITLES[d]}({sizes(d, 'zh')})" for d in names)
    if "digits" in used:
        en += "; digits because the public set's files were not there"
        zh += ";使用 digits 是因为公开数据集的文件不存在"
    return (f" Data: {en}.", f"数据:{zh}。",
            {"dataset": ", ".join(TITLES[d] for d in names),
             "n_train": sorted({n for d in names for n in used[d]}, key=lambda n: (n is None, n or 0))})
