"""DockerBackend: boot per-computer images as sandboxed containers reached over SSH.

Each computer runs ``sshd`` in a container on an *internal* bridge network (``wb-internal``): no
route out (no NAT, no gateway), while the host reaches every container's own address on port 22,
so any number run side by side without port clashes and nothing is published on the host's
interfaces. CPU, memory (no swap beyond it) and PIDs are limited; capabilities are reduced to what
sshd needs. Docker itself is the state: containers carry ``org.worldbuilder.*`` labels.

Every daemon call goes through the Docker SDK (:mod:`~worldbuilder.materialize.docker_sdk`): no ``docker``
process is started to boot, inspect or stop a computer. Commands inside it run over SSH.
"""

from __future__ import annotations

import re
import secrets
import socket
import time

from docker.types import Ulimit

from worldbuilder.errors import (
    BootError,
    ComputerNameInUse,
    ComputerNotRunning,
    DockerError,
    ImageNotFound,
    WorldbuilderError,
)
from worldbuilder.materialize import docker_sdk as sdk
from worldbuilder.materialize.docker_image import LABEL, ImageRef, inspect_image, resolve_image
from worldbuilder.materialize.keys import key_path
from worldbuilder.runtime import docker_isolation
from worldbuilder.runtime.computer import SSHEndpoint
from worldbuilder.runtime.docker_isolation import guard_host
from worldbuilder.runtime.limits import Limits, parse_bytes
from worldbuilder.runtime.ssh import SSHComputer

NETWORK = "wb-internal"
NETWORK_SUBNET = "172.31.240.0/20"
BRIDGE = "wb-internal0"  # the host-side bridge interface (firewalled: no NEW connections to the host)
NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$")
CAPS = ("CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
        "NET_BIND_SERVICE")


class DockerComputer(SSHComputer):
    """An :class:`SSHComputer` whose liveness is the container's state."""

    def __init__(self, endpoint: SSHEndpoint, name: str, home: str, computer_id: str, image: str,
                 **kw: object) -> None:
        self.computer_id, self.image = computer_id, image
        self._dead_checked, self._dead = 0.0, False
        self.watchdog = None
        super().__init__(endpoint, name, home, **kw)  # type: ignore[arg-type]

    def watch_disk(self, quota: int, baseline: int = 0, poll: float = 0.25):
        """Start the disk-quota watchdog (see docker_quota); returns it."""
        from worldbuilder.runtime.docker_quota import DiskWatchdog

        self.watchdog = DiskWatchdog(self.name, quota, baseline, poll).start()
        return self.watchdog

    def halted(self) -> str:
        return self.watchdog.exceeded if self.watchdog is not None else ""

    def close(self) -> None:
        if self.watchdog is not None:
            self.watchdog.stop()
        super().close()

    def is_dead(self) -> bool:
        """True once the container is not running (sticky; docker is asked at most every 0.5 s)."""
        now = time.monotonic()
        if self._dead or now - self._dead_checked < 0.5:
            return self._dead
        self._dead_checked = now
        try:
            info = sdk.container_info(self.name)
        except WorldbuilderError:  # the daemon itself is gone: so is the computer
            info = None
        self._dead = info is None or not (info.get("State") or {}).get("Running")
        return self._dead


class DockerBackend:
    """Start, find and stop computers as Docker containers."""

    def __init__(self, limits: Limits | None = None, ready_timeout: float = 30.0) -> None:
        self.limits, self.ready_timeout = limits or Limits(), ready_timeout

    # ------------------------------------------------------------------ network
    def ensure_network(self) -> str:
        sdk.ensure_internal_network(NETWORK, BRIDGE, {f"{LABEL}.network": "1"}, subnet=NETWORK_SUBNET)
        guard_host(BRIDGE)
        return NETWORK

    # ------------------------------------------------------------------ lifecycle
    def boot(self, image: str, name: str | None = None, limits: Limits | None = None,
             owner: dict[str, str] | None = None, shared_network: str | None = None,
             ip: str | None = None) -> DockerComputer:
        """Start a computer from ``image`` (tag, id or computer id) and wait until SSH answers.

        ``owner`` ({"run": id, "run-dir": path}) becomes ``org.worldbuilder.run*`` labels, which is what
        ``runs rm`` trusts; without it they are set empty (never inherited from a snapshot image).
        By default the computer reaches nothing but its own SSH listener (see docker_isolation);
        ``shared_network`` opts in to a named network whose computers can reach each other. ``ip`` asks
        for a fixed address (a computer restarted overnight keeps its address)."""
        sdk.ensure_daemon()
        ref = inspect_image(resolve_image(image))
        limits = limits or self.limits
        name = name or f"wb-{ref.computer_id}-{secrets.token_hex(3)}"
        if not NAME_RE.match(name):
            raise WorldbuilderError(f"invalid computer name {name!r} (letters, digits, '_', '.', '-')")
        if sdk.container_info(name) is not None:
            raise ComputerNameInUse(f"a container named {name!r} already exists (stop it or pick another name)")
        labels = sdk.image_labels(ref.tag)
        if not key_path(ref.computer_id).exists():
            raise ImageNotFound(f"no SSH key for computer {ref.computer_id} in this WORLDBUILDER_HOME")
        network, bridge = ((self.ensure_network(), BRIDGE) if shared_network is None
                           else docker_isolation.ensure_shared_network(shared_network))
        xfs = bool(limits.disk_bytes) and xfs_backing()  # a kernel-enforced quota where overlay2 supports one
        try:
            _create_and_start(name, ref, labels, limits, network, owner, ip, xfs)
        except ComputerNameInUse:  # taken meanwhile by someone else: theirs, not ours to remove
            raise
        except WorldbuilderError as exc:  # created but not started (e.g. its address is taken): leave nothing
            sdk.remove_container(name)
            if xfs and "storage" in str(exc).lower():  # xfs without pquota: watchdog only
                _XFS.append(False)
                return self.boot(image, name, limits, owner, shared_network, ip)
            raise
        try:
            if shared_network is None:
                docker_isolation.isolate(name, bridge)
            return self._wait_ready(name, ref.tag, network)
        except BaseException:
            sdk.remove_container(name)
            raise

    def _wait_ready(self, name: str, image: str, network: str = NETWORK) -> DockerComputer:
        deadline = time.monotonic() + self.ready_timeout
        ip = ""
        while time.monotonic() < deadline:
            state = self._state(name)
            if not state.get("Running"):
                with sdk.translated("logs"):
                    logs = sdk.api().logs(name, stdout=True, stderr=True, tail=3)
                tail = logs.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
                raise BootError(f"{name} exited during boot: {tail[0]}")
            ip = ip or self._ip(name, network)
            if ip and _ssh_banner(ip, 22, timeout=0.5):
                return self.attach(name)
            time.sleep(0.05)
        raise BootError(f"{name}: SSH not ready after {self.ready_timeout:g}s")

    def attach(self, name: str, **kw: object) -> DockerComputer:
        """A handle on an already-running computer."""
        info = self._inspect(name)
        labels = info["Config"].get("Labels") or {}
        if f"{LABEL}.computer-id" not in labels:
            raise ComputerNotRunning(f"{name} is not a worldbuilder computer")
        if not info["State"].get("Running"):
            raise ComputerNotRunning(f"computer {name} is not running")
        cid = labels[f"{LABEL}.computer-id"]
        endpoint = SSHEndpoint(self._ip(name), 22, labels[f"{LABEL}.user"], key_path(cid))
        kw.setdefault("host_key", labels.get(f"{LABEL}.host-key") or None)
        return DockerComputer(endpoint, name, labels[f"{LABEL}.home"], cid, labels.get(f"{LABEL}.image", ""), **kw)

    def endpoint(self, name: str) -> SSHEndpoint:
        info = self._inspect(name)
        labels = info["Config"].get("Labels") or {}
        return SSHEndpoint(self._ip(name), 22, labels[f"{LABEL}.user"], key_path(labels[f"{LABEL}.computer-id"]))

    def labels(self, name: str) -> dict[str, str]:
        return self._inspect(name)["Config"].get("Labels") or {}

    def stop(self, name: str) -> None:
        """Stop and remove a computer's container (snapshot first to keep its state)."""
        if f"{LABEL}.computer-id" not in self.labels(name):
            raise ComputerNotRunning(f"{name} is not a worldbuilder computer; refusing to remove it")
        with sdk.translated("rm", missing=ComputerNotRunning, subject=name):
            sdk.api().remove_container(name, force=True)

    def list_running(self) -> list[dict[str, str]]:
        with sdk.translated("ps"):
            found = sdk.api().containers(filters={"label": f"{LABEL}.computer-id"})
        rows = []
        for c in found:
            labels = c.get("Labels") or {}
            nets = (c.get("NetworkSettings") or {}).get("Networks") or {}
            net = labels.get(f"{LABEL}.network") or NETWORK
            rows.append({"name": (c.get("Names") or ["?"])[0].lstrip("/"), "image": c.get("Image", ""),
                         "status": c.get("Status", ""), "computer_id": labels.get(f"{LABEL}.computer-id", ""),
                         "ip": (nets.get(net) or {}).get("IPAddress", "")})
        return sorted(rows, key=lambda r: r["name"])

    # ------------------------------------------------------------------ helpers
    def _inspect(self, name: str) -> dict:
        info = sdk.container_info(name)
        if info is None:
            raise ComputerNotRunning(f"no computer named {name!r} (see `worldbuilder ps`)")
        return info

    def _state(self, name: str) -> dict:
        return self._inspect(name)["State"]

    def _ip(self, name: str, network: str | None = None) -> str:
        info = self._inspect(name)
        nets = info["NetworkSettings"]["Networks"] or {}
        network = network or (info["Config"].get("Labels") or {}).get(f"{LABEL}.network") or NETWORK
        return (nets.get(network) or {}).get("IPAddress", "")


OWNER_KEYS = ("run", "run-dir")
_XFS: list[bool] = []  # cached answer of xfs_backing()


def xfs_backing() -> bool:
    """overlay2 on xfs: ``--storage-opt size=`` may work (it also needs the ``pquota`` mount option; a refusal
    is remembered and the quota falls back to the watchdog, docker_quota)."""
    if not _XFS:
        with sdk.translated("info"):
            info = sdk.api().info()
        status = [list(x) for x in info.get("DriverStatus") or []]
        _XFS.append(info.get("Driver") == "overlay2" and ["Backing Filesystem", "xfs"] in status)
    return _XFS[-1]


def owner_labels(owner: dict[str, str] | None) -> dict[str, str]:
    """Labels naming the run that owns a container (empty values when none does)."""
    owner = owner or {}
    return {f"{LABEL}.{k}": owner.get(k, "") for k in OWNER_KEYS}


def _create_and_start(name: str, ref: ImageRef, labels: dict[str, str], limits: Limits, network: str,
                      owner: dict[str, str] | None, ip: str | None, xfs: bool) -> None:
    """``docker run -d`` with the limits, capabilities and network of a computer (through the SDK)."""
    a = sdk.api()
    disk = limits.disk_bytes
    memory = parse_bytes(limits.memory, "memory")
    host = a.create_host_config(
        network_mode=network, nano_cpus=int(float(limits.cpus) * 1e9), mem_limit=memory, memswap_limit=memory,
        pids_limit=int(limits.pids), cap_drop=["ALL"], cap_add=list(CAPS),
        security_opt=[] if labels.get(f"{LABEL}.sudo") == "true" else ["no-new-privileges"],
        ulimits=[Ulimit(name="fsize", soft=disk, hard=disk)] if disk else None,
        storage_opt={"size": str(disk)} if xfs else None)
    net = a.create_networking_config({network: a.create_endpoint_config(ipv4_address=ip)}) if ip else None
    own = {f"{LABEL}.computer-id": ref.computer_id, f"{LABEL}.image": ref.tag, f"{LABEL}.network": network,
           **owner_labels(owner)}
    try:
        with sdk.translated("create", subject=ref.tag):
            a.create_container(ref.tag, name=name, hostname=labels.get(f"{LABEL}.hostname", "computer"),
                               detach=True, labels=own, host_config=host, networking_config=net)
    except DockerError as exc:
        if exc.status == 409:
            raise ComputerNameInUse(f"a container named {name!r} already exists (stop it or pick another name)") \
                from exc
        raise
    with sdk.translated("run", subject=ref.tag):
        a.start(name)


def owned_containers(owner: dict[str, str]) -> list[str]:
    """Names of containers (running or not) whose labels carry exactly this run id and run directory."""
    with sdk.translated("ps"):
        found = sdk.api().containers(all=True, filters={"label": f"{LABEL}.run={owner['run']}"})
    return [c["Names"][0].lstrip("/") for c in found
            if c.get("Names") and (c.get("Labels") or {}).get(f"{LABEL}.run-dir") == owner["run-dir"]]


def _ssh_banner(host: str, port: int, timeout: float) -> bool:
    """True once sshd answers with its banner."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            return s.recv(4).startswith(b"SSH-")
    except OSError:
        return False

