"""mockserver: an in-memory Matrix homeserver for client tests and demos."""

from __future__ import annotations

__version__ = "0.1.0"
