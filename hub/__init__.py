"""The hub: message bus, store, settings, app factory and CLI."""
