"""An offline stand-in for Twilio Programmable Voice, for the demo and the tests.

See README.md in this package for the control API and what the sandbox does and does not do.
"""

from .app import create_sandbox_app
from .client import SandboxClientError, get_call, place_call, wait_for_call
from .config import NumberConfig, SandboxConfig

__all__ = [
    "NumberConfig",
    "SandboxClientError",
    "SandboxConfig",
    "create_sandbox_app",
    "get_call",
    "place_call",
    "wait_for_call",
]
