"""The control API under ``/_mock``: one module per concern, each exporting ``routes``.

Handlers change state only through public methods of the store, the
notifier, the clock, the journal and the fault rules; ``app.py`` mounts
them with :func:`mockserver.control.routing.mount_control`, which checks
the control token.
"""
