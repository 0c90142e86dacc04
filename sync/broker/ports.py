"""Free ports and waiting for a listener: shared by every broker we start."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the OS picks it; a race is still possible)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(host: str, port: int) -> bool:
    """True when something already accepts connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float, still_alive: Callable[[], bool] | None = None) -> bool:
    """Wait until ``host:port`` accepts a connection; False on timeout or when ``still_alive`` says no."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if still_alive is not None and not still_alive():
            return False
        if port_in_use(host, port):
            return True
        time.sleep(0.02)
    return False
