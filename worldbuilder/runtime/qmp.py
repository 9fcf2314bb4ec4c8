"""A minimal QMP (QEMU Machine Protocol) client over a UNIX socket: enough to save/load snapshots and quit."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

from worldbuilder.errors import ComputerError, ComputerUnreachable


class QMPError(ComputerError):
    """QEMU refused a QMP command."""


class QMP:
    """One QMP session. Use as a context manager; :meth:`hmp` runs a human-monitor command."""

    def __init__(self, path: str | Path, timeout: float = 10.0) -> None:
        self.path = str(path)
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.buf = b""

    def __enter__(self) -> QMP:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.path)
        except OSError as exc:
            sock.close()
            raise ComputerUnreachable(f"QMP socket {self.path} does not answer: {exc.strerror or exc}") from exc
        self.sock = sock
        self._read_message()  # greeting
        self.execute("qmp_capabilities")

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def execute(self, command: str, timeout: float | None = None, **arguments: Any) -> Any:
        """Run a QMP command and return its ``return`` value (events in between are skipped)."""
        if self.sock is None:
            raise ComputerUnreachable("QMP session is not connected")
        msg: dict[str, Any] = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            reply = self._read_message(deadline)
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise QMPError(f"QMP {command}: {reply['error'].get('desc', reply['error'])}")

    def hmp(self, command_line: str, timeout: float = 120.0) -> str:
        """Run a human-monitor command (e.g. ``savevm day-01``); returns its text output."""
        return self.execute("human-monitor-command", timeout=timeout, **{"command-line": command_line})

    def _read_message(self, deadline: float | None = None) -> dict[str, Any]:
        assert self.sock is not None
        deadline = deadline or time.monotonic() + self.timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ComputerUnreachable(f"QMP socket {self.path} timed out")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError as exc:
                raise ComputerUnreachable(f"QMP socket {self.path} timed out") from exc
            if not chunk:
                raise ComputerUnreachable(f"QMP socket {self.path} closed (QEMU exited?)")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)


def press_power_button(path: str | Path) -> bool:
    """Send the ACPI power button (``system_powerdown``) to the VM behind QMP socket ``path``; False when
    the VM does not answer (already gone, or QMP refused), so the caller goes on to quit or kill it."""
    try:
        with QMP(path) as qmp:
            qmp.execute("system_powerdown")
    except ComputerError:
        return False
    return True
