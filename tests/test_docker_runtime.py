"""End-to-end Docker runtime: generated computer → image → boot → SSH handle → snapshots.

Needs a Docker daemon (scripts/ensure-engine.sh docker); FAILS when it is missing. One image and
one booted computer are shared by the module; everything created uses a unique name prefix and is
removed at the end.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import paramiko
import pytest

from tests.test_docker_helpers import make_computer
from worldbuilder.errors import (
    CommandTimeout,
    ComputerUnreachable,
    EngineUnavailable,
    ImageNotFound,
    SnapshotNotFound,
)
from worldbuilder.spec import ComputerSpec

pytestmark = pytest.mark.docker
PREFIX = f"wbtest-{secrets.token_hex(3)}"


def docker(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """WORLDBUILDER_HOME in a temp dir; on teardown remove every container and tag we made."""
    from worldbuilder.materialize import docker_cli

    try:
        docker_cli.ensure_daemon()
    except EngineUnavailable as exc:
        pytest.fail(f"Docker is required for this test: {exc}")
    old = os.environ.get("WORLDBUILDER_HOME")
    os.environ["WORLDBUILDER_HOME"] = str(tmp_path_factory.mktemp("wbhome"))
    yield
    names = docker("ps", "-aq", "--filter", f"name={PREFIX}").stdout.split()
    names += docker("ps", "-aq", "--filter", f"label=org.worldbuilder.computer-id={PREFIX}").stdout.split()
    if names:
        docker("rm", "-f", *set(names))
    tags = [t for t in docker("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split() if PREFIX in t]
    if tags:
        docker("rmi", "-f", *tags)
    if old is None:
        os.environ.pop("WORLDBUILDER_HOME", None)
    else:
        os.environ["WORLDBUILDER_HOME"] = old


@pytest.fixture(scope="module")
def computer_dir(env, tmp_path_factory) -> Path:
    """A generated standard computer whose id is unique to this test run."""
    out = make_computer(tmp_path_factory.mktemp("gen") / "computer")
    spec = ComputerSpec.load(out)
    assert spec.generation.size == "standard" and len(spec.files) > 50
    spec.id = PREFIX
    spec.save(out / "spec.json")
    return out


@pytest.fixture(scope="module")
def image(computer_dir):
    from worldbuilder.materialize.docker_image import build_image

    start = time.monotonic()
    ref = build_image(computer_dir)
    assert not ref.cached
    print(f"\nimage build: {time.monotonic() - start:.1f}s")
    return ref


@pytest.fixture(scope="module")
def backend():
    from worldbuilder.runtime.docker_backend import DockerBackend

    return DockerBackend()


@pytest.fixture(scope="module")
def comp(image, backend):
    c = backend.boot(image.tag, name=f"{PREFIX}-main")
    yield c
    c.close()


@pytest.fixture(scope="module")
def spec(computer_dir) -> ComputerSpec:
    return ComputerSpec.load(computer_dir)


# ---------------------------------------------------------------- image


def test_image_is_one_thin_layer_with_labels(image, spec):
    from worldbuilder.materialize.docker_image import LABEL, list_images

    info = json.loads(docker("image", "inspect", image.tag).stdout)[0]
    base = json.loads(docker("image", "inspect", info["Config"]["Labels"][f"{LABEL}.base"]).stdout)[0]
    assert len(info["RootFS"]["Layers"]) == len(base["RootFS"]["Layers"]) + 1
    labels = info["Config"]["Labels"]
    assert labels[f"{LABEL}.computer-id"] == spec.id
    assert labels[f"{LABEL}.spec-hash"] == spec.content_hash()
    assert labels[f"{LABEL}.persona"] == spec.persona[:200]
    assert labels[f"{LABEL}.tool-version"] and labels["org.opencontainers.image.version"]
    assert image.tag in [r.tag for r in list_images()]
    assert not any("wb-provision" in p for p in docker("run", "--rm", "--network", "none", image.tag,
                                                        "ls", "/tmp").stdout.split())


def test_unchanged_rebuild_is_a_cache_hit(image, computer_dir):
    from worldbuilder.materialize.docker_image import build_image

    start = time.monotonic()
    again = build_image(computer_dir)
    assert again.cached and again.id == image.id
    assert time.monotonic() - start < 5


# ---------------------------------------------------------------- ssh access


def test_whoami_and_home(comp, spec):
    r = comp.exec("whoami && pwd -P && hostname")
    user, home, _host = r.stdout.split()
    assert r.ok and user == spec.profile.username
    assert home == comp.home
    assert comp.exec("exit 3").exit_code == 3
    assert comp.exec("echo err >&2").stderr == "err\n"


def test_password_and_root_logins_are_refused(comp):
    ep = comp.endpoint
    with pytest.raises(paramiko.AuthenticationException):
        c = paramiko.SSHClient()
        c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        try:
            c.connect(ep.host, ep.port, username=ep.user, password="password", allow_agent=False,
                      look_for_keys=False, timeout=10)
        finally:
            c.close()
    key = paramiko.Ed25519Key.from_private_key_file(str(ep.key_path))
    with pytest.raises(paramiko.AuthenticationException):
        c = paramiko.SSHClient()
        c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        try:
            c.connect(ep.host, ep.port, username="root", pkey=key, allow_agent=False, look_for_keys=False,
                      timeout=10)
        finally:
            c.close()
    assert comp.exec("sudo -n true").exit_code != 0  # no sudo by default


def test_home_files_owners_mtimes_match_spec(comp, spec, computer_dir):
    from worldbuilder.materialize.staging import roots

    r = roots(spec)
    script = ("import json,os,sys\nout={}\nfor pre,root in json.loads(sys.argv[1]).items():\n"
              " for d,_,fs in os.walk(root):\n  for n in fs:\n   p=os.path.join(d,n);s=os.lstat(p)\n"
              "   rel=('' if pre=='.' else pre+'/')+os.path.relpath(p,root)\n"
              "   out[rel]=[s.st_uid,s.st_gid,s.st_mtime,s.st_size]\nprint(json.dumps(out))")
    mounts = {k or ".": v for k, v in r.mounts.items()}
    res = comp.exec(f"python3 -c {shlex.quote(script)} '{json.dumps(mounts)}'")
    assert res.ok, res.stderr
    seen = json.loads(res.stdout)
    extras = json.loads(comp.read("/etc/worldbuilder/extras.json"))
    home_rel = spec.home_root
    extra_paths = {f"{home_rel}/{e}" if home_rel else e for e in extras}
    assert set(seen) == {f.path for f in spec.files} | extra_paths
    manifest = json.loads((computer_dir / "manifest.json").read_text())
    for f in spec.files:
        uid, gid, mtime, size = seen[f.path]
        assert (uid, gid) == (spec.profile.uid, spec.profile.uid), f.path
        assert abs(mtime - f.modified.timestamp()) < 1e-3, f.path
        assert size == manifest[f.path]["size"], f.path


def test_read_write_listdir(comp, tmp_path):
    comp.write("wbtest/nested/a.bin", bytes(range(256)) * 10)
    assert comp.read("wbtest/nested/a.bin") == bytes(range(256)) * 10
    assert comp.listdir("wbtest/nested") == ["a.bin"]
    assert comp.read(f"{comp.home}/wbtest/nested/a.bin")[:3] == b"\x00\x01\x02"
    (tmp_path / "up.txt").write_text("up")
    comp.put(tmp_path / "up.txt", "wbtest/up.txt")
    comp.get("wbtest/up.txt", tmp_path / "down.txt")
    assert (tmp_path / "down.txt").read_text() == "up"
    assert comp.exec("stat -c %U wbtest/up.txt").stdout.strip() == comp.user
    with pytest.raises(FileNotFoundError):
        comp.read("wbtest/missing.txt")
    comp.exec("rm -rf wbtest")


def test_office_documents_made_inside_open_on_host(comp, tmp_path):
    import docx
    import openpyxl
    import pptx
    import pypdf

    script = (
        "import docx, openpyxl, pptx\nfrom reportlab.pdfgen import canvas\n"
        "d=docx.Document(); d.add_paragraph('Quarterly note'); d.save('/tmp/t.docx')\n"
        "wb=openpyxl.Workbook(); wb.active['A1']=42; wb.active['A2']='=A1*2'; wb.save('/tmp/t.xlsx')\n"
        "p=pptx.Presentation(); s=p.slides.add_slide(p.slide_layouts[0]); s.shapes.title.text='Deck'; p.save('/tmp/t.pptx')\n"
        "c=canvas.Canvas('/tmp/t.pdf'); c.drawString(72,720,'PDF inside'); c.save()\n")
    r = comp.exec(f"python3 -c {shlex.quote(script)}", timeout=120)
    assert r.ok, r.stderr
    for ext in ("docx", "xlsx", "pptx", "pdf"):
        comp.get(f"/tmp/t.{ext}", tmp_path / f"t.{ext}")
    assert docx.Document(tmp_path / "t.docx").paragraphs[0].text == "Quarterly note"
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    assert ws["A1"].value == 42 and ws["A2"].value == "=A1*2"
    assert pptx.Presentation(tmp_path / "t.pptx").slides[0].shapes.title.text == "Deck"
    assert "PDF inside" in pypdf.PdfReader(tmp_path / "t.pdf").pages[0].extract_text()
    assert "PDF inside" in comp.exec("pdftotext /tmp/t.pdf -").stdout


def _host_ip() -> str:
    out = subprocess.run(["ip", "route", "get", "1.1.1.1"], capture_output=True, text=True).stdout.split()
    return out[out.index("src") + 1]


def test_no_outbound_network(comp):
    srv = socket.socket()
    srv.bind(("0.0.0.0", 0))
    srv.listen(5)
    port = srv.getsockname()[1]
    accepted: list[object] = []

    def accept() -> None:
        try:
            accepted.append(srv.accept())
        except OSError:  # the listener is closed when the test ends
            pass

    threading.Thread(target=accept, daemon=True).start()
    try:
        for host, p in (("1.1.1.1", 53), (_host_ip(), port), (comp.endpoint.host.rsplit(".", 1)[0] + ".1", port)):
            r = comp.exec(f"python3 -c \"import socket; socket.create_connection(('{host}', {p}), 3)\"", timeout=20)
            assert r.exit_code != 0, f"connection to {host}:{p} from inside succeeded"
        assert comp.exec("timeout 5 getent hosts deb.debian.org", timeout=20).exit_code != 0
        assert not accepted
    finally:
        srv.close()
    hc = json.loads(docker("inspect", comp.name).stdout)[0]["HostConfig"]
    assert hc["NanoCpus"] == 1_000_000_000 and hc["Memory"] == 1024**3 and hc["PidsLimit"] == 512
    assert not hc["PortBindings"]


def test_command_timeout_kills_the_command(comp):
    start = time.monotonic()
    with pytest.raises(CommandTimeout):
        comp.exec("sleep 37; echo never", timeout=1)
    assert time.monotonic() - start < 6
    assert comp.exec("pgrep -x sleep || true").stdout.strip() == ""
    assert comp.exec("echo alive").stdout == "alive\n"


# ---------------------------------------------------------------- snapshots


def test_snapshot_restore_diff_export(image, backend, spec, tmp_path):
    import tarfile

    from worldbuilder.materialize.staging import roots
    from worldbuilder.runtime.docker_snapshots import DockerSnapshots, SnapshotError

    to_abs = roots(spec).to_container
    c = backend.boot(image.tag, name=f"{PREFIX}-snap")
    try:
        victim, edited = sorted(f.path for f in spec.files)[:2]
        c.write(to_abs(edited), b"edited on day one\n")
        assert c.exec(f"rm {shlex.quote(to_abs(victim))}").ok
        c.write("Desktop/day1-new.txt", b"new\n")
        added = f"{spec.home_root}/Desktop/day1-new.txt".lstrip("/")
        snaps = DockerSnapshots(c.computer_id, container=c.name)
        info = snaps.snapshot("t-day-01")
        assert info.label == "t-day-01" and info.ref.endswith(":t-day-01")
        assert [s.label for s in snaps.list()] == ["t-day-01"]
        d = snaps.diff("latest", "t-day-01")
        assert (d.added, d.changed, d.deleted) == ([added], [edited], [victim])
        assert DockerSnapshots(image.computer_id).diff("t-day-01", "t-day-01") == type(d)([], [], [])
        with pytest.raises(SnapshotNotFound):
            snaps.diff("latest", "t-day-99")
        with pytest.raises(SnapshotError):
            snaps.snapshot("Bad Label!")
        restored = snaps.restore("t-day-01", name=f"{PREFIX}-restored")
        try:
            assert restored.read("Desktop/day1-new.txt") == b"new\n"
            assert restored.read(to_abs(edited)) == b"edited on day one\n"
            assert restored.endpoint.host != c.endpoint.host  # two computers side by side
            assert restored.exec(f"test -e {shlex.quote(to_abs(victim))}").exit_code == 1
        finally:
            restored.close()
        out = snaps.export("t-day-01", tmp_path / "day1.tar")
        with tarfile.open(out) as tar:
            assert "manifest.json" in tar.getnames()
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    finally:
        c.close()


def test_killed_container_raises_unreachable_quickly(image, backend):
    c = backend.boot(image.tag, name=f"{PREFIX}-victim")
    assert c.exec("true").ok
    docker("kill", c.name)
    start = time.monotonic()
    with pytest.raises(ComputerUnreachable):
        c.read(".profile")
    with pytest.raises(ComputerUnreachable):
        c.exec("echo hi", timeout=5)
    assert time.monotonic() - start < 12
    c.close()


def test_death_during_a_command_raises_unreachable(image, backend):
    c = backend.boot(image.tag, name=f"{PREFIX}-victim2")
    threading.Timer(1.0, lambda: docker("kill", c.name)).start()
    start = time.monotonic()
    with pytest.raises(ComputerUnreachable):
        c.exec("sleep 60", timeout=60)
    assert time.monotonic() - start < 15
    c.close()


# ---------------------------------------------------------------- bad input


def _ids() -> tuple[list[str], list[str]]:
    return sorted(docker("ps", "-aq").stdout.split()), sorted(docker("images", "-q").stdout.split())


def test_bad_inputs_fail_cleanly(image, backend, comp, computer_dir, tmp_path):
    from worldbuilder.materialize.docker_image import build_image
    from worldbuilder.materialize.staging import StagingError
    from worldbuilder.runtime.docker_backend import ComputerNameInUse, ComputerNotRunning
    from worldbuilder.runtime.docker_snapshots import DockerSnapshots

    with pytest.raises(ImageNotFound):
        backend.boot(f"{PREFIX}-no-such-image")
    with pytest.raises(SnapshotNotFound):
        DockerSnapshots(image.computer_id).restore("nope")
    with pytest.raises(ComputerNameInUse):
        backend.boot(image.tag, name=comp.name)
    with pytest.raises(ComputerNotRunning):
        backend.attach(f"{PREFIX}-ghost")
    before = _ids()
    bad = tmp_path / "bad"
    import shutil

    shutil.copytree(computer_dir, bad)
    spec = ComputerSpec.load(bad)
    spec.profile.username = "Bad User"
    spec.id = f"{PREFIX}-bad"
    spec.save(bad / "spec.json")
    with pytest.raises(StagingError, match="not a valid Linux user name"):
        build_image(bad)
    assert _ids() == before  # sorted: images built with one fixed creation time list in any order


def test_missing_daemon_is_engine_unavailable(monkeypatch):
    from worldbuilder.materialize import docker_cli

    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(EngineUnavailable, match="ensure-engine.sh docker"):
        docker_cli.ensure_daemon()


def test_cli_errors_are_one_line(env):
    wb = [sys.executable, "-m", "worldbuilder.cli"]
    for args in (["boot", f"{PREFIX}-nothing"], ["stop", f"{PREFIX}-nothing"],
                 ["snapshot", "diff", PREFIX, "latest", "zzz"]):
        r = subprocess.run([*wb, *args], capture_output=True, text=True)
        assert r.returncode == 1 and r.stderr.startswith("error: ") and r.stderr.count("\n") == 1, r.stderr


def test_cli_image_ls_and_ps(comp):
    wb = [sys.executable, "-m", "worldbuilder.cli"]
    assert comp.name in subprocess.run([*wb, "ps"], capture_output=True, text=True).stdout
    assert PREFIX in subprocess.run([*wb, "image", "ls"], capture_output=True, text=True).stdout



def test_host_key_is_pinned(comp, image):
    from worldbuilder.runtime.ssh import SSHComputer

    labels = json.loads(docker("image", "inspect", image.tag).stdout)[0]["Config"]["Labels"]
    assert comp.host_key and comp.host_key == labels["org.worldbuilder.host-key"]
    other = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBf6Gn0p0VZbq1w6Q0m8n0m6lN5kz6b5m2eZx3m2Xq1a"
    with pytest.raises(ComputerUnreachable, match="host key"):
        SSHComputer(comp.endpoint, "impostor", comp.home, host_key=other, connect_timeout=5)


def test_concurrent_execs_and_reconnect(comp):
    results: list[str] = []

    def work(i: int) -> None:
        results.append(comp.exec(f"sleep 0.2; echo {i}").stdout.strip())

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["0", "1", "2", "3"]
    comp._client.close()  # drop the connection under the handle: the next call reconnects
    assert comp.exec("echo back").stdout == "back\n"
    assert comp.listdir(".")


def test_linux_layout_computer(env, backend, tmp_path):
    from tests.test_docker_helpers import handmade_spec, write_computer
    from worldbuilder.materialize.docker_image import build_image

    spec = handmade_spec("linux", username="kim_lee")
    spec.id = f"{PREFIX}-lin"
    ref = build_image(write_computer(spec, tmp_path / "lin"))
    assert ref.home == "/home/kim_lee"
    c = backend.boot(ref.tag, name=f"{PREFIX}-lin")
    try:
        assert c.exec("whoami").stdout == "kim_lee\n"
        assert c.read("Documents/notes.txt") == b"content 0\n"
        stat = c.exec("stat -c '%U %Y' Documents/Clients/acme/plan.md").stdout.split()
        assert stat == ["kim_lee", str(int(spec.file("Documents/Clients/acme/plan.md").modified.timestamp()))]
        assert c.exec("cat /etc/timezone; echo $LANG").stdout == "America/Denver\nen_US.UTF-8\n"
    finally:
        c.close()


@pytest.mark.slow
def test_office_variant_converts_with_libreoffice(env, backend, tmp_path):
    from tests.test_docker_helpers import handmade_spec, write_computer
    from worldbuilder.materialize.docker_image import build_image

    spec = handmade_spec("linux")
    spec.id = f"{PREFIX}-office"
    ref = build_image(write_computer(spec, tmp_path / "office"), variant="office")
    assert ref.variant == "office"
    c = backend.boot(ref.tag, name=f"{PREFIX}-office")
    try:
        r = c.exec("python3 -c \"import docx; d=docx.Document(); d.add_paragraph('via soffice'); d.save('o.docx')\""
                   " && soffice --headless --convert-to pdf o.docx >/dev/null 2>&1 && pdftotext o.pdf -",
                   timeout=240)
        assert r.ok and "via soffice" in r.stdout, r.stderr
    finally:
        c.close()


def test_failed_provisioning_leaves_nothing(env, tmp_path, monkeypatch):
    from tests.test_docker_helpers import handmade_spec, write_computer
    from worldbuilder.materialize import staging
    from worldbuilder.materialize.docker_image import ImageBuildError, build_image
    from worldbuilder.materialize.paths import cache_home

    fake = tmp_path / "prov"
    fake.mkdir()
    (fake / "provision.py").write_text("import sys\nprint('boom: broken provisioner', file=sys.stderr)\nsys.exit(1)\n")
    monkeypatch.setattr(staging, "PROVISIONERS_DIR", fake)
    spec = handmade_spec("linux")
    spec.id = f"{PREFIX}-broken"
    with pytest.raises(ImageBuildError, match="boom: broken provisioner"):
        build_image(write_computer(spec, tmp_path / "broken"), method="provision")
    assert not docker("ps", "-aq", "--filter", f"name=wb-build-{spec.id}").stdout.strip()
    assert docker("image", "inspect", f"worldbuilder/computer-{spec.id}:latest").returncode != 0
    assert not list(cache_home().glob(f"wb-build-*{spec.id}*")) and not any(
        p.name.startswith("wb-build-") and p.stat().st_mtime > time.time() - 60 for p in cache_home().iterdir())
