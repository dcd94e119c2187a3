"""Modules: hold parameters, buffers and ``training``; the math is in
:mod:`mustknow.functional`. Every submodule lists its public names in
``__all__``; they are all re-exported here."""

from . import activation, blocks, loss, normalization, regularization, segmentation
from .activation import *  # noqa: F401,F403
from .blocks import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .regularization import *  # noqa: F401,F403
from .segmentation import *  # noqa: F401,F403

__all__ = [
    *activation.__all__,
    *loss.__all__,
    *regularization.__all__,
    *normalization.__all__,
    *blocks.__all__,
    *segmentation.__all__,
]
