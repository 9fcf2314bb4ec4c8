"""SSHComputer: a :class:`Computer` over ONE persistent paramiko connection (exec + SFTP).

Every operation is bounded: socket and channel timeouts, keepalives, a host-side deadline on
each command (the remote side is killed by ``timeout -s KILL``, which signals the whole process
group), and bounded reconnects. A computer that stops answering raises ``ComputerUnreachable``.
"""

from __future__ import annotations

import base64
import os
import posixpath
import secrets
import select
import shlex
import socket
import stat
import threading
import time
from pathlib import Path

import paramiko

from worldbuilder.errors import (
    CallFailed,
    CommandTimeout,
    ComputerUnreachable,
    RemoteFileError,
    RemoteFileNotFound,
    TransferRefused,
)
from worldbuilder.runtime.computer import DEFAULT_READ_CAP, Computer, ExecResult, SSHEndpoint
from worldbuilder.runtime.ssh_runner import Runner, RunnerBroken

KILL_GRACE = 2.0  # seconds the host waits past the remote timeout before giving up on the channel
TCP_CONNECT = 1.5  # per-attempt TCP connect timeout (a vanished address otherwise takes ~3 s to fail)
SFTP_IDLE = 10.0  # seconds without a byte from SFTP before the connection is considered stuck
READ_CHUNK, WINDOW = 32768, 8 << 20  # SFTP read request size; bytes in flight (and in memory) per file read
MAX_OUTPUT = 32 * 1024 * 1024  # bytes kept per stream; the rest is dropped (with a marker)
NET_ERRORS = (paramiko.SSHException, EOFError, OSError, socket.timeout)


class _AcceptKey(paramiko.MissingHostKeyPolicy):
    """Used only when no host key is pinned (the endpoint is a private address we created)."""

    def missing_host_key(self, client, hostname, key) -> None:  # noqa: D401
        return None


def _pin(client: paramiko.SSHClient, host: str, host_key: str | None) -> None:
    """Trust exactly ``host_key`` ("ssh-ed25519 AAAA...") for ``host``; reject anything else."""
    if not host_key:
        client.set_missing_host_key_policy(_AcceptKey())
        return
    kind, b64 = host_key.split()[:2]
    client.get_host_keys().add(host, kind, paramiko.PKey.from_type_string(kind, base64.b64decode(b64)))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())


class SSHComputer(Computer):
    """A running computer reached over SSH as its user (key auth only)."""

    def __init__(self, endpoint: SSHEndpoint, name: str, home: str, connect_timeout: float = 10.0,
                 op_timeout: float = 30.0, reconnects: int = 3, keepalive: int = 5, use_runner: bool = True,
                 host_key: str | None = None) -> None:
        self.endpoint, self.name, self.home, self.user = endpoint, name, home.rstrip("/") or "/", endpoint.user
        self.connect_timeout, self.op_timeout, self.reconnects, self.keepalive = (
            connect_timeout, op_timeout, reconnects, keepalive)
        self._client: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self._lock = threading.RLock()
        self._closed = False
        self.use_runner, self.host_key = use_runner, host_key
        self._runner: Runner | None = None
        self._runner_lock = threading.Lock()
        self._pkey = paramiko.Ed25519Key.from_private_key_file(str(endpoint.key_path))
        self._connect()

    # ------------------------------------------------------------------ connection
    def _connect(self) -> None:
        """(Re)connect with bounded retries; raise ComputerUnreachable when it cannot."""
        deadline = time.monotonic() + self.connect_timeout
        last: Exception | None = None
        for attempt in range(self.reconnects + 1):
            self._drop()
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.is_dead():
                break
            client = paramiko.SSHClient()
            _pin(client, self.endpoint.host, self.host_key)
            try:
                sock = socket.create_connection((self.endpoint.host, self.endpoint.port),
                                                timeout=min(remaining, TCP_CONNECT))
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle: 40 ms -> ~1 ms
                client.connect(self.endpoint.host, self.endpoint.port, username=self.endpoint.user, sock=sock,
                               pkey=self._pkey, timeout=remaining, banner_timeout=remaining,
                               auth_timeout=remaining, channel_timeout=remaining,
                               allow_agent=False, look_for_keys=False)
                transport = client.get_transport()
                assert transport is not None
                transport.set_keepalive(self.keepalive)
                self._client = client
                return
            except paramiko.BadHostKeyException as exc:
                client.close()
                raise ComputerUnreachable(f"{self.name}: host key does not match the pinned key") from exc
            except paramiko.AuthenticationException as exc:
                client.close()
                raise ComputerUnreachable(f"{self.name}: SSH key rejected for {self.endpoint.user}") from exc
            except NET_ERRORS as exc:
                client.close()
                last = exc
                time.sleep(min(0.2 * (attempt + 1), max(0.0, deadline - time.monotonic())))
        why = f"{type(last).__name__}: {last}" if last else "computer is not running"
        raise ComputerUnreachable(f"{self.name} is unreachable at {self.endpoint.host}:{self.endpoint.port} ({why})")

    def _drop(self) -> None:
        runner, self._runner = getattr(self, "_runner", None), None
        if runner is not None:
            runner.close()
        for obj in (self._sftp, self._client):
            try:
                if obj is not None:
                    obj.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
        self._sftp = self._client = None

    def _transport(self) -> paramiko.Transport:
        with self._lock:
            if self._closed:
                raise ComputerUnreachable(f"{self.name}: handle is closed")
            t = self._client.get_transport() if self._client else None
            if t is None or not t.is_active():
                self._connect()
                t = self._client.get_transport()  # type: ignore[union-attr]
            return t  # type: ignore[return-value]

    def is_dead(self) -> bool:
        """Backends override with a cheap liveness check (e.g. the container is gone)."""
        return False

    def _unreachable(self, exc: BaseException) -> ComputerUnreachable:
        self._drop()
        return ComputerUnreachable(f"{self.name}: connection lost ({type(exc).__name__}: {exc})")

    # ------------------------------------------------------------------ exec
    def exec(self, cmd: str, timeout: float = 60.0) -> ExecResult:
        """Run ``cmd`` with ``sh`` in the home directory; kill it and raise CommandTimeout at ``timeout``.

        Uses the persistent runner channel when it is free (fast path), else a channel per command.
        """
        start = time.monotonic()
        if self.use_runner and self._runner_lock.acquire(blocking=False):
            try:
                return self._exec_runner(cmd, timeout, start)
            finally:
                self._runner_lock.release()
        return self._exec_channel(cmd, timeout, start)

    def _exec_runner(self, cmd: str, timeout: float, start: float) -> ExecResult:
        try:
            if self._runner is None or not self._runner.alive:
                self._runner = Runner(self._transport(), self.home, MAX_OUTPUT, timeout=self.op_timeout,
                                      dead=self.is_dead)
            code, out, err, timed_out = self._runner.run(cmd, timeout, start + timeout + KILL_GRACE + 3)
        except (RunnerBroken, *NET_ERRORS) as exc:
            if self._runner is not None:
                self._runner.close()
            self._runner = None
            if self.is_dead() or not self._alive():
                raise ComputerUnreachable(f"{self.name}: no answer while running a command ({exc})") from exc
            if self.halted():  # the provider stopped the writers (disk quota): never run the command again
                raise CallFailed(f"command stopped: {self.halted()}") from exc
            if time.monotonic() - start >= timeout:
                raise CommandTimeout(f"command exceeded {timeout:g}s and was killed: {cmd[:80]}") from exc
            return self._exec_channel(cmd, timeout, start)
        if timed_out:
            raise CommandTimeout(f"command exceeded {timeout:g}s and was killed: {cmd[:80]}")
        return ExecResult(code, out.decode(errors="replace"), err.decode(errors="replace"),
                          time.monotonic() - start)

    def _exec_channel(self, cmd: str, timeout: float, start: float) -> ExecResult:
        wrapped = (f"cd {shlex.quote(self.home)} 2>/dev/null; "
                   f"exec timeout -s KILL {max(timeout, 0.01):.3f} sh -c {shlex.quote(cmd)}")
        try:
            chan = self._transport().open_session(timeout=self.op_timeout)
            chan.exec_command(wrapped)
        except NET_ERRORS as exc:
            raise self._unreachable(exc) from exc
        try:
            out, err, code = self._collect(chan, start + timeout + KILL_GRACE)
        finally:
            chan.close()
        duration = time.monotonic() - start
        # timeout -s KILL also kills itself (it signals its process group): exit-signal => code -1
        if code is None or (code in (137, -1) and duration >= timeout):
            if code is None and (self.is_dead() or not self._alive()):
                raise ComputerUnreachable(f"{self.name}: no answer while running a command")
            raise CommandTimeout(f"command exceeded {timeout:g}s and was killed: {cmd[:80]}")
        return ExecResult(code, out.decode(errors="replace"), err.decode(errors="replace"), duration)

    def _collect(self, chan: paramiko.Channel, deadline: float) -> tuple[bytes, bytes, int | None]:
        out, err = bytearray(), bytearray()
        while True:
            if chan.recv_ready():
                _append(out, chan.recv(65536))
                continue
            if chan.recv_stderr_ready():
                _append(err, chan.recv_stderr(65536))
                continue
            if chan.exit_status_ready() and chan.eof_received:
                return bytes(out), bytes(err), chan.recv_exit_status()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return bytes(out), bytes(err), None
            select.select([chan], [], [], min(remaining, 1.0))
            if self.is_dead() and not chan.recv_ready():
                raise ComputerUnreachable(f"{self.name}: computer died while running a command")

    def _alive(self) -> bool:
        """A bounded round trip on the connection (used after a command overran)."""
        try:
            t = self._transport()
            chan = t.open_session(timeout=3.0)
            chan.close()
            return True
        except (ComputerUnreachable, *NET_ERRORS):
            self._drop()
            return False

    # ------------------------------------------------------------------ files (SFTP)
    def resolve(self, path: str) -> str:
        """Absolute path inside the computer; relative paths resolve against the home."""
        return posixpath.normpath(path if path.startswith("/") else posixpath.join(self.home, path))

    def _sftp_call(self, fn, what: str = ""):
        """Run ``fn(sftp)``. Remote file errors become :class:`CallFailed` subclasses; a connection
        failure is retried once, and is ``ComputerUnreachable`` only when the computer is really gone."""
        for attempt in (0, 1):
            try:
                with self._lock:
                    t = self._transport()
                    if self._sftp is None:
                        self._sftp = paramiko.SFTPClient.from_transport(t)
                        assert self._sftp is not None
                        self._sftp.get_channel().settimeout(min(self.op_timeout, SFTP_IDLE))
                    sftp = self._sftp
                return fn(sftp)
            except (CallFailed, ComputerUnreachable):
                raise
            except FileNotFoundError as exc:
                raise RemoteFileNotFound(f"{what}: no such file or folder") from exc
            except PermissionError as exc:
                raise RemoteFileError(f"{what}: permission denied") from exc
            except NET_ERRORS as exc:
                self._drop_sftp()
                t = self._client.get_transport() if self._client else None
                if t is not None and t.is_active() and self._alive():  # it answers: only this call failed
                    if isinstance(exc, socket.timeout):
                        raise CallFailed(f"{what}: no answer within {SFTP_IDLE:g}s (a FIFO or device?)") from exc
                    raise RemoteFileError(f"{what}: {exc or type(exc).__name__}") from exc
                self._drop()
                if attempt == 1 or self.is_dead():
                    raise self._unreachable(exc) from exc
        raise AssertionError("unreachable")

    def _drop_sftp(self) -> None:
        sftp, self._sftp = self._sftp, None
        try:
            if sftp is not None:
                sftp.close()
        except Exception:  # noqa: BLE001 - closing a broken channel
            pass

    def alive(self) -> bool:
        """The provider says the computer runs and a session opens on its connection."""
        return not self.is_dead() and self._alive()

    def _checked(self, sftp: paramiko.SFTPClient, path: str, max_bytes: int, root: str | None) -> tuple[str, int]:
        """The resolved path and size of a regular file of at most ``max_bytes`` (links followed, and
        must stay under ``root``); raise :class:`RemoteFileError` / :class:`TransferRefused` otherwise."""
        p = self.resolve(path)
        real = sftp.normalize(p)
        if root is not None and not _under(real, root):
            raise TransferRefused(f"{path}: resolves to {real}, outside {root}")
        st = sftp.stat(real)
        mode = st.st_mode or 0
        if stat.S_ISDIR(mode):
            raise RemoteFileError(f"{path}: is a folder, not a file")
        if not stat.S_ISREG(mode):
            raise TransferRefused(f"{path}: not a regular file ({_kind(mode)})")
        size = st.st_size or 0
        if size > max_bytes:
            raise TransferRefused(f"{path}: {size} bytes, over the {max_bytes}-byte cap")
        return real, size

    def read(self, path: str, max_bytes: int = DEFAULT_READ_CAP) -> bytes:
        """A regular file's bytes (at most ``max_bytes``; folders, FIFOs and devices are refused)."""

        def _read(sftp: paramiko.SFTPClient) -> bytes:
            real, size = self._checked(sftp, path, max_bytes, None)
            buf = bytearray()
            with sftp.open(real, "rb") as fh:
                for chunk in _stream(fh, size):
                    buf += chunk
            return bytes(buf)

        return self._sftp_call(_read, path)

    def fetch(self, path: str, local: str | Path, max_bytes: int, allowed_root: str | None = None) -> int:
        """Stream a regular file under ``allowed_root`` (default: the home) to ``local``; return its size."""
        local = Path(local)
        root = self.home if allowed_root is None else allowed_root

        def _fetch(sftp: paramiko.SFTPClient) -> int:
            real, size = self._checked(sftp, path, max_bytes, root)
            tmp = local.with_name(f".{local.name}.tmp-{secrets.token_hex(3)}")
            n = 0
            try:
                with sftp.open(real, "rb") as fh, open(tmp, "wb") as out:
                    for chunk in _stream(fh, size):
                        n += len(chunk)
                        out.write(chunk)
                os.replace(tmp, local)
            finally:
                tmp.unlink(missing_ok=True)
            return n

        return self._sftp_call(_fetch, path)

    def write(self, path: str, data: bytes) -> None:
        """Write atomically (temp file + rename); parent directories are created."""
        p = self.resolve(path)

        def _write(sftp: paramiko.SFTPClient) -> None:
            _makedirs(sftp, posixpath.dirname(p))
            tmp = f"{posixpath.dirname(p)}/.{posixpath.basename(p)}.wb-{secrets.token_hex(4)}"
            with sftp.open(tmp, "wb") as fh:
                fh.set_pipelined(True)
                fh.write(data)
            sftp.posix_rename(tmp, p)

        self._sftp_call(_write, path)

    def listdir(self, path: str = ".") -> list[str]:
        p = self.resolve(path)
        return sorted(self._sftp_call(lambda sftp: sftp.listdir(p), path))

    def put(self, local: str | Path, remote: str) -> None:
        self.write(remote, Path(local).read_bytes())

    def get(self, remote: str, local: str | Path, max_bytes: int = DEFAULT_READ_CAP) -> None:
        self.fetch(remote, local, max_bytes, allowed_root="/")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._drop()


def _append(buf: bytearray, data: bytes) -> None:
    room = MAX_OUTPUT - len(buf)
    if room > 0:
        buf += data[:room]
        if len(data) > room:
            buf += b"\n[output truncated]\n"


def _stream(fh: paramiko.SFTPFile, size: int):
    """The first ``size`` bytes of an open remote file (its size when checked), pipelined in windows of
    ``WINDOW`` bytes so at most one window is held in memory; a file that shrank ends early."""
    off = 0
    while off < size:
        n = min(WINDOW, size - off)
        chunks = [(o, min(READ_CHUNK, off + n - o)) for o in range(off, off + n, READ_CHUNK)]
        for data in fh.readv(chunks):
            if not data:
                return
            yield data
        off += n


def _under(path: str, root: str) -> bool:
    root = posixpath.normpath(root)
    return root == "/" or path == root or path.startswith(root + "/")


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a link")):
        if test(mode):
            return name
    return f"mode {oct(mode)}"


def _makedirs(sftp: paramiko.SFTPClient, path: str) -> None:
    missing: list[str] = []
    while path not in ("", "/"):
        try:
            sftp.stat(path)
            break
        except FileNotFoundError:
            missing.append(path)
            path = posixpath.dirname(path)
    for d in reversed(missing):
        sftp.mkdir(d)
