"""``worldbuilder vm ...``: build, boot, stop, list, snapshot VM computers and emit libvirt XML."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("vm")
def vm() -> None:
    """QEMU/libvirt virtual machines of computers (qcow2 disk, SSH, snapshots)."""


def _disk(ref: str):
    """The disk of a disk dir / computer id; for a computer directory, (re)built when out of date."""
    from worldbuilder.materialize.vm import META_FILE, build_vm_disk, find_disk

    path = Path(ref)
    if path.is_dir() and (path / "tree").is_dir() and not (path / META_FILE).exists():
        return build_vm_disk(path, log=lambda m: click.echo(m, err=True))  # a no-op when up to date
    return find_disk(ref)


@vm.command("build")
@click.argument("computer", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), help="Disk directory (default $WORLDBUILDER_HOME/vm/<id>).")
@click.option("--force", is_flag=True, help="Rebuild even when the inputs are unchanged.")
@click.option("--sudo", is_flag=True, help="Give the user passwordless sudo (default: no sudo).")
@click.option("--compress", is_flag=True, help="Compressed qcow2 (about 3x smaller, slower to build).")
def vm_build(computer: Path, out: Path | None, force: bool, sudo: bool, compress: bool) -> None:
    """Build the qcow2 disk (+ kernel, initrd) of a computer directory."""
    from worldbuilder.materialize.vm import build_vm_disk

    disk = build_vm_disk(computer, out=out, force=force, sudo=sudo, compress=compress,
                         log=lambda m: click.echo(m, err=True))
    click.echo(f"{disk.disk_path} ({disk.disk_bytes / 1e6:.0f} MB on disk, {disk.virtual_size >> 30} GiB virtual, "
               f"{disk.file_count} files, user {disk.user})")


@vm.command("boot")
@click.argument("ref", metavar="COMPUTER_OR_DISK")
@click.option("--name", help="VM name (default: the computer id).")
@click.option("--memory", "memory_mb", type=click.IntRange(128, 1 << 20), help="Memory in MiB (default 1024).")
@click.option("--cpus", type=click.IntRange(1, 256), help="vCPUs (default 2).")
@click.option("--libvirt", "use_libvirt", is_flag=True, help="Define and start it as a libvirt domain.")
def vm_boot(ref: str, name: str | None, memory_mb: int | None, cpus: int | None, use_libvirt: bool) -> None:
    """Boot a computer's VM (building its disk if needed) and print the SSH command.

    An alias of ``worldbuilder boot --backend qemu|libvirt``."""
    import os

    from worldbuilder import cli_provider
    from worldbuilder.runtime.limits import Limits

    disk = _disk(ref)
    backend = "libvirt" if use_libvirt else "qemu"
    limits = Limits(cpus=min(cpus or disk.cpus, os.cpu_count() or 1), memory=f"{memory_mb or disk.memory_mb}m",
                    disk=None)
    computer = cli_provider.provider(backend, limits).boot(str(disk.dir), name=name)
    computer.close()
    cli_provider.echo_up(backend, computer)


@vm.command("stop")
@click.argument("name")
def vm_stop(name: str) -> None:
    """Shut a VM down (the disk keeps its state and snapshots). An alias of ``worldbuilder stop --backend``."""
    from worldbuilder import cli_provider
    from worldbuilder.errors import ComputerNotRunning

    try:
        cli_provider.provider("qemu").stop(name)
    except ComputerNotRunning:
        domain = name if name.startswith("wb-") else f"wb-{name}"
        cli_provider.provider("libvirt").stop(domain)
        name = f"libvirt domain {domain}"
    click.echo(f"stopped {name}")


@vm.command("ls")
def vm_ls() -> None:
    """List running VMs (QEMU, then libvirt when libvirtd answers). An alias of ``worldbuilder ps --backend``."""
    from worldbuilder import cli_provider
    from worldbuilder.errors import EngineUnavailable

    cli_provider.ps("qemu")
    try:
        cli_provider.ps("libvirt")
    except EngineUnavailable:
        pass


@vm.command("xml")
@click.argument("ref", metavar="COMPUTER_OR_DISK")
@click.option("--port", type=click.IntRange(1024, 65535), help="Host port for SSH (default: a free one).")
@click.option("--no-validate", is_flag=True, help="Skip virt-xml-validate.")
def vm_xml(ref: str, port: int | None, no_validate: bool) -> None:
    """Print the libvirt domain XML of a computer's VM (validated with virt-xml-validate)."""
    from worldbuilder.runtime.libvirt_backend import domain_xml, validate_xml
    from worldbuilder.runtime.qemu_backend import free_port

    xml = domain_xml(_disk(ref), port or free_port())
    if not no_validate:
        validate_xml(xml)
    click.echo(xml, nl=False)


@vm.group("snapshot")
def vm_snapshot() -> None:
    """Live qcow2 snapshots (disk + memory) of a VM."""


@vm_snapshot.command("create")
@click.argument("name")
@click.argument("label")
def snapshot_create(name: str, label: str) -> None:
    """Snapshot the running VM NAME as LABEL."""
    from worldbuilder import cli_provider

    info = cli_provider.snapshots("qemu", name).snapshot(label)
    click.echo(f"{info.label}\t{info.ref}\t{info.created.isoformat()}")


@vm_snapshot.command("ls")
@click.argument("name")
def snapshot_ls(name: str) -> None:
    """List the snapshots of VM NAME (running, or a disk dir / computer id)."""
    for info in _snapshots(name).list():
        click.echo(f"{info.label}\t{info.created.isoformat()}\t{info.ref}")


@vm_snapshot.command("restore")
@click.argument("name")
@click.argument("label")
def snapshot_restore(name: str, label: str) -> None:
    """Roll VM NAME back to LABEL (boots it from the snapshot when it is stopped)."""
    computer = _snapshots(name).restore(label)
    click.echo(f"{computer.name} restored to {label}")
    click.echo(computer.endpoint.command())
    computer.close()


@vm_snapshot.command("diff")
@click.argument("name")
@click.argument("a")
@click.argument("b")
def snapshot_diff(name: str, a: str, b: str) -> None:
    """Files added, changed and deleted between snapshots A and B ('latest' = the fresh disk)."""
    d = _snapshots(name).diff(a, b)
    for mark, paths in (("A", d.added), ("M", d.changed), ("D", d.deleted)):
        for p in paths:
            click.echo(f"{mark}\t{p}")


def _snapshots(name: str):
    from worldbuilder.errors import ComputerNotRunning
    from worldbuilder.materialize.vm import find_disk
    from worldbuilder.runtime.qemu_snapshots import QemuSnapshots

    try:
        return QemuSnapshots(name)
    except ComputerNotRunning:
        disk = find_disk(name)
        return QemuSnapshots(disk.name, disk=disk)
