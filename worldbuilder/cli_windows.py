"""CLI for Windows computers: ``image build --os windows`` and ``windows build|boot`` (thin over
:mod:`worldbuilder.materialize.windows`)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import click


def wants_windows(os_name: str | None, backend: str | None) -> bool:
    """``--os windows`` and ``--backend windows-qemu`` both mean a Windows build; they must not disagree."""
    if os_name == "linux" and backend == "windows-qemu":
        raise click.UsageError("--os linux and --backend windows-qemu contradict each other")
    if os_name == "windows" and backend == "docker":
        raise click.UsageError("Docker images are Linux; use --backend windows-qemu (or leave --backend out)")
    return os_name == "windows" or backend == "windows-qemu"


def build_windows_computer(source: Path, out: Path | None, openssh_zip: Path | None, data_size_gib: int) -> None:
    """Build a computer directory (or render a spec file first) as a Windows computer and report it."""
    from worldbuilder.materialize.windows.build import build_windows

    log = lambda m: click.echo(m, err=True)  # noqa: E731
    size = data_size_gib << 30
    if source.is_dir() and (source / "tree").is_dir():
        build = build_windows(source, out, openssh_zip, size, log=log)
    else:
        from worldbuilder import api
        from worldbuilder.spec import ComputerSpec

        spec = ComputerSpec.load(source)
        tmp = Path(tempfile.mkdtemp(prefix="wb-render-"))
        try:
            api.render(spec, tmp / "computer")
            build = build_windows(tmp / "computer", out, openssh_zip, size, log=log)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    click.echo(f"{build.dir} (Windows, user {build.account}, home {build.home}, {build.file_count} files; "
               f"D: disk in {build.disk_seconds:.1f}s)")
    for name in (build.data_disk, build.provision_iso, "domain.xml", "qemu-command.txt"):
        click.echo(f"  {build.path(name)}")


def windows_options(f):
    f = click.option("--out", type=click.Path(path_type=Path),
                     help="Windows build directory (default $WORLDBUILDER_HOME/windows/<computer-id>).")(f)
    f = click.option("--openssh-zip", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Win32-OpenSSH release zip to install from (the VM has no network for the capability).")(f)
    f = click.option("--data-size", "data_size_gib", type=click.IntRange(1, 2048), default=16, show_default=True,
                     help="Size of the D: data disk in GiB.")(f)
    return f


@click.group("windows")
def windows() -> None:
    """Windows computers: D: data disk, provisioning ISO and VM description; boot on a KVM host."""


@windows.command("build")
@click.argument("source", metavar="SPEC_OR_DIR", type=click.Path(exists=True, path_type=Path))
@windows_options
def windows_build(source: Path, out: Path | None, openssh_zip: Path | None, data_size_gib: int) -> None:
    """Same as `image build SOURCE --os windows`."""
    build_windows_computer(source, out, openssh_zip, data_size_gib)


@windows.command("boot")
@click.argument("target", metavar="BUILD_OR_COMPUTER", type=click.Path(exists=True, path_type=Path))
@click.option("--iso", "install_iso", type=click.Path(path_type=Path), help="Windows install ISO (installs).")
@click.option("--base-qcow2", type=click.Path(path_type=Path), help="Prepared (sysprep'd) Windows disk.")
@click.option("--timeout", type=float, help="Seconds to wait for SSH (default 7200 installing, 900 booting).")
def windows_boot(target: Path, install_iso: Path | None, base_qcow2: Path | None, timeout: float | None) -> None:
    """Install or boot Windows under KVM and wait until the user logs in over SSH (needs /dev/kvm)."""
    from worldbuilder.materialize.windows.boot import boot_windows
    from worldbuilder.materialize.windows.build import find_build

    build = find_build(target)
    comp = boot_windows(build, install_iso, base_qcow2, timeout, log=lambda m: click.echo(m, err=True))
    comp.close()
    click.echo(f"{comp.name} is up: {comp.endpoint.command()}")
