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
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..functional._checks import check_choice
from .datasets import Split

__all__ = ["VISION_DATASETS", "load_torchvision"]

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
