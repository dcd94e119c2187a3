"""activation modules."""

__all__: list[str] = []
