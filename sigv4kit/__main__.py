"""``python -m sigv4kit``: the command line."""

from .cli import main

main()
