"""The client-server API: one module per spec area, each exporting ``routes``."""
