"""Isolation between computers on the shared ``wb-internal`` bridge.

``--internal`` removes the route out and :func:`guard_host` drops
connections to the host, but ports of one Linux bridge still talk to each other, and Docker's embedded DNS
(127.0.0.11 in every container) answers the names of the other computers. After each boot:

* every port of the bridge is marked *isolated* (``brport/isolated``, Linux >= 4.18): isolated ports cannot
  exchange frames with each other, only with the bridge itself, where the host's SSH client lives;
* the computer's own network namespace drops packets to the embedded DNS (iptables run from the host
  through ``nsenter``; the computer has no NET_ADMIN to undo it).

Computers that must talk to each other opt in to a named shared network (:func:`ensure_shared_network`):
its own internal bridge, firewalled from the host, without port isolation.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from worldbuilder.errors import WorldbuilderError
from worldbuilder.materialize import docker_sdk as sdk

SHARED_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,10}$")
DNS = "127.0.0.11"


class IsolationError(WorldbuilderError):
    """A computer could not be isolated from the others (needs root: sysfs, nsenter, iptables)."""


def skipped() -> bool:
    """``WORLDBUILDER_ALLOW_HOST_ACCESS=1`` skips every host-side firewall step (e.g. without root)."""
    return os.environ.get("WORLDBUILDER_ALLOW_HOST_ACCESS") == "1"


def isolate_ports(bridge: str) -> int:
    """Mark every port of ``bridge`` isolated; return how many ports it has."""
    ports = sorted(Path(f"/sys/class/net/{bridge}/brif").glob("*"))
    for port in ports:
        flag = port / "isolated"  # brif/<port> is the port's brport folder
        try:
            if flag.read_text().strip() != "1":
                flag.write_text("1")
        except FileNotFoundError:  # the port went away meanwhile
            continue
        except OSError as exc:
            raise IsolationError(f"cannot isolate bridge port {port.name}: {exc.strerror} (run as root, or set "
                                 "WORLDBUILDER_ALLOW_HOST_ACCESS=1 to run computers without isolation)") from exc
    return len(ports)


def block_dns(container: str) -> None:
    """Drop the container's packets to Docker's embedded DNS, inside its own network namespace."""
    pid = str(((sdk.container_info(container) or {}).get("State") or {}).get("Pid") or "")
    nsenter, iptables = shutil.which("nsenter"), shutil.which("iptables")
    if not pid or pid == "0" or nsenter is None or iptables is None:
        raise IsolationError(f"cannot firewall {container}'s DNS (needs nsenter and iptables on the host)")
    for proto in ("udp", "tcp"):
        proc = subprocess.run([nsenter, "-t", pid, "-n", iptables, "-I", "OUTPUT", "-d", DNS, "-p", proto,
                               "-j", "DROP"], capture_output=True, text=True, timeout=30)
        if proc.returncode != 0:
            raise IsolationError(f"cannot firewall {container}'s DNS: {proc.stderr.strip()[:200]}")


def isolate(container: str, bridge: str) -> None:
    """Both steps for a freshly started computer on ``bridge`` (no-op when host access is allowed)."""
    if skipped():
        return
    isolate_ports(bridge)
    block_dns(container)


def ensure_shared_network(name: str) -> tuple[str, str]:
    """The opt-in network ``wb-shared-NAME`` (internal, own bridge ``wbs-NAME``); return (network, bridge)."""
    from worldbuilder.materialize.docker_image import LABEL

    if not SHARED_RE.match(name or ""):
        raise WorldbuilderError(f"invalid shared network name {name!r} (1-11 lowercase letters, digits, '_', '-')")
    network, bridge = f"wb-shared-{name}", f"wbs-{name}"
    sdk.ensure_internal_network(network, bridge, {f"{LABEL}.network": "shared"})
    guard_host(bridge)
    return network, bridge


def guard_host(bridge: str) -> None:
    """Drop NEW connections from the computers' bridge to the host itself (INPUT chain).

    ``--internal`` removes the route out, but the host's own addresses stay reachable from the
    bridge; this rule closes that while host→computer SSH (replies are ESTABLISHED) keeps working.
    Set ``WORLDBUILDER_ALLOW_HOST_ACCESS=1`` to skip it (e.g. without root).
    """
    if os.environ.get("WORLDBUILDER_ALLOW_HOST_ACCESS") == "1":
        return
    rule = ["INPUT", "-i", bridge, "-m", "conntrack", "--ctstate", "NEW,INVALID", "-j", "DROP"]
    exe = shutil.which("iptables")
    if exe is None:
        raise WorldbuilderError("iptables is missing: cannot firewall computers from the host "
                                "(install iptables or set WORLDBUILDER_ALLOW_HOST_ACCESS=1)")
    if subprocess.run([exe, "-C", *rule], capture_output=True).returncode != 0:
        proc = subprocess.run([exe, "-I", *rule], capture_output=True, text=True)
        if proc.returncode != 0:
            raise WorldbuilderError(f"cannot install the host firewall rule: {proc.stderr.strip()[:200]} "
                                    "(run as root or set WORLDBUILDER_ALLOW_HOST_ACCESS=1)")
