"""Run the viewer with uvicorn (``worldbuilder serve``), or in a background thread (tests, benchmarks)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

from worldbuilder.errors import WorldbuilderError


class ServeError(WorldbuilderError):
    """The viewer cannot start (no such path, port in use)."""


def check_roots(paths: list[Path]) -> list[Path]:
    roots = [Path(p) for p in paths] or [Path(".")]
    for p in roots:
        if not p.is_dir():
            raise ServeError(f"not a directory: {p}")
    return [p.resolve() for p in roots]


def check_cache_dir(cache_dir: Path | None) -> None:
    """The preview cache is a folder (or may become one): never a file."""
    if cache_dir is not None and Path(cache_dir).exists() and not Path(cache_dir).is_dir():
        raise ServeError(f"--cache-dir {cache_dir} is not a directory")


def check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


def serve(paths: list[Path], host: str = "127.0.0.1", port: int = 8765, cache_dir: Path | None = None) -> None:
    """Serve the viewer until interrupted."""
    import uvicorn

    from worldbuilder.viewer.app import create_app

    roots = check_roots(paths)
    check_port(host, port)
    uvicorn.run(create_app(roots, cache_dir, host=host), host=host, port=port, log_level="warning")


class BackgroundServer:
    """The viewer on a free localhost port in a daemon thread: ``with BackgroundServer(roots) as url: ...``."""

    def __init__(self, roots: list[Path], cache_dir: Path | None = None, port: int = 0):
        import uvicorn

        from worldbuilder.viewer.app import create_app

        self.app = create_app(check_roots(roots), cache_dir)
        sock = socket.socket()
        sock.bind(("127.0.0.1", port))
        self.port = sock.getsockname()[1]
        self.sock = sock
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> str:
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self.url
            time.sleep(0.05)
        raise ServeError("viewer did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
