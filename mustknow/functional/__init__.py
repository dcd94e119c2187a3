"""The math of mustknow: pure functions on tensors, no state.

Each differentiable primitive is a ``torch.autograd.Function`` whose backward
is written by hand from the derivative in its docstring. Every submodule lists
its public names in ``__all__``; they are all re-exported here, so
``mustknow.functional.sigmoid`` works like ``torch.nn.functional.sigmoid``.
"""

from . import activations, losses, normalization, regularization, segmentation
from .activations import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .regularization import *  # noqa: F401,F403
from .segmentation import *  # noqa: F401,F403

__all__ = [
    *activations.__all__,
    *losses.__all__,
    *regularization.__all__,
    *normalization.__all__,
    *segmentation.__all__,
]
