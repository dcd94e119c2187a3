"""regularization."""

__all__: list[str] = []
