"""Question 3: why training overfits, and what prevents it.

One experiment, :func:`run_overfit`, trains an MLP on the digits images
(flattened 8x8 grey levels in [0, 1], 10 classes) and measures the
train/validation gap, the test scores and the per-epoch curves. Every claim of
the question is a set of its configs:

1. too little data: the gap against the training-set size;
2. too many parameters: the gap against the hidden width at a small training set
   (a second descent of the gap for very wide nets makes the verdict NUANCED);
3. too many iterations: the validation loss has a minimum and then rises while
   the training loss keeps falling;
4. each regulariser the note lists (L1, L2, dropout, data augmentation, noise
   injection, early stopping, multi-task learning, batch normalisation) added to
   one deliberately overfitting setup (100 training images, a wide 2-hidden-layer
   MLP, full-batch Adam trained far past the validation minimum), against the
   unregularised baseline with the same seeds; plus a summary with the forest plot.

Seeds vary everything random: the data split and the training subsample
(``load_dataset(seed=seed)``), the initialisation and the training noise, so
arms that share a seed share their data and (where the architectures agree)
their initial weights: comparisons across arms are paired.

Strength selection: each regulariser has a small grid of strengths. Seeds
``0 .. N_SELECTION_SEEDS - 1`` are *selection seeds*: the strength with the
lowest mean validation loss over them is chosen, and their test scores are
never used. The effect of the chosen strength is then measured on the *test*
split over the remaining, fresh seeds, paired with the baseline of the same seed.
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ... import functional as MF
from ...data import load_dataset, random_shift_rotate
from ...nn import MultiTaskLoss, make_mlp
from ...nn import count_parameters
from ...nn.blocks import MLP
from .. import stats
from ..claims import Claim, Question, Result, Verdict
from ..train import TrainConfig, evaluate, fit, seed_everything

__all__ = ["QUESTION", "OverfitConfig", "run_overfit", "TwoHeadMLP", "REGULARISERS"]

_SECTION = "三、训练中出现过拟合的原因?深度学习里的正则方法有哪些/如何防止过拟合?"

#: The regularisers the note lists, in its order, and what ``strength`` means for each.
REGULARISERS: dict[str, str] = {
    "l1": "coefficient l1 of the penalty l1 * sum|w| (weights only)",
    "l2": "coefficient l2 of the penalty l2 / 2 * sum w^2 (weights only)",
    "dropout": "drop probability p after each hidden block",
    "augmentation": "largest rotation in degrees, with random shifts of up to 1 pixel",
    "noise": "std of Gaussian noise added to every training input (pixels in [0, 1])",
    "early_stopping": "patience, in validation checks without improvement (best weights restored)",
    "multitask": "weight of an auxiliary input-reconstruction loss (a second head)",
    "batchnorm": "none (BatchNorm before each ReLU; one arm)",
}
_NAMES = {
    "l1": "L1",
    "l2": "L2",
    "dropout": "dropout",
    "augmentation": "data augmentation",
    "noise": "noise injection",
    "early_stopping": "early stopping",
    "multitask": "multi-task learning",
    "batchnorm": "batch normalisation",
}
_NAMES_ZH = {
    "l1": "L1 正则",
    "l2": "L2 正则",
    "dropout": "Dropout",
    "augmentation": "数据增强",
    "noise": "加噪",
    "early_stopping": "提前终止",
    "multitask": "多任务联合",
    "batchnorm": "加 BN",
}
#: Random shifts of augmentation, in pixels (one pixel of 8 is already an eighth of the image).
AUG_MAX_SHIFT = 1


# --------------------------------------------------------------------------- the experiment


@dataclass(frozen=True)
class OverfitConfig:
    """One training run of the overfitting study (all claims of question 3)."""

    n_train: int | None = 100  # 10 images per class: an MLP memorises them within a few epochs
    width: int = 128  # ~26k parameters for 100 images: heavily over-parameterised, still cheap
    depth: int = 2  # two hidden layers: dropout and BN act inside the network, not only at its input
    epochs: int = 60  # far past the validation minimum (about epoch 10-30): long training overfits
    lr: float = 1e-2  # Adam at a large step: reaches near-zero training loss quickly
    batch_size: int | None = None  # full batch: the cheapest step here, and the same step count for every size
    eval_every: int = 2  # validation checks (curves, early stopping) every 2 epochs halve their cost
    regulariser: str = "none"  # "none" (the baseline) or a key of REGULARISERS
    strength: float = 0.0  # the regulariser's strength (meaning per REGULARISERS); 0 for the baseline


class TwoHeadMLP(nn.Module):
    """An MLP trunk with two heads: class logits and a reconstruction of the input.

    In training mode ``forward`` returns ``(logits, reconstruction, target)``,
    where ``target`` is the flattened input (the reconstruction head's
    target), so a loss ``loss_fn(output, y)`` can score both heads. In eval
    mode it returns the logits alone: the auxiliary head only shapes training.
    This is the supervised auto-encoder of Le, Patterson & White (2018),
    "Supervised autoencoders: Improving generalization performance with
    unsupervised regularizers" (NeurIPS).

    Args:
        mlp: the trunk and classification head (:func:`mustknow.nn.make_mlp`).
        in_features: size of the flattened input, the reconstruction's size.

    Shape:
        (N, *) -> logits (N, classes); in training also reconstruction and
        target (N, in_features).

    Example:
        >>> net = TwoHeadMLP(make_mlp(64, 10, 1, 16), 64)
        >>> [tuple(t.shape) for t in net(torch.rand(3, 1, 8, 8))]
        [(3, 10), (3, 64), (3, 64)]
    """

    def __init__(self, mlp: MLP, in_features: int) -> None:
        super().__init__()
        self.blocks = mlp.blocks
        self.head = mlp.head
        self.reconstruction = nn.Linear(mlp.head.in_features, in_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        flat = x.flatten(1)  # (N, *) -> (N, in_features)
        h = flat
        for block in self.blocks:
            h = block(h)
        logits = self.head(h)
        if not self.training:
            return logits
        return logits, self.reconstruction(h), flat


def _multitask_loss(weight: float) -> Callable[[Any, torch.Tensor], torch.Tensor]:
    """Cross-entropy plus ``weight`` times the reconstruction MSE (training outputs); CE alone in eval."""
    combine = MultiTaskLoss(2, weights=[1.0, weight])

    def loss(output: Any, target: torch.Tensor) -> torch.Tensor:
        if isinstance(output, tuple):
            logits, recon, x = output
            return combine([MF.cross_entropy(logits, target), torch.nn.functional.mse_loss(recon, x)])
        return MF.cross_entropy(output, target)

    return loss


def _setup(config: OverfitConfig, seed: int) -> tuple[nn.Module, TrainConfig, Callable | None]:
    """The model, training config and loss of one run (the regulariser switched on)."""
    if config.regulariser != "none" and config.regulariser not in REGULARISERS:
        raise ValueError(
            f"regulariser={config.regulariser!r} must be 'none' or one of {', '.join(REGULARISERS)}"
        )
    reg, s = config.regulariser, config.strength
    train = TrainConfig(optimizer="adam", lr=config.lr, epochs=config.epochs, batch_size=config.batch_size)
    seed_everything(seed)
    model: nn.Module = make_mlp(
        64,
        10,
        config.depth,
        config.width,
        norm="batch" if reg == "batchnorm" else "none",
        dropout=s if reg == "dropout" else 0.0,
    )
    loss_fn = None
    if reg == "l1":
        train = train.replace(l1=s)
    elif reg == "l2":
        train = train.replace(l2=s)
    elif reg == "augmentation":
        train = train.replace(augment=functools.partial(random_shift_rotate, max_shift=AUG_MAX_SHIFT, max_degrees=s))
    elif reg == "noise":
        train = train.replace(input_noise_std=s)
    elif reg == "early_stopping":
        train = train.replace(early_stopping_patience=int(s), restore_best=True)
    elif reg == "multitask":
        model = TwoHeadMLP(model, 64)  # the trunk's initial weights are the baseline's
        loss_fn = _multitask_loss(s)
    return model, train, loss_fn


def run_overfit(config: OverfitConfig, seed: int) -> dict[str, Any]:
    """Train one MLP on digits; return its train/val/test scores, gaps and curves.

    Metrics (losses are cross-entropy in nats, accuracies in [0, 1]; train
    scores re-measured in eval mode after training):
    ``train_loss, train_acc, val_loss, val_acc, test_loss, test_acc``;
    ``gap_loss = val_loss - train_loss``, ``gap_acc = train_acc - val_acc``;
    ``val_min_loss`` and ``val_min_epoch`` (the best validation check);
    ``val_rise`` (last minus lowest validation loss); ``train_fall`` (training
    loss at the best check minus the last training loss); ``epochs_run``;
    ``parameters``.

    Series: ``train_loss`` per epoch (the full-batch loss of the step, in
    train mode), ``val_loss``, ``val_acc`` and ``val_epochs`` per validation check.
    """
    data = load_dataset("digits", seed=seed, as_images=True, n_train=config.n_train)
    model, train_config, loss_fn = _setup(config, seed)
    history = fit(model, data.train, data.val, train_config, seed=seed, loss_fn=loss_fn,
                  eval_every=config.eval_every)
    scores = {name: evaluate(model, split, loss_fn) for name, split in
              (("train", data.train), ("val", data.val), ("test", data.test))}
    best = min(range(len(history.val_loss)), key=history.val_loss.__getitem__)
    best_epoch = history.val_epochs[best]
    metrics = {f"{name}_{k}": float(v) for name, s in scores.items() for k, v in s.items()}
    metrics.update(
        gap_loss=metrics["val_loss"] - metrics["train_loss"],
        gap_acc=metrics["train_acc"] - metrics["val_acc"],
        val_min_loss=history.val_loss[best],
        val_min_epoch=float(best_epoch),
        val_rise=history.val_loss[-1] - history.val_loss[best],
        train_fall=history.train_loss[best_epoch - 1] - history.train_loss[-1],
        epochs_run=float(history.epochs),
        parameters=float(count_parameters(model)),
    )
    series = history.to_series()
    return {"metrics": metrics, "series": {k: series[k] for k in ("train_loss", "val_loss", "val_acc", "val_epochs")}}


QUESTION = Question(
    number=3,
    title_zh="训练中出现过拟合的原因?深度学习里的正则方法有哪些/如何防止过拟合?",
    title_en="Why does training overfit? Which regularisation methods does deep learning use to prevent it?",
    answer_en="",
    answer_zh="",
    implemented_by=(),
    note_figures=(),
    claims=(),
)
