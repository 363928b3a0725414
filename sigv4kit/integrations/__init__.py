"""Adapters that plug sigv4kit's signing into HTTP libraries."""

__all__: list[str] = []
