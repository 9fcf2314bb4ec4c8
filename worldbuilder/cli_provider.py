"""The ``--backend`` side of boot/shell/stop/ps/snapshot for every provider other than Docker's own path.

Thin over :mod:`worldbuilder.runtime.provider`: IMAGE is whatever the provider's ``boot`` takes (for VMs a
computer directory, disk directory, computer id or ``<disk>@<label>``); a computer directory is prepared first.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import click

from worldbuilder.errors import WorldbuilderError
from worldbuilder.runtime.computer import Computer
from worldbuilder.runtime.limits import Limits
from worldbuilder.runtime.provider import ComputerProvider, make_provider, provider_names

# every registered provider; `local` has no computer outside one process: not a CLI backend
BACKENDS = [n for n in provider_names() if n != "local"]

backend_option = click.option("--backend", type=click.Choice(BACKENDS), default="docker", show_default=True,
                              help="The computer provider.")


def provider(name: str, limits: Limits | None = None, **options: object) -> ComputerProvider:
    return make_provider(name, limits=limits, **options)


def boot(backend: str, image: str, name: str | None, limits: Limits, **options: object) -> Computer:
    p = provider(backend, limits, **options)
    path = Path(image)
    ref = p.prepare(path) if path.is_dir() and (path / "tree").is_dir() else image
    return p.boot(ref, name=name)


def echo_up(p_name: str, c: Computer) -> None:
    ep = c.endpoint
    click.echo(f"{c.name} is up ({p_name}), home {c.home}")
    if ep is not None:
        click.echo(f"  ssh:  {ep.command()}")
    click.echo(f"  stop: worldbuilder stop --backend {p_name} {c.name}")


def shell(backend: str, target: str) -> None:
    p = provider(backend)
    try:
        c = p.attach(target)
    except WorldbuilderError:
        c = boot(backend, target, None, Limits(disk=None))
        click.echo(f"booted {c.name} (stop it with: worldbuilder stop --backend {backend} {c.name})", err=True)
    ep = p.connection(c)
    c.close()
    ssh = shutil.which("ssh")
    if ssh is None or ep is None:
        raise WorldbuilderError("the ssh client is not installed (apt-get install openssh-client)")
    os.execv(ssh, ["ssh", *ep.command().split()[1:-1], "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes",
                   f"{ep.user}@{ep.host}"])


def ps(backend: str) -> None:
    for row in provider(backend).ls():
        extra = "\t".join(f"{k}={v}" for k, v in sorted(row.extra.items()))
        click.echo(f"{row.name}\t{row.provider}\t{row.image}\t{row.status}\t{extra}".rstrip())


def snapshots(backend: str, name: str):
    p = provider(backend)
    c = p.attach(name)
    c.close()
    return p.snapshots(c)
