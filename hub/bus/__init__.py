"""The message bus port and its backends."""

from hub.bus.port import Bus, Handler
from hub.bus.inprocess import InProcessBus

__all__ = ["Bus", "Handler", "InProcessBus"]
