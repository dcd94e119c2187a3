"""segmentation."""

__all__: list[str] = []
