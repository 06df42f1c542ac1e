"""The control API under ``/_mock``: the harness's way to shape and drive the world."""
