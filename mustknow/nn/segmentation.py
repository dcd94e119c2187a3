"""segmentation modules."""

__all__: list[str] = []
