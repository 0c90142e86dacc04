"""What a broker running as our child process has in common, whichever broker it is."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from sync.broker.ports import port_in_use
from sync.errors import BrokerError


class BrokerProcess:
    """Address, process state and the restart-on-the-same-port wait shared by Mosquitto and the embedded broker."""

    _host: str
    _port: int
    _requested_port: int
    _process: subprocess.Popen[bytes] | None
    _label = "the broker"

    def _where(self) -> Path:
        raise NotImplementedError

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        if not self._port:
            raise BrokerError(f"{self._label} has no port yet", where=str(self._where()), fix="call start() first")
        return self._port

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _wait_port_free(self, port: int, timeout: float = 5.0) -> None:
        """After a stop, give the old listener time to let go of ``port`` before starting again."""
        self._requested_port = port
        self._port = port
        deadline = time.monotonic() + timeout
        while port_in_use(self.host, port) and time.monotonic() < deadline:
            time.sleep(0.05)
