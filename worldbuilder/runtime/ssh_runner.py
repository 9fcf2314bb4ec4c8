"""A persistent command runner over one SSH channel: exec round trips in ~1-3 ms instead of a
channel (and a forked sshd session) per command.

The runner is a small python3 program started once per connection (``python3 -u -c``; nothing is
installed in the image). Each request is one JSON line ``{"cmd", "timeout"}``; it runs
``/bin/sh -c cmd`` in the home, in a new session, and kills the whole session at the timeout. The
reply is a JSON header line ``{"code", "timeout", "out", "err"}`` followed by the raw bytes.
"""

from __future__ import annotations

import json
import select
import shlex
import time
from collections.abc import Callable

import paramiko

RUNNER = r"""
import json, os, signal, subprocess, sys
MAX = int(sys.argv[2])
home = sys.argv[1] if os.path.isdir(sys.argv[1]) else "/"
rd, wr = sys.stdin.buffer, sys.stdout.buffer
wr.write(b"WB-RUNNER-1\n"); wr.flush()
for line in rd:
    req = json.loads(line)
    timed_out = False
    try:
        p = subprocess.Popen(["/bin/sh", "-c", req["cmd"]], cwd=home, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = p.communicate(timeout=req["timeout"])
        except subprocess.TimeoutExpired:
            timed_out = True
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                out, err = p.communicate(timeout=2)
            except subprocess.TimeoutExpired:
                out, err = b"", b""
        code = p.returncode if p.returncode is not None and p.returncode >= 0 else 128 - (p.returncode or -9)
    except OSError as exc:
        out, err, code = b"", str(exc).encode(), 127
    out, err = out[:MAX], err[:MAX]
    wr.write(json.dumps({"code": code, "timeout": timed_out, "out": len(out), "err": len(err)}).encode() + b"\n")
    wr.write(out); wr.write(err); wr.flush()
"""


class RunnerBroken(Exception):
    """The runner channel stopped answering within its deadline (state unknown)."""


class Runner:
    """Client side of the runner: one request at a time over one channel."""

    def __init__(self, transport: paramiko.Transport, home: str, max_output: int, timeout: float = 10.0,
                 dead: Callable[[], bool] = lambda: False) -> None:
        self.dead = dead
        self.chan = transport.open_session(timeout=timeout)
        self.chan.exec_command(f"exec python3 -u -c {shlex.quote(RUNNER)} {shlex.quote(home)} {max_output}")
        self.buf = bytearray()
        hello = self._read_line(time.monotonic() + timeout)
        if hello != b"WB-RUNNER-1":
            self.close()
            raise RunnerBroken(f"runner did not start: {hello[:80]!r}")

    def run(self, cmd: str, timeout: float, deadline: float) -> tuple[int, bytes, bytes, bool]:
        """(exit code, stdout, stderr, timed_out); RunnerBroken if no reply by ``deadline``."""
        self.chan.sendall(json.dumps({"cmd": cmd, "timeout": timeout}).encode() + b"\n")
        head = json.loads(self._read_line(deadline))
        out = self._read_exact(head["out"], deadline)
        err = self._read_exact(head["err"], deadline)
        return head["code"], out, err, head["timeout"]

    def _fill(self, deadline: float) -> None:
        while not self.chan.recv_ready():
            if self.chan.closed or self.chan.eof_received:
                raise RunnerBroken("runner channel closed")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RunnerBroken("runner did not answer in time")
            select.select([self.chan], [], [], min(remaining, 0.5))
            if not self.chan.recv_ready() and self.dead():
                raise RunnerBroken("the computer is gone")
        data = self.chan.recv(1 << 20)
        if not data:
            raise RunnerBroken("runner channel closed")
        self.buf += data

    def _read_line(self, deadline: float) -> bytes:
        while b"\n" not in self.buf:
            self._fill(deadline)
        line, _, rest = bytes(self.buf).partition(b"\n")
        self.buf = bytearray(rest)
        return line

    def _read_exact(self, n: int, deadline: float) -> bytes:
        while len(self.buf) < n:
            self._fill(deadline)
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    @property
    def alive(self) -> bool:
        return not (self.chan.closed or self.chan.eof_received)

    def close(self) -> None:
        try:
            self.chan.close()
        except Exception:  # noqa: BLE001
            pass
