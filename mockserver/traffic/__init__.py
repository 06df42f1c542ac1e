"""What the harness sees of client traffic: the request journal and injected faults.

``journal.py`` and ``faults.py`` are plain state (no HTTP, no anyio);
``middleware.py`` serves each client request (never the ``/_mock`` control
API) so that it feeds the one and meets the other.
"""
