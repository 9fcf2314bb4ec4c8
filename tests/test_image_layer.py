"""Fast image materialisation (host-built layer + ``docker load``) against the provisioner path.

The unit tests need no daemon. The docker tests build the same computer both ways, compare the two
images' ``docker export`` listings (paths, types, modes, owners, sizes, link targets, contents and
mtimes), boot the fast image and log in over SSH, and load several computers in one call.
"""

from __future__ import annotations

import base64
import io
import os
import secrets
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from tests.test_docker_helpers import handmade_computer, handmade_spec, make_computer
from worldbuilder.materialize import layer_files, staging
from worldbuilder.spec import ComputerSpec

PREFIX = f"wblayer-{secrets.token_hex(3)}"


def fake_facts() -> dict:
    enc = {"passwd": "root:x:0:0:root:/root:/bin/bash\n", "group": "root:x:0:\n", "shadow": "root:*:1:0:99999:7:::\n",
           "gshadow": "root:*::\n", "subuid": "", "subgid": ""}
    dirs = ("/etc", "/etc/ssh", "/etc/ssh/sshd_config.d", "/etc/worldbuilder", "/etc/default", "/home", "/run",
            "/run/sshd")
    stat = {d: {"mode": 0o755, "uid": 0, "gid": 0, "mtime": 1.0, "size": 4096, "kind": "dir"} for d in dirs}
    stat["/etc/shadow"] = {"mode": 0o640, "uid": 0, "gid": 42, "mtime": 5.0, "size": 1, "kind": "file"}
    return {"files": {k: base64.b64encode(v.encode()).decode() for k, v in enc.items()}, "stat": stat,
            "skel": [{"name": ".bashrc", "data": base64.b64encode(b"# rc\n").decode(), "mode": 0o644, "mtime": 7.0}],
            "zoneinfo": ["UTC", "America/Denver"], "locales": ["C.utf8", "en_US.utf8"]}


def test_provisioned_members_mirror_the_provisioner():
    spec = handmade_spec()
    cfg = staging.provision_config(spec, "ssh-ed25519 AAAA test")
    members, pub = layer_files.provisioned_members(cfg, fake_facts(), now=86400 * 20000,
                                                   existing={"home/jdoe/.config"})
    by = {m.info.name: m for m in members}
    assert by["etc/passwd"].data.decode().endswith("jdoe:x:1000:1000:Jane Doe:/home/jdoe:/bin/bash\n")
    assert by["etc/shadow"].data.decode().endswith("jdoe:*:20000:0:99999:7:::\n")
    assert by["etc/shadow-"].data.decode().endswith("jdoe:!:20000:0:99999:7:::\n")
    assert (by["etc/shadow"].info.gid, by["etc/shadow"].info.mode) == (42, 0o640)
    assert by["etc/subuid"].data == b"jdoe:100000:65536\n"
    keys = by["home/jdoe/.ssh/authorized_keys"]
    assert (keys.info.uid, keys.info.mode, keys.data) == (1000, 0o600, b"ssh-ed25519 AAAA test\n")
    assert by["home/jdoe/.bashrc"].info.mtime == 7.0 and by["home/jdoe/.bashrc"].info.uid == 1000
    assert by["etc/localtime"].info.linkname == "/usr/share/zoneinfo/America/Denver"
    assert pub.startswith("ssh-ed25519 ") and by["etc/ssh/ssh_host_ed25519_key"].info.mode == 0o600
    assert "HostKey /etc/ssh/ssh_host_ed25519_key" in by["etc/ssh/sshd_config.d/worldbuilder.conf"].data.decode()
    names = [m.info.name for m in members]
    assert names.index("etc") < names.index("etc/passwd")  # parents first
    with tarfile.open(fileobj=io.BytesIO(layer_files.tar_bytes(members))) as tar:
        assert len(tar.getnames()) == len(names) == len(set(names))


def test_unknown_locale_needs_the_provisioner():
    spec = handmade_spec()
    cfg = staging.provision_config(spec, "ssh-ed25519 AAAA test")
    cfg["locale"] = "xx_YY.UTF-8"
    with pytest.raises(layer_files.NeedsProvisioner):
        layer_files.provisioned_members(cfg, fake_facts())
    cannot = {**fake_facts(), "locale_archives": {"xx_YY.UTF-8": False}}  # localedef failed: C.UTF-8
    by = {m.info.name: m for m in layer_files.provisioned_members(cfg, cannot)[0]}
    assert by["etc/default/locale"].data == b"LANG=C.UTF-8\n" and "usr/lib/locale/locale-archive" not in by
    made = {**fake_facts(), "locale_archives": {"xx_YY.UTF-8": b"ARCHIVE"}}
    by = {m.info.name: m for m in layer_files.provisioned_members(cfg, made)[0]}
    assert by["usr/lib/locale/locale-archive"].data == b"ARCHIVE"
    assert by["etc/default/locale"].data == b"LANG=xx_YY.UTF-8\n"


@pytest.mark.parametrize("kind", ["linux", "windows"])
def test_build_view_reads_what_staging_needs_like_the_full_spec(tmp_path, kind):
    from worldbuilder.materialize.build_view import BuildView, load_build_view
    from worldbuilder.materialize.image_ref import ImageBuildError, computer_labels

    comp = handmade_computer(tmp_path / "c", kind)
    full, tree = staging.load_computer_for_build(comp, ImageBuildError)
    view, vtree = load_build_view(comp, ImageBuildError)
    assert isinstance(view, BuildView) and vtree == tree
    members = [(i.get_info(), p) for i, p in staging.iter_home(full, tree)]
    assert [(i.get_info(), p) for i, p in staging.iter_home(view, tree)] == members  # type: ignore[arg-type]
    cfg = staging.provision_config(full, "ssh-ed25519 AAAA test")
    assert staging.provision_config(view, "ssh-ed25519 AAAA test") == cfg  # type: ignore[arg-type]
    assert computer_labels(view, "b", "h", "base", cfg, "s") == computer_labels(full, "b", "h", "base", cfg, "s")


def test_build_view_falls_back_to_the_full_load_for_its_error(tmp_path):
    from worldbuilder.materialize.build_view import load_build_view
    from worldbuilder.materialize.image_ref import ImageBuildError

    comp = handmade_computer(tmp_path / "c")
    (comp / "spec.json").write_text('{"schema_version": "1.0", "id": "x"')
    with pytest.raises(Exception, match="malformed spec"):
        load_build_view(comp, ImageBuildError)
    spec = handmade_spec(username="root")
    comp2 = handmade_computer(tmp_path / "d")
    spec.save(comp2 / "spec.json")
    with pytest.raises(staging.StagingError, match="not a valid Linux user name"):
        load_build_view(comp2, ImageBuildError)


def test_streamed_layer_is_the_tar_tarfile_writes(tmp_path):
    """TarStream knows its size up front and yields exactly what ``tarfile`` (PAX, stream mode) writes."""
    from worldbuilder.materialize.docker_layer import layer_members
    from worldbuilder.materialize.tar_stream import TarStream

    spec = handmade_spec("windows")
    comp = handmade_computer(tmp_path / "c", "windows")
    (comp / "tree" / "C/Users/Jane/Documents/Weiß é.txt").write_bytes(b"x" * 1000)  # a PAX header
    cfg = staging.provision_config(spec, "ssh-ed25519 AAAA test")
    members, _ = layer_members(spec, comp / "tree", cfg, fake_facts())
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for info, src in members:
            tar.addfile(info, io.BytesIO(src.read_bytes() if isinstance(src, Path) else src) if src is not None
                        else None)
    stream = TarStream(members)
    data = b"".join(stream.chunks())
    assert stream.size == len(data) == len(buf.getvalue()) and data == buf.getvalue()
    import hashlib

    assert stream.sha.hexdigest() == hashlib.sha256(data).hexdigest()


def test_base_generates_every_locale_the_generator_can_give():
    """A profile locale the base lacks costs a locale-archive in every such computer's layer (and a
    container once per base), so the base's locale.gen lists all of them that glibc has sources for."""
    import re

    from worldbuilder.generate.countries import COUNTRIES
    from worldbuilder.generate.locale import locale_pack, pack_codes
    from worldbuilder.materialize.paths import IMAGES_DIR

    emitted = {v[2] for v in COUNTRIES.values()} | {locale_pack(c).faker_locale for c in pack_codes()}
    script = (IMAGES_DIR / "base" / "finish-rootfs.sh").read_text()
    listed = set(re.findall(r"^([a-z]{2,3}_[A-Z]{2})\.UTF-8 UTF-8$", script, re.M))
    no_glibc_source = {"en_MS", "no_NO"}  # localedef cannot build these: profiles get C.UTF-8 either way
    assert emitted - no_glibc_source <= listed, sorted(emitted - no_glibc_source - listed)


def test_locale_without_a_glibc_source_is_c_utf8_without_a_container(monkeypatch):
    from worldbuilder.materialize import docker_layer

    monkeypatch.setattr(docker_layer, "locale_archive", lambda *a: pytest.fail("started a container"))
    facts = {**fake_facts(), "locale_sources": ["en_US", "en_GB"], "image_id": "sha256:x"}
    b = docker_layer._Batch("base", facts, {}, "base", False, {})
    got = docker_layer._with_locale(b, "en_MS.UTF-8")
    assert got["locale_archives"] == {"en_MS.UTF-8": False}


# ---------------------------------------------------------------- docker


def _docker(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, **kw)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    from worldbuilder.materialize import docker_cli

    docker_cli.ensure_daemon()
    old = os.environ.get("WORLDBUILDER_HOME")
    os.environ["WORLDBUILDER_HOME"] = str(tmp_path_factory.mktemp("wbhome"))
    yield
    names = _docker("ps", "-aq", "--filter", f"name={PREFIX}", text=True).stdout.split()
    if names:
        _docker("rm", "-f", *names)
    tags = [t for t in _docker("images", "--format", "{{.Repository}}:{{.Tag}}", text=True).stdout.split()
            if PREFIX in t]
    if tags:
        _docker("rmi", "-f", *tags)
    if old is None:
        os.environ.pop("WORLDBUILDER_HOME", None)
    else:
        os.environ["WORLDBUILDER_HOME"] = old


def listing(image: str) -> dict[str, tuple]:
    """Every path of an image's filesystem: (type, mode, uid, gid, size, link, mtime, content)."""
    cid = _docker("create", "--network", "none", image, text=True, check=True).stdout.strip()
    try:
        raw = _docker("export", cid, check=True).stdout
    finally:
        _docker("rm", "-f", cid)
    out = {}
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        for m in tar:
            data = tar.extractfile(m).read() if m.isfile() else None  # type: ignore[union-attr]
            out[m.name.rstrip("/")] = (m.type, m.mode, m.uid, m.gid, m.size, m.linkname, m.mtime, data)
    return out


RUNTIME = {".dockerenv", "dev", "dev/console", "dev/pts", "dev/shm", "etc/hostname", "etc/hosts", "etc/mtab",
           "etc/resolv.conf", "proc", "sys", "tmp"}  # made by docker create/export or the provisioner's staging
HOST_KEY = "etc/ssh/ssh_host_ed25519_key"


def _built_both_ways(src: Path, tmp: Path, name: str, locale: str | None = None):
    from worldbuilder.materialize.docker_image import build_image

    out = {}
    for method in ("provision", "layer"):
        comp = tmp / f"{name}-{method}"
        import shutil

        shutil.copytree(src, comp)
        spec = ComputerSpec.load(comp)
        spec.id = f"{PREFIX}-{name}"  # same id: same keys, same labels
        if locale:
            spec.profile.locale = locale
        spec.save(comp / "spec.json")
        _docker("rmi", "-f", f"worldbuilder/computer-{spec.id}:latest")
        start = int(time.time())
        ref = build_image(comp, method=method)
        assert not ref.cached
        tag = f"worldbuilder/computer-{PREFIX}-{name}:{method}"
        _docker("tag", ref.tag, tag, check=True)
        out[method] = (listing(tag), start, int(time.time()) + 1, ref)
    return out


def assert_same_tree(both) -> None:
    (a, a0, a1, _), (b, b0, b1, _) = both["provision"], both["layer"]
    assert set(a) ^ set(b) <= RUNTIME, sorted(set(a) ^ set(b))
    checked = 0
    for path in sorted(set(a) - RUNTIME):
        x, y = a[path], b[path]
        assert x[:4] == y[:4], (path, x[:6], y[:6])  # type, mode, owner
        if path != HOST_KEY:  # random per build (and ssh-keygen puts a comment into the private key)
            assert x[4:6] == y[4:6], (path, x[:6], y[:6])
        if path not in (HOST_KEY, HOST_KEY + ".pub"):
            assert x[7] == y[7], path
        # a time is the spec's / the base's (equal), or both were written during their builds
        assert x[6] == y[6] or (a0 <= x[6] <= a1 and b0 <= y[6] <= b1), (path, x[6], y[6])
        checked += 1
    assert checked > 1000


@pytest.mark.docker
def test_layer_and_provision_images_have_the_same_tree(env, tmp_path):
    both = _built_both_ways(make_computer(tmp_path / "gen"), tmp_path, "std")
    assert_same_tree(both)
    ref = both["layer"][3]
    home = {p: v for p, v in both["layer"][0].items() if p.startswith(ref.home.lstrip("/") + "/")}
    assert len(home) > 50 and all(v[2] == 1000 for v in home.values())


@pytest.mark.docker
def test_windows_layout_same_tree(env, tmp_path):
    assert_same_tree(_built_both_ways(handmade_computer(tmp_path / "win", "windows"), tmp_path, "win"))


@pytest.mark.docker
def test_locale_the_base_lacks_same_tree(env, tmp_path):
    """en_ZW is not among the base's locales: the provisioner runs localedef; the layer path ships the
    same regenerated locale-archive (made once per base and locale, then cached)."""
    both = _built_both_ways(handmade_computer(tmp_path / "zw"), tmp_path, "zw", locale="en_ZW.UTF-8")
    assert_same_tree(both)
    archive = both["layer"][0]["usr/lib/locale/locale-archive"]
    assert b"en_ZW" in archive[7] and both["layer"][0]["etc/default/locale"][7] == b"LANG=en_ZW.UTF-8\n"
    assert _docker("image", "inspect", "-f", "{{index .Config.Labels \"org.worldbuilder.method\"}}",
                   both["layer"][3].tag, text=True).stdout.strip() == "layer"


@pytest.mark.docker
def test_fast_image_boots_and_accepts_ssh(env, tmp_path):
    from worldbuilder.materialize.docker_image import build_image
    from worldbuilder.runtime.docker_backend import DockerBackend

    comp = handmade_computer(tmp_path / "boot")
    spec = ComputerSpec.load(comp)
    spec.id = f"{PREFIX}-boot"
    spec.save(comp / "spec.json")
    ref = build_image(comp, method="layer")
    assert _docker("image", "inspect", "-f", "{{index .Config.Labels \"org.worldbuilder.method\"}}",
                   ref.tag, text=True).stdout.strip() == "layer"
    backend = DockerBackend()
    c = backend.boot(ref.tag, name=f"{PREFIX}-boot")
    try:
        assert c.exec("id -un").stdout.strip() == "jdoe"
        assert c.exec("cat ~/Documents/notes.txt").stdout == "content 0\n"
        assert c.exec("stat -c %U ~/Documents/notes.txt").stdout.strip() == "jdoe"
    finally:
        c.close()
        backend.stop(c.name)


@pytest.mark.docker
def test_many_computers_in_one_docker_load(env, tmp_path):
    from worldbuilder.materialize.docker_layer import build_layer_images

    dirs = []
    for i in range(3):
        comp = handmade_computer(tmp_path / f"m{i}")
        spec = ComputerSpec.load(comp)
        spec.id = f"{PREFIX}-many{i}"
        spec.save(comp / "spec.json")
        dirs.append(comp)
    refs = build_layer_images(dirs)
    assert [r.computer_id for r in refs] == [f"{PREFIX}-many{i}" for i in range(3)]
    assert not any(r.cached for r in refs)
    again = build_layer_images(dirs)
    assert all(r.cached for r in again) and [r.id for r in again] == [r.id for r in refs]


@pytest.mark.docker
def test_load_goes_to_the_daemon_docker_host_names(env, tmp_path, monkeypatch):
    """The SDK client honours DOCKER_HOST: a build through a second path to the socket works, and one through
    a path where nothing answers fails with one EngineUnavailable line, leaving no image behind."""
    from worldbuilder.errors import EngineUnavailable
    from worldbuilder.materialize import docker_sdk
    from worldbuilder.materialize.docker_layer import build_layer_images

    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        pytest.skip("the daemon is not on a unix socket")
    comp = handmade_computer(tmp_path / "host")
    spec = ComputerSpec.load(comp)
    spec.id = f"{PREFIX}-host"
    spec.save(comp / "spec.json")
    dead = tmp_path / "dead.sock"
    monkeypatch.setenv("DOCKER_HOST", f"unix://{dead}")
    with pytest.raises(EngineUnavailable, match=f"no Docker daemon answers at unix://{dead}") as exc:
        build_layer_images([comp])
    assert "\n" not in str(exc.value)
    link = tmp_path / "docker.sock"
    link.symlink_to(host.removeprefix("unix://"))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{link}")
    assert not docker_sdk.image_exists(f"worldbuilder/computer-{spec.id}:latest")
    ref = build_layer_images([comp])[0]
    assert not ref.cached and ref.user == "jdoe"
    assert build_layer_images([comp])[0].cached
