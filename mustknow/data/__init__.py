"""Data: scikit-learn's bundled sets as tensors (embedded, offline), the
digit-segmentation set built from the digits images, readers for the published
MNIST, Fashion-MNIST and CIFAR-10 files, and input transforms. Every submodule lists its public names in
``__all__``; they are all re-exported here."""

from . import datasets, segmentation, transforms, vision
from .datasets import *  # noqa: F401,F403
from .segmentation import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403
from .vision import *  # noqa: F401,F403

__all__ = [
    *datasets.__all__,
    *segmentation.__all__,
    *transforms.__all__,
    *vision.__all__,
]
