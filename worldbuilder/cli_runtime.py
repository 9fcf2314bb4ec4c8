"""CLI commands for images, booting, shells and snapshots (thin over materialize/ and runtime/)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import click

from worldbuilder import cli_provider
from worldbuilder.cli_provider import backend_option
from worldbuilder.cli_windows import build_windows_computer, wants_windows, windows_options
from worldbuilder.errors import WorldbuilderError


def _human(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f}{unit}"
        n /= 1000  # type: ignore[assignment]
    return f"{n:.1f}TB"


@click.group("image")
def image() -> None:
    """Build, list and remove per-computer Docker images."""


@image.command("build")
@click.argument("source", metavar="SPEC_OR_DIR", type=click.Path(exists=True, path_type=Path))
@click.option("--variant", type=click.Choice(["base", "office"]), default="base", show_default=True,
              help="Shared base: workstation, or workstation + LibreOffice headless.")
@click.option("--sudo", is_flag=True, help="Give the user passwordless sudo (default: no sudo).")
@click.option("--os", "os_name", type=click.Choice(["linux", "windows"]),
              help="windows: D: data disk + provisioning ISO + VM description (needs the Windows layout).")
@click.option("--backend", type=click.Choice(["docker", "windows-qemu"]), help="windows-qemu is --os windows.")
@click.option("--method", type=click.Choice(["layer", "provision"]), default=None,
              help="layer: build the layer on the host + docker load (default); provision: run the "
                   "provisioner in a container and commit.  [env: WORLDBUILDER_IMAGE_METHOD]")
@windows_options
def image_build(source: Path, variant: str, sudo: bool, os_name: str | None, backend: str | None,
                method: str | None, out: Path | None, openssh_zip: Path | None, data_size_gib: int) -> None:
    """Build the image of a computer directory (or render a spec file first)."""
    from worldbuilder.materialize.docker_image import build_image

    if wants_windows(os_name, backend):
        return build_windows_computer(source, out, openssh_zip, data_size_gib)
    if out or openssh_zip:
        raise click.UsageError("--out and --openssh-zip only apply to --os windows")
    if source.is_dir() and (source / "tree").is_dir():
        ref = build_image(source, variant=variant, sudo=sudo, log=lambda m: click.echo(m, err=True), method=method)
    else:
        from worldbuilder import api
        from worldbuilder.spec import ComputerSpec

        spec = ComputerSpec.load(source)
        tmp = Path(tempfile.mkdtemp(prefix="wb-render-"))
        try:
            api.render(spec, tmp / "computer")
            ref = build_image(tmp / "computer", variant=variant, sudo=sudo, log=lambda m: click.echo(m, err=True),
                              method=method)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    state = "cached" if ref.cached else "built"
    click.echo(f"{ref.tag} ({state}, {_human(ref.size)}, user {ref.user}, home {ref.home})")


@image.command("ls")
def image_ls() -> None:
    """List computer images and snapshot tags."""
    from worldbuilder.materialize.docker_image import list_images

    for ref in list_images():
        click.echo(f"{ref.tag}\t{ref.computer_id}\t{ref.user}\t{ref.variant}\t{_human(ref.size)}")


@image.command("rm")
@click.argument("ref")
def image_rm(ref: str) -> None:
    """Remove an image tag (a computer id means its :latest)."""
    from worldbuilder.materialize.docker_image import remove_image

    remove_image(ref)
    click.echo(f"removed {ref}")


@click.command("boot")
@click.argument("image_ref", metavar="IMAGE")
@click.option("--name", help="Container name (default wb-<computer-id>-<random>).")
@click.option("--cpus", type=click.FloatRange(0.01, os.cpu_count() or 1), default=1.0, show_default=True)
@click.option("--memory", default="1g", show_default=True, help="Memory limit, e.g. 512m, 2g (at least 6m).")
@click.option("--pids", type=click.IntRange(16, 1 << 22), default=512, show_default=True)
@click.option("--disk", default="2g", show_default=True,
              help="Largest file the computer may write (ulimit fsize), e.g. 500m, 4g.")
@click.option("--shared-network", metavar="NAME",
              help="Opt in: join network wb-shared-NAME, whose computers can reach each other (default: isolated).")
@click.option("--iso", "install_iso", type=click.Path(path_type=Path),
              help="windows-qemu: Windows install ISO to install from  [env: WB_WINDOWS_ISO]")
@click.option("--base-qcow2", type=click.Path(path_type=Path),
              help="windows-qemu: prepared (sysprep'd) Windows disk  [env: WB_WINDOWS_BASE_QCOW2]")
@backend_option
def boot(image_ref: str, name: str | None, cpus: float, memory: str, pids: int, disk: str,
         shared_network: str | None, backend: str, install_iso: Path | None, base_qcow2: Path | None) -> None:
    """Start a computer (no outbound network, isolated from other computers) and print how to reach it.

    With --backend qemu|libvirt, IMAGE is a computer directory, VM disk directory, computer id or DISK@LABEL."""
    from worldbuilder.runtime.docker_backend import DockerBackend, Limits

    if (install_iso or base_qcow2) and backend != "windows-qemu":
        raise click.UsageError("--iso and --base-qcow2 only apply to --backend windows-qemu")
    if backend != "docker":
        extra = {"install_iso": install_iso, "base_qcow2": base_qcow2} if backend == "windows-qemu" else {}
        comp = cli_provider.boot(backend, image_ref, name, Limits(cpus, memory, pids, None), **extra)
        comp.close()
        cli_provider.echo_up(backend, comp)
        return

    comp = DockerBackend(Limits(cpus, memory, pids, disk)).boot(image_ref, name=name, shared_network=shared_network)
    comp.close()
    click.echo(f"{comp.name} is up: {comp.endpoint.user}@{comp.endpoint.host}, home {comp.home}")
    click.echo(f"  key:  {comp.endpoint.key_path}")
    click.echo(f"  ssh:  {comp.endpoint.command()}")
    click.echo(f"  or:   worldbuilder shell {comp.name}")


@click.command("shell")
@click.argument("target", metavar="NAME_OR_IMAGE")
@backend_option
def shell(target: str, backend: str) -> None:
    """Open an interactive SSH shell as the computer's user (boots IMAGE if no such computer runs)."""
    from worldbuilder.runtime.docker_backend import ComputerNotRunning, DockerBackend

    if backend != "docker":
        return cli_provider.shell(backend, target)

    docker = DockerBackend()
    try:
        ep = docker.endpoint(target)
        name = target
    except ComputerNotRunning:
        comp = docker.boot(target)
        comp.close()
        click.echo(f"booted {comp.name} (stop it with: worldbuilder stop {comp.name})", err=True)
        ep, name = comp.endpoint, comp.name
    ssh = shutil.which("ssh")
    if ssh is None:
        raise WorldbuilderError("the ssh client is not installed (apt-get install openssh-client)")
    os.execv(ssh, ["ssh", "-i", str(ep.key_path), "-p", str(ep.port), *_host_key_options(docker, name),
                   "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes", f"{ep.user}@{ep.host}"])


def _host_key_options(backend, name: str) -> list[str]:
    """Pin the computer's host key (from its image label) via a per-computer known_hosts file."""
    from worldbuilder.materialize.keys import key_path

    labels = backend.labels(name)
    cid, host_key = labels.get("org.worldbuilder.computer-id", ""), labels.get("org.worldbuilder.host-key")
    if not host_key:
        return ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
    known = key_path(cid).parent / "known_hosts"
    known.write_text(f"worldbuilder-{cid} {host_key}\n")
    return ["-o", f"HostKeyAlias=worldbuilder-{cid}", "-o", f"UserKnownHostsFile={known}",
            "-o", "StrictHostKeyChecking=yes"]


@click.command("stop")
@click.argument("names", nargs=-1, required=True)
@backend_option
def stop(names: tuple[str, ...], backend: str) -> None:
    """Stop and remove running computers (snapshot first to keep their state)."""
    for name in names:
        cli_provider.provider(backend).stop(name)
        click.echo(f"stopped {name}")


@click.command("ps")
@backend_option
def ps(backend: str) -> None:
    """List running computers."""
    from worldbuilder.runtime.docker_backend import DockerBackend

    if backend != "docker":
        return cli_provider.ps(backend)

    for row in DockerBackend().list_running():
        click.echo(f"{row['name']}\t{row['computer_id']}\t{row['ip']}\t{row['image']}\t{row['status']}")


@click.group("snapshot")
def snapshot() -> None:
    """Named snapshots of a computer (day-01 ...): create, ls, restore, diff, export."""


def _snaps_for(target: str, backend: str = "docker"):
    """Snapshots of a running computer (by container name) or of a computer id."""
    if backend != "docker":
        return cli_provider.snapshots(backend, target)
    from worldbuilder.materialize import docker_sdk
    from worldbuilder.materialize.docker_image import image_tag
    from worldbuilder.runtime.docker_backend import NAME_RE
    from worldbuilder.runtime.docker_snapshots import DockerSnapshots

    if not NAME_RE.match(target):
        raise WorldbuilderError(f"invalid computer name or id {target!r} (letters, digits, '_', '.', '-')")
    cid = ((docker_sdk.container_info(target) or {}).get("Config", {}).get("Labels") or {}).get(
        "org.worldbuilder.computer-id", "")
    if cid:
        return DockerSnapshots(cid, container=target)
    if not docker_sdk.image_exists(image_tag(target)):
        raise WorldbuilderError(f"no running computer named {target!r} and no image of a computer with that id "
                                "(see `worldbuilder ps` and `worldbuilder image ls`)")
    return DockerSnapshots(target)


@snapshot.command("create")
@click.argument("name")
@click.argument("label")
@backend_option
def snapshot_create(name: str, label: str, backend: str) -> None:
    """Snapshot running computer NAME as LABEL."""
    snaps = _snaps_for(name, backend)
    if getattr(snaps, "container", "") is None:
        raise WorldbuilderError(f"no running computer named {name!r}")
    info = snaps.snapshot(label)
    click.echo(f"{info.ref}")


@snapshot.command("ls")
@click.argument("computer", metavar="NAME_OR_ID")
@backend_option
def snapshot_ls(computer: str, backend: str) -> None:
    """List the snapshots of a computer."""
    for info in _snaps_for(computer, backend).list():
        click.echo(f"{info.label}\t{info.created.isoformat()}\t{info.ref}")


@snapshot.command("restore")
@click.argument("computer", metavar="NAME_OR_ID")
@click.argument("label")
@click.option("--name", help="Name of the new container.")
@backend_option
def snapshot_restore(computer: str, label: str, name: str | None, backend: str) -> None:
    """Boot a new computer from snapshot LABEL (a VM is rolled back in place)."""
    snaps = _snaps_for(computer, backend)
    comp = snaps.restore(label, name=name) if backend == "docker" else snaps.restore(label)
    comp.close()
    click.echo(f"{comp.name} is up from {label}: {comp.endpoint.command() if comp.endpoint else ''}")


@snapshot.command("diff")
@click.argument("computer", metavar="NAME_OR_ID")
@click.argument("a")
@click.argument("b")
@backend_option
def snapshot_diff(computer: str, a: str, b: str, backend: str) -> None:
    """Files added (A), changed (M) and deleted (D) from snapshot A to snapshot B."""
    d = _snaps_for(computer, backend).diff(a, b)
    for tag, paths in (("A", d.added), ("M", d.changed), ("D", d.deleted)):
        for p in paths:
            click.echo(f"{tag}\t{p}")


@snapshot.command("export")
@click.argument("computer", metavar="NAME_OR_ID")
@click.argument("label")
@click.argument("path", type=click.Path(path_type=Path))
def snapshot_export(computer: str, label: str, path: Path) -> None:
    """Save snapshot LABEL as a docker archive at PATH (load it with `docker load`)."""
    out = _snaps_for(computer).export(label, path)
    click.echo(str(out))


def register(main: click.Group) -> None:
    """Attach runtime commands (image, boot, shell, stop, ps, snapshot; vm is added by the VM stage)."""
    from worldbuilder.cli_windows import windows

    for cmd in (image, boot, shell, stop, ps, snapshot, windows):
        main.add_command(cmd)
    from worldbuilder.runtime.vm_cli import vm  # VM stage: `worldbuilder vm ...`

    main.add_command(vm)
