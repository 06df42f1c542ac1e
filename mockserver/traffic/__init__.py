"""What the harness sees of client traffic: the request journal and injected faults.

``journal.py`` and ``faults.py`` are plain state (no HTTP, no anyio);
``middleware.py`` is the ASGI layer that feeds the one and applies the other
to client requests, never to the ``/_mock`` control API.
"""
