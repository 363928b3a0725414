"""The receiving side of SigV4: AWS's error answers for a verdict (``errors``), verifying ASGI
and WSGI middleware (``asgi``, ``wsgi``) and the signing / re-signing proxy (``proxy``).

Imports the core, ``aws/`` and ``transport/`` only (the layers in docs/development.md); each
submodule pulls its framework (aiohttp for the proxy) only when imported.
"""

__all__: list[str] = []
