"""Loopback servers users and tests reuse (capture, verifying, faulty, hostile, POST upload,
redirecting servers and the local EC2-compatible endpoint); each submodule says what it offers."""

__all__: list[str] = []
