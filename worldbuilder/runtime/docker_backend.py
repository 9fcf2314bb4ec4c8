"""DockerBackend: boot per-computer images as sandboxed containers reached over SSH.

Each computer runs ``sshd`` in a container on an *internal* bridge network (``wb-internal``): no
route out (no NAT, no gateway), while the host reaches every container's own address on port 22,
so any number run side by side without port clashes and nothing is published on the host's
interfaces. CPU, memory (no swap beyond it) and PIDs are limited; capabilities are reduced to what
sshd needs. Docker itself is the state: containers carry ``org.worldbuilder.*`` labels.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import time

from worldbuilder.errors import (
    BootError,
    ComputerNameInUse,
    ComputerNotRunning,
    ImageNotFound,
    WorldbuilderError,
)
from worldbuilder.materialize import docker_cli
from worldbuilder.materialize.docker_image import LABEL, inspect_image, resolve_image
from worldbuilder.materialize.keys import key_path
from worldbuilder.runtime import docker_isolation
from worldbuilder.runtime.computer import SSHEndpoint
from worldbuilder.runtime.docker_isolation import guard_host
from worldbuilder.runtime.limits import Limits
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
        proc = docker_cli.docker("inspect", "-f", "{{.State.Running}}", self.name, check=False, timeout=10)
        self._dead = proc.returncode != 0 or proc.stdout.strip() != b"true"
        return self._dead


class DockerBackend:
    """Start, find and stop computers as Docker containers."""

    def __init__(self, limits: Limits | None = None, ready_timeout: float = 30.0) -> None:
        self.limits, self.ready_timeout = limits or Limits(), ready_timeout

    # ------------------------------------------------------------------ network
    def ensure_network(self) -> str:
        proc = docker_cli.docker("network", "inspect", "-f", "{{.Internal}}", NETWORK, check=False, timeout=30)
        if proc.returncode == 0:
            if proc.stdout.strip() != b"true":
                raise WorldbuilderError(f"docker network {NETWORK} exists but is not --internal; remove it")
        else:
            create = docker_cli.docker(
                "network", "create", "--internal", "--driver", "bridge", "--subnet", NETWORK_SUBNET,
                "-o", f"com.docker.network.bridge.name={BRIDGE}", "--label", f"{LABEL}.network=1", NETWORK,
                check=False, timeout=60)
            if create.returncode != 0 and b"already exists" not in create.stderr:
                raise docker_cli.classify(["network"], create.stderr.decode(errors="replace"))
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
        docker_cli.ensure_daemon()
        ref = inspect_image(resolve_image(image))
        limits = limits or self.limits
        name = name or f"wb-{ref.computer_id}-{secrets.token_hex(3)}"
        if not NAME_RE.match(name):
            raise WorldbuilderError(f"invalid computer name {name!r} (letters, digits, '_', '.', '-')")
        if docker_cli.docker("inspect", "--type", "container", name, check=False, timeout=30).returncode == 0:
            raise ComputerNameInUse(f"a container named {name!r} already exists (stop it or pick another name)")
        labels = docker_cli.image_labels(ref.tag)
        if not key_path(ref.computer_id).exists():
            raise ImageNotFound(f"no SSH key for computer {ref.computer_id} in this WORLDBUILDER_HOME")
        network, bridge = ((self.ensure_network(), BRIDGE) if shared_network is None
                           else docker_isolation.ensure_shared_network(shared_network))
        caps = [a for c in CAPS for a in ("--cap-add", c)]
        nnp = [] if labels.get(f"{LABEL}.sudo") == "true" else ["--security-opt", "no-new-privileges"]
        extra = ["--ulimit", f"fsize={limits.disk_bytes}"] if limits.disk_bytes else []
        if limits.disk_bytes and xfs_backing():  # a kernel-enforced quota where overlay2 supports one
            extra += ["--storage-opt", f"size={limits.disk_bytes}"]
        if ip:
            extra += ["--ip", ip]
        try:
            docker_cli.docker(
                "run", "-d", "--name", name, "--hostname", labels.get(f"{LABEL}.hostname", "computer"),
                "--network", network, "--cpus", str(limits.cpus), "--memory", limits.memory, "--memory-swap",
                limits.memory, "--pids-limit", str(limits.pids), "--cap-drop", "ALL", *caps, *nnp, *extra,
                "--label", f"{LABEL}.computer-id={ref.computer_id}", "--label", f"{LABEL}.image={ref.tag}",
                "--label", f"{LABEL}.network={network}", *owner_labels(owner), ref.tag, timeout=120)
        except WorldbuilderError as exc:  # created but not started (e.g. its address is taken): leave nothing
            docker_cli.docker("rm", "-f", name, check=False, timeout=60)
            if "--storage-opt" in extra and "storage" in str(exc).lower():  # xfs without pquota: watchdog only
                _XFS.append(False)
                return self.boot(image, name, limits, owner, shared_network, ip)
            raise
        try:
            if shared_network is None:
                docker_isolation.isolate(name, bridge)
            return self._wait_ready(name, ref.tag, network)
        except BaseException:
            docker_cli.docker("rm", "-f", name, check=False, timeout=60)
            raise

    def _wait_ready(self, name: str, image: str, network: str = NETWORK) -> DockerComputer:
        deadline = time.monotonic() + self.ready_timeout
        ip = ""
        while time.monotonic() < deadline:
            state = self._state(name)
            if not state.get("Running"):
                logs = docker_cli.docker("logs", "--tail", "3", name, check=False, timeout=10)
                tail = (logs.stderr or logs.stdout).decode(errors="replace").strip().splitlines()[-1:] or ["?"]
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
        docker_cli.docker("rm", "-f", name, timeout=120)

    def list_running(self) -> list[dict[str, str]]:
        fmt = '{{.Names}}\t{{.Image}}\t{{.Status}}\t{{.Label "org.worldbuilder.computer-id"}}'
        lines = docker_cli.out("ps", "--filter", f"label={LABEL}.computer-id", "--format", fmt).splitlines()
        rows = [dict(zip(("name", "image", "status", "computer_id"), ln.split("\t"), strict=False)) for ln in lines]
        for row in rows:
            row["ip"] = self._ip(row["name"])
        return sorted(rows, key=lambda r: r["name"])

    # ------------------------------------------------------------------ helpers
    def _inspect(self, name: str) -> dict:
        proc = docker_cli.docker("inspect", "--type", "container", name, check=False, timeout=30)
        if proc.returncode != 0:
            if b"no such" in proc.stderr.lower():
                raise ComputerNotRunning(f"no computer named {name!r} (see `worldbuilder ps`)")
            raise docker_cli.classify(["inspect"], proc.stderr.decode(errors="replace"))
        return json.loads(proc.stdout)[0]

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
        info = docker_cli.docker("info", "--format", "{{.Driver}} {{json .DriverStatus}}", check=False, timeout=30)
        text = info.stdout.decode(errors="replace")
        _XFS.append(text.startswith("overlay2") and '["BackingFilesystem","xfs"]' in text.replace(" ", ""))
    return _XFS[-1]


def owner_labels(owner: dict[str, str] | None) -> list[str]:
    """``--label`` arguments naming the run that owns a container (empty values when none does)."""
    owner = owner or {}
    return [a for k in OWNER_KEYS for a in ("--label", f"{LABEL}.{k}={owner.get(k, '')}")]


def owned_containers(owner: dict[str, str]) -> list[str]:
    """Names of containers (running or not) whose labels carry exactly this run id and run directory."""
    fmt = '{{.Names}}\t{{.Label "org.worldbuilder.run-dir"}}'
    lines = docker_cli.out("ps", "-a", "--filter", f"label={LABEL}.run={owner['run']}", "--format", fmt).splitlines()
    return [n for n, _, d in (ln.partition("\t") for ln in lines) if n and d == owner["run-dir"]]


def _ssh_banner(host: str, port: int, timeout: float) -> bool:
    """True once sshd answers with its banner."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            return s.recv(4).startswith(b"SSH-")
    except OSError:
        return False

