"""The Docker Engine client of worldbuilder: the ``docker`` SDK (docker-py), one connection pool, typed errors.

Every daemon control call of the docker provider and of the image build path goes through this module (no
``docker`` process per call). The client comes from :func:`docker.from_env`, so ``DOCKER_HOST``,
``DOCKER_TLS_VERIFY`` and ``DOCKER_CERT_PATH`` are honoured; it is made once per process and environment.

Error contract (every function here, and :func:`translated` for callers using :func:`api` directly):

* the daemon cannot be reached (no socket, a bogus ``DOCKER_HOST``, connection refused or reset):
  :class:`~worldbuilder.errors.EngineUnavailable`, one line naming the host and how to start the engine;
* an image does not exist (``docker.errors.ImageNotFound``): :class:`~worldbuilder.errors.ImageNotFound`;
* another object does not exist (``docker.errors.NotFound``): the ``missing`` class the caller names
  (e.g. :class:`~worldbuilder.errors.ComputerNotRunning` for a container), else :class:`DockerError`;
* any other refusal (``docker.errors.APIError``), a stream that reports an error, or a timeout:
  :class:`~worldbuilder.errors.DockerError` with the daemon's one-line reason and its HTTP ``status``;
* any other ``docker.errors.DockerException`` (e.g. a malformed ``DOCKER_HOST``): ``EngineUnavailable``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO

import docker
import docker.errors
import requests.exceptions

from worldbuilder.errors import DockerError, EngineUnavailable, ImageNotFound, WorldbuilderError

HINT = "start it with: scripts/ensure-engine.sh docker"
TIMEOUT = 600.0  # seconds for one API call (loads, imports and commits of big images included)
CHUNK = 1 << 20  # bytes per chunk of streamed archives (save, export, get_archive)
ENV_KEYS = ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")

_clients: dict[tuple, docker.DockerClient] = {}
_lock = threading.Lock()


def _host() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def client() -> docker.DockerClient:
    """The shared SDK client for this process and ``DOCKER_*`` environment; EngineUnavailable if none answers."""
    key = (os.getpid(), *(os.environ.get(k, "") for k in ENV_KEYS))
    with _lock:
        found = _clients.get(key)
        if found is None:
            with translated("connect"):
                found = docker.from_env(timeout=int(TIMEOUT))  # negotiates the API version: a round trip
            _clients[key] = found
        return found


def api() -> docker.APIClient:
    """The low-level Engine API client (exact control over create/commit/import parameters)."""
    return client().api


def _reason(exc: docker.errors.APIError) -> str:
    text = (exc.explanation or str(exc)).strip().splitlines()
    return (text[0] if text else "unknown error").removeprefix("Error response from daemon: ")


@contextmanager
def translated(what: str, missing: type[WorldbuilderError] | None = None, subject: str = "") -> Iterator[None]:
    """Run a block of SDK calls, turning docker-py and transport errors into the typed errors above.

    ``what`` names the operation in messages (``docker WHAT failed: ...``); ``missing`` is raised for a
    ``NotFound`` that is not an image; ``subject`` names the object in not-found messages."""
    try:
        yield
    except docker.errors.ImageNotFound as exc:
        raise ImageNotFound(f"image not found: {subject}" if subject else _reason(exc)) from exc
    except docker.errors.NotFound as exc:
        if missing is not None:
            raise missing(f"no such object: {subject}" if subject else _reason(exc)) from exc
        raise DockerError(f"docker {what} failed: {_reason(exc)}", 404) from exc
    except docker.errors.APIError as exc:
        raise DockerError(f"docker {what} failed: {_reason(exc)}", exc.status_code) from exc
    except requests.exceptions.ConnectionError as exc:
        raise EngineUnavailable(f"no Docker daemon answers at {_host()}; {HINT}") from exc
    except requests.exceptions.Timeout as exc:
        raise DockerError(f"docker {what} timed out after {TIMEOUT:.0f}s") from exc
    except docker.errors.DockerException as exc:
        detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise EngineUnavailable(f"no Docker daemon answers at {_host()} ({detail}); {HINT}") from exc


def ensure_daemon() -> None:
    """Raise EngineUnavailable unless a Docker daemon answers."""
    with translated("ping"):
        api().ping()


# ---------------------------------------------------------------------------------------------- inspect
def image_info(ref: str) -> dict | None:
    """``docker image inspect`` of one reference, or None when there is no such image."""
    try:
        with translated("image inspect"):
            return api().inspect_image(ref)
    except ImageNotFound:
        return None
    except DockerError as exc:
        if exc.status == 404 or (exc.status == 400 and "invalid reference format" in str(exc)):
            return None  # a name no image can have is not an image either
        raise


def image_exists(ref: str) -> bool:
    return image_info(ref) is not None


def image_labels(ref: str) -> dict[str, str]:
    """The labels of image ``ref`` (ImageNotFound when it does not exist)."""
    info = image_info(ref)
    if info is None:
        raise ImageNotFound(f"image not found: {ref}")
    return (info.get("Config") or {}).get("Labels") or {}


def container_info(name: str) -> dict | None:
    """``docker inspect --type container`` of one container, or None when there is no such container."""
    try:
        with translated("inspect"):
            return api().inspect_container(name)
    except DockerError as exc:
        if exc.status == 404:
            return None
        raise


# ---------------------------------------------------------------------------------------------- streams
def _stream_errors(what: str, lines: Iterable) -> list[dict]:
    """Consume a JSON-lines progress stream; raise DockerError on the first ``error`` message."""
    out = []
    for msg in lines:
        if isinstance(msg, bytes | str):
            try:
                msg = json.loads(msg)
            except ValueError:
                continue
        if msg.get("error") or msg.get("errorDetail"):
            detail = msg.get("error") or (msg.get("errorDetail") or {}).get("message", "unknown error")
            raise DockerError(f"docker {what} failed: {str(detail).strip().splitlines()[0]}")
        out.append(msg)
    return out


def load(data: IO[bytes] | Iterable[bytes]) -> list[str]:
    """``docker load`` of a docker-archive streamed from a file object or a generator of chunks (never held
    in memory whole); returns the loaded image names."""
    with translated("load"):
        msgs = _stream_errors("load", api().load_image(data, quiet=True))
    return [m["stream"].removeprefix("Loaded image: ").strip() for m in msgs
            if str(m.get("stream", "")).startswith("Loaded image: ")]


def load_written(write: Callable[[IO[bytes]], None]) -> list[str]:
    """``docker load`` of the docker-archive that ``write(fileobj)`` produces: a thread writes it into a pipe
    while the request sends it in CHUNK-sized pieces, so it is never held in memory or on disk whole.
    An exception of ``write`` (other than the daemon hanging up) is raised after the daemon answered."""
    rfd, wfd = os.pipe()
    errors: list[BaseException] = []

    def produce() -> None:
        try:
            with open(wfd, "wb", buffering=CHUNK) as w:
                write(w)
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    writer = threading.Thread(target=produce, name="docker-load-writer", daemon=True)
    writer.start()
    failed: BaseException | None = None
    with open(rfd, "rb", buffering=0) as r:
        try:
            loaded = load(iter(lambda: _read_chunk(r), b""))
        except WorldbuilderError as exc:
            failed = exc
        finally:
            r.close()  # a refused load: the writer gets EPIPE instead of blocking forever
            writer.join(timeout=TIMEOUT)
    if errors and not isinstance(errors[0], BrokenPipeError):  # the cause of a truncated archive, if any
        raise errors[0] from failed
    if failed is not None:
        raise failed
    return loaded


def _read_chunk(r: IO[bytes]) -> bytes:
    """Up to CHUNK bytes from a pipe (fewer only at its end)."""
    buf = bytearray()
    while len(buf) < CHUNK:
        part = r.read(CHUNK - len(buf))
        if not part:
            break
        buf += part
    return bytes(buf)


def save(refs: str | list[str], fh: IO[bytes]) -> None:
    """``docker save REF...`` (one archive; layers shared by the images stored once) streamed into the open
    binary file ``fh`` chunk by chunk."""
    names = [refs] if isinstance(refs, str) else list(refs)
    a = api()
    with translated("save", subject=" ".join(names)):
        if len(names) == 1:
            stream = a.get_image(names[0], chunk_size=CHUNK)
        else:  # docker-py's get_image names one image; the Engine API takes several
            res = a._get(a._url("/images/get"), params={"names": names}, stream=True)  # noqa: SLF001
            stream = a._stream_raw_result(res, chunk_size=CHUNK, decode=False)  # noqa: SLF001
        for chunk in stream:
            fh.write(chunk)


def import_image(src: IO[bytes] | Iterable[bytes], tag: str, changes: list[str]) -> str:
    """``docker import --change ... - TAG`` of a root filesystem tar streamed from ``src``; returns the id."""
    repo, _, label = tag.rpartition(":")
    with translated("import"):
        result = api().import_image(src=src, repository=repo, tag=label, changes=changes,
                                    stream_src=not hasattr(src, "read"))
    msgs = _stream_errors("import", result.splitlines() if isinstance(result, str) else [result])
    return next((m["status"] for m in reversed(msgs) if str(m.get("status", "")).startswith("sha256:")), "")


def commit(container: str, tag: str, changes: list[str], pause: bool = True) -> str:
    """``docker commit --change ... CONTAINER TAG`` (paused while committing); returns the image id."""
    repo, _, label = tag.rpartition(":")
    with translated("commit", missing=DockerError, subject=container):
        return api().commit(container, repository=repo, tag=label, changes=changes, pause=pause)["Id"]


def put_archive(container: str, path: str, data: IO[bytes] | bytes, keep_owners: bool = True) -> None:
    """Extract a tar streamed from ``data`` into ``container`` at ``path`` (``docker cp -a - C:PATH``).

    ``keep_owners`` keeps the tar's uid/gid (the Engine API's ``copyUIDGID``, which docker-py's
    ``put_archive`` does not expose; without it every file would belong to root)."""
    a = api()
    params = {"path": path, "copyUIDGID": "1" if keep_owners else "0"}
    with translated("cp", subject=container):
        res = a._put(a._url("/containers/{0}/archive", container), params=params, data=data)  # noqa: SLF001
        a._raise_for_status(res)  # noqa: SLF001


def get_file(container: str, path: str) -> bytes:
    """The content of one regular file of a container (``docker cp C:PATH -``, read from its tar stream)."""
    import io
    import tarfile

    with translated("cp", subject=f"{container}:{path}"):
        stream, _ = api().get_archive(container, path, chunk_size=CHUNK)
        raw = b"".join(stream)
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        member = tar.getmembers()[0]
        fh = tar.extractfile(member)
        if fh is None:
            raise DockerError(f"docker cp failed: {path} is not a regular file")
        return fh.read()


def tag(src: str, dst: str) -> None:
    """``docker tag SRC DST``."""
    repo, label = docker.utils.parse_repository_tag(dst)
    with translated("tag", subject=src):
        api().tag(src, repo, label or "latest", force=True)


def _digest(msgs: list[dict]) -> str:
    for m in reversed(msgs):
        d = (m.get("aux") or {}).get("Digest") or ""
        for word in [d, *str(m.get("status", "")).split()]:
            if word.startswith("sha256:") and len(word) == 71:
                return word
    return ""


def push(ref: str) -> str:
    """``docker push REF`` (its progress stream consumed; an error in it raises); returns the digest."""
    with translated("push", subject=ref):
        return _digest(_stream_errors("push", api().push(ref, stream=True, decode=True)))


def pull(ref: str, timeout: float | None = None) -> str:
    """``docker pull REF``; ``timeout`` bounds each wait for the daemon (a registry that does not answer).
    Returns the digest."""
    with translated("pull", subject=ref):
        low = docker.from_env(timeout=int(timeout)).api if timeout else api()
        try:
            return _digest(_stream_errors("pull", low.pull(ref, stream=True, decode=True)))
        finally:
            if timeout:
                low.close()


def build(context: str | os.PathLike, tag: str, labels: dict[str, str], buildargs: dict[str, str]) -> None:
    """``docker build -t TAG --label ... --build-arg ... CONTEXT`` (intermediate containers always removed)."""
    with translated("build", subject=tag):
        _stream_errors("build", api().build(path=str(context), tag=tag, labels=labels, buildargs=buildargs,
                                            rm=True, forcerm=True, decode=True))


# ---------------------------------------------------------------------------------------------- run
def run_capture(image: str, command: list[str], entrypoint: list[str] | None = None, user: str | None = None,
                timeout: float = 600.0) -> tuple[int, bytes, bytes]:
    """``docker run --rm --network none [--entrypoint E] [--user U] IMAGE CMD``: (exit code, stdout, stderr).

    The throw-away container has no network and is always removed."""
    a = api()
    with translated("run", subject=image):
        cid = a.create_container(image, command=command, entrypoint=entrypoint, user=user or "",
                                 host_config=a.create_host_config(network_mode="none"))["Id"]
    try:
        with translated("run", subject=image):
            a.start(cid)
            try:
                code = a.wait(cid, timeout=timeout)["StatusCode"]
            except requests.exceptions.ReadTimeout as exc:
                raise DockerError(f"docker run {image} timed out after {timeout:.0f}s") from exc
            return code, a.logs(cid, stdout=True, stderr=False), a.logs(cid, stdout=False, stderr=True)
    finally:
        remove_container(cid)


def remove_container(name: str) -> None:
    """``docker rm -f NAME``; a container that is already gone is fine."""
    try:
        with translated("rm"):
            api().remove_container(name, force=True)
    except DockerError as exc:
        if exc.status != 404:
            raise


# ---------------------------------------------------------------------------------------------- networks
def ensure_internal_network(name: str, bridge: str, labels: dict[str, str], subnet: str | None = None) -> None:
    """Create the ``--internal`` bridge network ``name`` (host interface ``bridge``) unless it exists; refuse
    an existing network of that name that is not internal."""
    a = api()
    try:
        with translated("network inspect"):
            info = a.inspect_network(name)
    except DockerError as exc:
        if exc.status != 404:
            raise
        info = None
    if info is not None:
        if not info.get("Internal"):
            raise WorldbuilderError(f"docker network {name} exists but is not --internal; remove it")
        return
    ipam = (docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet)]) if subnet else None)
    try:
        with translated("network create"):
            a.create_network(name, driver="bridge", internal=True, ipam=ipam, labels=labels,
                             options={"com.docker.network.bridge.name": bridge}, check_duplicate=True)
    except DockerError as exc:
        if exc.status != 409 and "already exists" not in str(exc):  # created meanwhile by another process
            raise
