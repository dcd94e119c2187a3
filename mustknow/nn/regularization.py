"""regularization modules."""

__all__: list[str] = []
