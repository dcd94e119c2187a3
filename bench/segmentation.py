"""Benchmark: segmentation losses vs MONAI, kornia and PyTorch's native cross entropy.

Forward + backward time and peak memory of mustknow's overlap losses (Dice,
Jaccard, Tversky) against MONAI and kornia on matched settings, and against
``torch.nn.functional.cross_entropy`` on the same logits (the practical floor:
one softmax read, one gradient write). Lovász-softmax is compared with
kornia's, bootstrapped cross entropy with native cross entropy.

Inputs: float32 logits ``(N, 21, H, W)`` from N(0, 1) with class-index
targets (21 classes as in PASCAL VOC), ``(8, 21, 256, 256)`` and a smaller
``(2, 21, 64, 64)``. Every pair is timed interleaved in one process with
``bench/_harness.py`` (median of the repeats, ratio = ours / peer); peak
memory is the increase of peak RSS over one forward+backward, each in a fresh
subprocess, measured at the large size only (the small one is below the
probe's resolution).

Matched settings: ours per image (``per_image=True``), all classes, no
smoothing difference that matters at these pixel counts; MONAI
``softmax=True, to_onehot_y=True, batch=False``; kornia ``average="macro"``
for Dice (per image, classes present: all 21 are present in every random
image). Goals, for Dice / Jaccard / Tversky at the large size: time ratio
<= 1/1.5 and memory ratio <= 0.7 against each peer, and time ratio <= 1.5
against native cross entropy.

Usage::

    python bench/segmentation.py [--repeats 11] [--threads 1] [--no-memory]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
import torch.nn.functional as TF

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Case, markdown_table, run_cases  # noqa: E402

import mustknow.functional as F  # noqa: E402

_C = 21  # classes (PASCAL VOC)
LARGE = 8 * _C * 256 * 256  # (8, 21, 256, 256)
SMALL = 2 * _C * 64 * 64  # (2, 21, 64, 64)
_PEER_GOAL = 1 / 1.5  # at least 1.5x faster than MONAI / kornia
_FLOOR_GOAL = 1.5  # at most 1.5x native cross entropy
_MEMORY_GOAL = 0.7  # at most 0.7x the peer's peak memory


def _inputs(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    side = 256 if size >= _C * 256 * 256 else 64 if size >= _C * 64 * 64 else 8
    n = max(size // (_C * side * side), 1)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, _C, side, side, generator=gen).requires_grad_()  # (N, C, H, W)
    return x, torch.randint(0, _C, (n, side, side), generator=gen)  # (N, H, W)


def _peers():
    """MONAI / kornia callables ``(logits, target) -> loss``; missing libraries are skipped."""
    peers = {}
    try:
        from monai import losses as ml

        dice = ml.DiceLoss(softmax=True, to_onehot_y=True, smooth_nr=1.0, smooth_dr=1.0)
        jac = ml.DiceLoss(softmax=True, to_onehot_y=True, jaccard=True, smooth_nr=2.0, smooth_dr=2.0)
        tv = ml.TverskyLoss(softmax=True, to_onehot_y=True, alpha=0.3, beta=0.7, smooth_nr=1.0, smooth_dr=1.0)
        peers["monai"] = {
            "dice": lambda x, y: dice(x, y.unsqueeze(1)),
            "jaccard": lambda x, y: jac(x, y.unsqueeze(1)),
            "tversky": lambda x, y: tv(x, y.unsqueeze(1)),
        }
    except ImportError:
        pass
    try:
        from kornia import losses as kl

        peers["kornia"] = {
            "dice": lambda x, y: kl.dice_loss(x, y, average="macro"),
            "tversky": lambda x, y: kl.tversky_loss(x, y, 0.3, 0.7),
            "lovasz": kl.lovasz_softmax_loss,
        }
    except ImportError:
        pass
    return peers


OURS = {
    "dice": lambda x, y: F.dice_loss(x, y, per_image=True),
    "jaccard": lambda x, y: F.jaccard_loss(x, y, per_image=True),
    "tversky": lambda x, y: F.tversky_loss(x, y, 0.3, 0.7, per_image=True),
    "lovasz": lambda x, y: F.lovasz_softmax(x, y, classes="all", per_image=True),
    "bootstrapped_ce": lambda x, y: F.bootstrapped_cross_entropy(x, y, k=0.0625),
}


def _cases() -> list[Case]:
    cases = []
    for lib, fns in _peers().items():
        for loss, peer in fns.items():
            goal = _PEER_GOAL if loss != "lovasz" else None
            cases.append(Case(f"{loss} vs {lib}", "segmentation", _inputs, OURS[loss], peer, goal, LARGE,
                              sizes=(SMALL, LARGE)))
    for loss in ("dice", "jaccard", "tversky", "lovasz", "bootstrapped_ce"):
        goal = _FLOOR_GOAL if loss in ("dice", "jaccard", "tversky") else None
        cases.append(Case(f"{loss} vs F.cross_entropy", "segmentation", _inputs, OURS[loss], TF.cross_entropy,
                          goal, LARGE, sizes=(SMALL, LARGE)))
    return cases


CASES: list[Case] = _cases()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11, help="timed repeats per implementation (default 11)")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory probes")
    parser.add_argument("--only", default=None, help="run cases whose name contains this string")
    args = parser.parse_args(argv)
    source = Path(__file__).resolve()
    selected = [(source, c) for c in CASES if args.only is None or args.only in c.name]
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.repeats} repeats, median times; "
          "ratio = ours / peer; memory at the large size only", file=sys.stderr)
    rows = []
    for src, case in selected:
        for size in case.sizes:
            rows += run_cases([(src, case)], [size], args.repeats, memory=not args.no_memory and size == LARGE,
                              threads=args.threads,
                              progress=lambda line: print(f"  {line}", file=sys.stderr, flush=True))
    print(markdown_table(rows))
    missed = [r for r in rows if r.memory_ratio is not None and "cross_entropy" not in r.case
              and r.case.split()[0] in ("dice", "jaccard", "tversky") and r.memory_ratio > _MEMORY_GOAL]
    print(f"\nmemory goal: ratio <= {_MEMORY_GOAL} against MONAI / kornia at {LARGE:.0e}; "
          + ("met by every case" if not missed else "missed by " + ", ".join(r.case for r in missed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
