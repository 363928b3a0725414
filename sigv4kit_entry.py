"""The ``sigv4kit`` console script. It lives outside the package on purpose: importing
``sigv4kit`` takes tens of milliseconds, and a Ctrl-C in them must end like one later on
("Interrupted.", exit 130), not with a traceback. Nothing is imported before the ``try``."""

import sys


def main() -> None:
    try:
        from sigv4kit.cli import main as cli_main
    except KeyboardInterrupt:
        try:
            sys.stderr.write("Interrupted.\n")
        finally:
            sys.exit(130)
    cli_main()
