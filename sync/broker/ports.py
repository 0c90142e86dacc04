"""Free ports and waiting for a listener: shared by every broker we start."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Callable
from pathlib import Path

#: where the OS numbers outgoing connections when /proc does not say (Linux's default)
EPHEMERAL_DEFAULT = (32768, 60999)
#: the ports free_port draws from, less the ephemeral range
CHOOSABLE = (10000, 65535)
_draw = random.SystemRandom()  # not the module's generator: pytest-randomly seeds it alike in every worker


def ephemeral_range(path: Path = Path("/proc/sys/net/ipv4/ip_local_port_range")) -> tuple[int, int]:
    """The ports the OS hands to outgoing connections."""
    try:
        low, high = (int(part) for part in path.read_text().split())
        return low, high
    except (OSError, ValueError):
        return EPHEMERAL_DEFAULT


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody uses right now, outside the range the OS numbers outgoing connections from: a
    port the OS picked from that range was taken by a client socket before a broker started on it later
    (CI: "Address already in use"). A race with another listener is still possible."""
    low, high = ephemeral_range()
    for _ in range(100):
        port = _draw.randint(*CHOOSABLE)
        if low <= port <= high:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # every draw taken: the OS's choice
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
