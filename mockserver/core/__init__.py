"""The domain: store, sync computation, tokens and filters. Nothing here knows HTTP."""
