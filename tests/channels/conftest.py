"""The real peers the channel tests talk to, started by fixtures shared with
the live-service test and the provider contract."""

from tests.support.peers_prism import prism  # noqa: F401
from tests.support.sms_gateway import gateway, gateway_provider  # noqa: F401
from tests.support.smtp import start_server  # noqa: F401
from tests.support.telegram_peer import emulator  # noqa: F401
