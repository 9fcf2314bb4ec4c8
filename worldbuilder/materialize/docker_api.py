"""A minimal Docker Engine API client over the daemon's unix socket (no CLI process per call).

Used by the fast image path, where spawning ``docker`` for every inspect/load costs more than the
work itself. :func:`client` returns None when the daemon is not on a local unix socket (e.g. a TCP
``DOCKER_HOST``); callers then use the ``docker`` CLI.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import stat
from typing import IO
from urllib.parse import quote

from worldbuilder.materialize.docker_cli import DockerError

DEFAULT_SOCKET = "/var/run/docker.sock"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout, blocksize=1 << 20)
        self.path = path

    def connect(self) -> None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.path)
        self.sock = s


class DockerAPI:
    def __init__(self, path: str, timeout: float = 600.0) -> None:
        self.path, self.timeout = path, timeout

    def _request(self, method: str, url: str, body: IO[bytes] | None = None,
                 headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        conn = _UnixConnection(self.path, self.timeout)
        try:
            conn.request(method, url, body=body, headers=headers or {}, encode_chunked=body is not None)
            resp = conn.getresponse()
            return resp.status, resp.read()
        except OSError as exc:
            raise DockerError(f"docker API {method} {url.split('?')[0]} failed: {exc}") from exc
        finally:
            conn.close()

    def inspect_image(self, ref: str) -> dict | None:
        """``docker image inspect`` of one reference, or None if there is no such image."""
        status, data = self._request("GET", f"/images/{quote(ref, safe='')}/json")
        if status == 404:
            return None
        if status != 200:
            raise DockerError(f"docker API image inspect failed: {_message(data)}")
        return json.loads(data)

    def remove_image(self, ref: str) -> bool:
        """``docker rmi`` of one reference (no force); False if it is missing or still in use."""
        status, _ = self._request("DELETE", f"/images/{quote(ref, safe='')}")
        return status == 200

    def load(self, tar: IO[bytes]) -> list[str]:
        """``docker load`` of a docker-archive read from ``tar``; returns the loaded image names."""
        status, data = self._request("POST", "/images/load?quiet=1", body=tar,
                                     headers={"Content-Type": "application/x-tar"})
        if status != 200:
            raise DockerError(f"docker load failed: {_message(data)}")
        loaded = []
        for line in data.decode(errors="replace").splitlines():
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("error"):
                raise DockerError(f"docker load failed: {msg['error']}")
            text = msg.get("stream", "")
            if text.startswith("Loaded image: "):
                loaded.append(text.removeprefix("Loaded image: ").strip())
        return loaded


def _message(data: bytes) -> str:
    try:
        return json.loads(data).get("message", "") or data.decode(errors="replace")[:200]
    except ValueError:
        return data.decode(errors="replace")[:200]


def client() -> DockerAPI | None:
    """An API client on the local daemon socket, or None (use the CLI)."""
    host = os.environ.get("DOCKER_HOST", "")
    if host and not host.startswith("unix://"):
        return None
    path = host.removeprefix("unix://") or DEFAULT_SOCKET
    try:
        if not stat.S_ISSOCK(os.stat(path).st_mode) or not os.access(path, os.R_OK | os.W_OK):
            return None
    except OSError:
        return None
    return DockerAPI(path)
