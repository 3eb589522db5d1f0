"""Hubforce simulator: local fakes of the HubSpot and Salesforce REST APIs.

    from simulator import Sandbox
    from simulator.core.inprocess import InProcessTransport   # requests -> fakes, no sockets
    from simulator.core.server import serve_in_thread         # real sockets (HubSpot SDK, other languages)
"""

from simulator.core.sandbox import Sandbox

__all__ = ["Sandbox"]
