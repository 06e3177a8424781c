"""The message bus port and its backends."""

from hub.bus.inprocess import InProcessBus
from hub.bus.port import Bus, Handler

__all__ = ["Bus", "Handler", "InProcessBus"]
