"""``python -m sigv4kit``: the command line (see ``sigv4kit_entry`` for the console script)."""

from .cli import main

__all__: list[str] = []

main()
