"""One contract, every provider: boot, exec, read, write, listdir, snapshot, restore, diff, stop, typed errors.

Each provider boots ONE computer per module (QEMU/TCG boots take ~25 s here) from a tiny handmade computer;
the tests run in file order on it and the last one stops it. ``local`` needs no engine, ``docker`` a daemon
(marked docker), ``qemu``/``libvirt`` QEMU and libvirtd (marked vm; they FAIL when the engine is missing).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time

import pytest

from tests.test_docker_helpers import handmade_spec, write_computer
from worldbuilder.errors import (
    CommandTimeout,
    ComputerNotRunning,
    ComputerUnreachable,
    ImageNotFound,
    RemoteFileError,
    RemoteFileNotFound,
    SnapshotError,
    SnapshotNotFound,
    TransferRefused,
    WorldbuilderError,
)
from worldbuilder.materialize.staging import roots
from worldbuilder.runtime.computer import Computer, SSHEndpoint
from worldbuilder.runtime.limits import Limits
from worldbuilder.runtime.provider import PROVIDERS, ComputerProvider, ImageRef, make_provider

TAG = secrets.token_hex(3)
PROVIDER_PARAMS = [
    pytest.param("local", id="local"),
    pytest.param("docker", id="docker", marks=pytest.mark.docker),
    pytest.param("qemu", id="qemu", marks=[pytest.mark.vm, pytest.mark.slow]),
    pytest.param("libvirt", id="libvirt", marks=[pytest.mark.vm, pytest.mark.slow]),
]


class World:
    def __init__(self, provider: ComputerProvider, ref: ImageRef, computer: Computer, home: str) -> None:
        self.provider, self.ref, self.computer, self.home = provider, ref, computer, home
        self.extra: list[Computer] = []


@pytest.fixture(scope="module", params=PROVIDER_PARAMS)
def world(request, tmp_path_factory):
    name = request.param
    mp = pytest.MonkeyPatch()
    mp.setenv("WORLDBUILDER_HOME", str(tmp_path_factory.mktemp(f"wbhome-{name}")))
    spec = handmade_spec()
    spec.id = f"wbc{TAG}{name[:3]}"
    comp_dir = write_computer(spec, tmp_path_factory.mktemp(f"comp-{name}") / "computer")
    owner = {"run": f"contract-{TAG}", "run-dir": str(tmp_path_factory.getbasetemp())}
    provider = make_provider(name, limits=Limits(cpus=1, memory="1g", disk=None), owner=owner,
                             workdir=tmp_path_factory.mktemp(f"work-{name}"))
    ref = provider.prepare(comp_dir)
    computer = provider.boot(ref, name=f"wbc-{TAG}-{name}")
    w = World(provider, ref, computer, roots(spec).home)
    yield w
    for c in [w.computer, *w.extra]:
        provider.release(c)
    if name == "docker":
        tags = subprocess.run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"], capture_output=True,
                              text=True).stdout.split()
        mine = [t for t in tags if spec.id in t]
        if mine:
            subprocess.run(["docker", "rmi", "-f", *mine], capture_output=True)
    mp.undo()


def test_registry_names_every_provider():
    assert set(PROVIDERS) >= {"docker", "qemu", "libvirt", "local"}
    with pytest.raises(WorldbuilderError, match="unknown backend"):
        make_provider("floppy")


def test_boot_gives_a_computer_that_runs_commands_as_its_user(world):
    c = world.computer
    assert c.user == "jdoe" and c.home == world.home
    r = c.exec("echo hello; test -f Documents/notes.txt && echo in-home")
    assert r.ok and r.stdout.split() == ["hello", "in-home"]
    assert c.exec("exit 3").exit_code == 3  # a failing command is a result, not an error
    assert not world.provider.is_dead(c)
    assert c.name in [row.name for row in world.provider.ls()]


def test_connection_is_ssh_except_for_local(world):
    ep = world.provider.connection(world.computer)
    if world.provider.name == "local":
        assert ep is None
    else:
        assert isinstance(ep, SSHEndpoint) and ep.user == "jdoe" and ep.key_path.exists()


def test_built_files_are_there(world):
    c = world.computer
    assert c.read("Documents/notes.txt") == b"content 0\n"
    assert "notes.txt" in c.listdir("Documents")


def test_write_read_listdir(world):
    c = world.computer
    c.write("Desktop/contract/new.txt", b"\x00binary\xff")
    assert c.read("Desktop/contract/new.txt") == b"\x00binary\xff"
    assert c.read(f"{world.home}/Desktop/contract/new.txt") == b"\x00binary\xff"
    assert c.listdir("Desktop/contract") == ["new.txt"]


def test_typed_errors_for_one_failed_call(world):
    c = world.computer
    with pytest.raises(RemoteFileNotFound):
        c.read("Documents/no-such-file.txt")
    with pytest.raises(RemoteFileError):
        c.read("Documents")  # a folder
    with pytest.raises(TransferRefused):
        c.read("Documents/notes.txt", max_bytes=3)
    with pytest.raises(CommandTimeout):
        c.exec("sleep 30", timeout=1)
    assert c.exec("echo still-here").stdout.strip() == "still-here"  # one failed call leaves it usable


def test_attach_by_name(world):
    other = world.provider.attach(world.computer.name)
    try:
        assert other.read("Desktop/contract/new.txt") == b"\x00binary\xff"
    finally:
        other.close()
    with pytest.raises(ComputerNotRunning):
        world.provider.attach(f"wbc-{TAG}-nobody")


def test_snapshot_diff_restore(world):
    c, snaps = world.computer, world.provider.snapshots(world.computer)
    c.write("Desktop/contract/a.txt", b"one\n")
    one = snaps.snapshot(f"c{TAG}-one")
    c.write("Desktop/contract/a.txt", b"two\n")
    c.write("Desktop/contract/b.txt", b"added\n")
    assert c.exec("rm Desktop/todo.txt").ok
    snaps.snapshot(f"c{TAG}-two")
    assert {s.label for s in snaps.list()} >= {f"c{TAG}-one", f"c{TAG}-two"}
    d = snaps.diff(f"c{TAG}-one", f"c{TAG}-two")
    rel = ""  # diff paths are spec paths: relative to the layout root (the home on a linux layout)
    assert d.added == [rel + "Desktop/contract/b.txt"]
    assert d.changed == [rel + "Desktop/contract/a.txt"]
    assert d.deleted == [rel + "Desktop/todo.txt"]
    with pytest.raises(SnapshotError):
        snaps.snapshot("Not A Label!")
    with pytest.raises(SnapshotNotFound):
        snaps.diff(f"c{TAG}-one", f"c{TAG}-nine")
    with pytest.raises(SnapshotNotFound):
        snaps.restore(f"c{TAG}-nine")
    back = snaps.restore(f"c{TAG}-one")
    if back.name != c.name:
        world.extra.append(back)
    else:
        world.computer = back
    assert back.read("Desktop/contract/a.txt") == b"one\n"
    with pytest.raises(RemoteFileNotFound):
        back.read("Desktop/contract/b.txt")
    assert back.read("Desktop/todo.txt")
    assert one.ref  # a bootable ref (see test_stop_then_boot_a_snapshot_ref)
    world.one_ref = one.ref  # type: ignore[attr-defined]


def test_stop_then_boot_a_snapshot_ref(world):
    p, c = world.provider, world.computer
    for extra in world.extra:
        p.release(extra)
    world.extra = []
    c.close()
    p.stop(c.name)
    assert c.name not in [row.name for row in p.ls()]
    with pytest.raises(ComputerNotRunning):
        p.stop(c.name)
    with pytest.raises(ComputerNotRunning):
        p.attach(c.name)
    with pytest.raises(ImageNotFound):
        p.boot(os.path.join("/nonexistent", f"wbc-{TAG}"))
    again = p.boot(world.one_ref, name=c.name)  # type: ignore[attr-defined]
    world.computer = again
    assert again.read("Desktop/contract/a.txt") == b"one\n"
    p.release(again)
    deadline = time.monotonic() + 2  # is_dead is cheap: a provider may cache the engine's answer briefly
    while not p.is_dead(again) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert p.is_dead(again)
    with pytest.raises(ComputerUnreachable):
        again.exec("true")
