"""The D: data disk of a Windows computer, read back with readers that share no code with the builder:
dissect.ntfs (pure Python NTFS parser), ntfs-3g's ntfsls/ntfsinfo, and a GPT parser in the test."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from tests.test_docker_helpers import handmade_spec, write_computer
from tests.windows_support import (
    extract_partition,
    generate_windows_computer,
    raw_copy,
    read_gpt,
    require_tools,
)
from worldbuilder.spec import ComputerSpec

pytestmark = pytest.mark.windows_tools

ADMINS, SYSTEM, AUTH_USERS, USERS = "S-1-5-32-544", "S-1-5-18", "S-1-5-11", "S-1-5-32-545"
EXPECTED_ACES = {SYSTEM: 0x1F01FF, ADMINS: 0x1F01FF, AUTH_USERS: 0x1301BF, USERS: 0x1200A9}


@pytest.fixture(scope="module")
def computer(tmp_path_factory):
    require_tools()
    return generate_windows_computer(tmp_path_factory.mktemp("wincomp") / "computer")


@pytest.fixture(scope="module")
def disk(computer, tmp_path_factory):
    from worldbuilder.materialize.windows.data_disk import build_data_disk
    from worldbuilder.materialize.windows.layout import hidden_paths, windows_layout

    spec = ComputerSpec.load(computer)
    out = tmp_path_factory.mktemp("windisk")
    lay = windows_layout(spec)
    built = build_data_disk(lay, computer / "tree", out / "data.qcow2", computer_id=spec.id,
                            hidden=hidden_paths(spec, lay))
    raw = raw_copy(built.path, out / "data.raw")
    parts = read_gpt(raw)
    part_img = extract_partition(raw, parts[0], out / "part.img")
    return spec, built, parts, part_img


def _ntfs(part_img: Path):
    from dissect.ntfs import NTFS

    return NTFS(open(part_img, "rb"))  # noqa: SIM115 - lives for the test


def _expected(computer: Path, spec: ComputerSpec) -> dict[str, Path]:
    """Volume path -> host path, computed here from the layout (D/ at the root, the profile staged)."""
    tree = computer / "tree"
    out = {}
    for prefix, src in (("", tree / "D"), ("WB-Staging/Profile/", tree / spec.layout.profile_root)):
        for p in src.rglob("*"):
            out[prefix + p.relative_to(src).as_posix()] = p
    profile = tree / spec.layout.profile_root
    out["WB-Staging"] = out["WB-Staging/Profile"] = profile  # the staging folders take the profile's time
    return out


def test_gpt_has_one_basic_data_partition_labelled_data(disk):
    spec, built, parts, part_img = disk
    assert len(parts) == 1
    assert parts[0]["type"] == "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"
    assert parts[0]["name"] == "Data"
    assert parts[0]["first"] == 2048  # 1 MiB aligned, like Windows
    info = subprocess.run(["ntfsinfo", "-m", str(part_img)], capture_output=True, text=True, check=True).stdout
    assert "Volume Name: Data" in info
    assert _ntfs(part_img).volume_name == "Data"
    from worldbuilder.materialize.windows.data_disk import volume_serial

    assert _ntfs(part_img).serial == volume_serial(spec.id) != volume_serial("another")
    with open(part_img, "rb") as fh:  # the backup boot sector (last sector) carries the same serial
        fh.seek(part_img.stat().st_size - 512)
        backup = fh.read(512)
    assert backup[3:11] == b"NTFS    " and int.from_bytes(backup[0x48:0x50], "little") == volume_serial(spec.id)


def test_every_file_content_and_mtime_at_100ns(disk, computer):
    spec, built, parts, part_img = disk
    fs = _ntfs(part_img)
    expected = _expected(computer, spec)
    files = {k: v for k, v in expected.items() if v.is_file()}
    assert built.files == len(files) and len(files) == len(spec.files)
    for vol, host in sorted(expected.items()):
        rec = fs.mft.get(vol)
        si = rec.attributes[0x10][0]
        assert si.last_modification_time_ns // 100 == host.stat().st_mtime_ns // 100, vol
        if host.is_file():
            assert rec.is_file() and rec.open().read() == host.read_bytes(), vol
        else:
            assert rec.is_dir(), vol


def test_mtimes_match_the_spec(disk, computer):
    """Independent of the rendered tree: the spec's local times, converted with the user's timezone."""
    from worldbuilder.render.times import utc

    spec, built, parts, part_img = disk
    fs = _ntfs(part_img)
    tz = spec.profile.timezone
    for f in spec.files:
        top, _, rest = f.path.partition("/")
        vol = rest if top == "D" else "WB-Staging/Profile/" + f.path[len(spec.layout.profile_root) + 1:]
        got = fs.mft.get(vol).attributes[0x10][0].last_modification_time
        assert got == utc(f.modified, tz), f.path


def test_security_descriptors_are_windows_like(disk, computer):
    spec, built, parts, part_img = disk
    fs = _ntfs(part_img)
    for vol, host in [("", None), *sorted(_expected(computer, spec).items())]:
        rec = fs.mft.get(vol) if vol else fs.mft.get(5)  # MFT record 5 is the root folder
        sd = fs.secure.lookup(rec.attributes[0x10][0].security_id)
        assert str(sd.owner) == ADMINS, vol
        aces = {str(a.sid): a.mask for a in sd.dacl.ace}
        assert aces == EXPECTED_ACES, vol
        inherited = [bool(a.header.AceFlags & 0x10) for a in sd.dacl.ace]
        assert inherited == [bool(vol)] * 4, vol  # the root's ACEs are explicit, the rest inherited
        if host is None or host.is_dir():
            assert all(a.header.AceFlags & 0x03 == 0x03 for a in sd.dacl.ace), vol  # object + container inherit


def test_hidden_attribute_follows_the_spec_and_appdata(disk, computer):
    spec, built, parts, part_img = disk
    fs = _ntfs(part_img)
    prof = spec.layout.profile_root
    want = {f.path for f in spec.files if f.hidden} | {d.path for d in spec.dirs if d.hidden} | {f"{prof}/AppData"}
    assert f"{prof}/AppData" in {p.relative_to(computer / "tree").as_posix() for p in (computer / "tree").rglob("*")}
    for vol, host in _expected(computer, spec).items():
        attrs = fs.mft.get(vol).attributes[0x10][0].file_attributes
        rel = host.relative_to(computer / "tree").as_posix()
        assert bool(attrs & 0x2) == (rel in want and not vol == "WB-Staging"), (vol, hex(attrs))


def test_ntfsls_lists_the_tree(disk, computer):
    spec, built, parts, part_img = disk
    expected = _expected(computer, spec)
    dirs = [""] + sorted(k for k, v in expected.items() if v.is_dir())
    for d in dirs:
        out = subprocess.run(["ntfsls", "-p", "/" + d, str(part_img)], capture_output=True, text=True, check=True)
        names = {n for n in out.stdout.splitlines() if n and n not in (".", "..")}
        want = {k.rsplit("/", 1)[-1] for k in expected if k.rpartition("/")[0] == d}
        if not d:
            names = {n for n in names if not n.startswith("$")}
        assert names == want, d


def test_100ns_precision_and_staging(tmp_path):
    """A handmade computer with sub-second times: kept to the 100 ns NTFS tick, reported by ntfsinfo."""
    require_tools()
    from worldbuilder.materialize.windows.data_disk import build_data_disk
    from worldbuilder.materialize.windows.layout import windows_layout

    spec = handmade_spec("windows")
    comp = write_computer(spec, tmp_path / "c")
    stamps = {}
    for i, f in enumerate(spec.files):
        ns = int((f.modified + timedelta(seconds=i)).timestamp()) * 10**9 + 123_456_789 * (i + 1) % 10**9
        os.utime(comp / "tree" / f.path, ns=(ns, ns))
        stamps[f.path] = ns
    odd = comp / "tree" / "C/Users/Jane/Documents/Zoë — résumé 履歴書.txt"  # non-ASCII names survive
    odd.write_text("unicode ✓", encoding="utf-8")
    os.utime(odd, ns=(1_700_000_000_987_654_321, 1_700_000_000_987_654_321))
    stamps["C/Users/Jane/Documents/Zoë — résumé 履歴書.txt"] = 1_700_000_000_987_654_321
    built = build_data_disk(windows_layout(spec), comp / "tree", tmp_path / "d.qcow2", size=256 << 20)
    raw = raw_copy(built.path, tmp_path / "d.raw")
    part = extract_partition(raw, read_gpt(raw)[0], tmp_path / "p.img")
    fs = _ntfs(part)
    for path, ns in stamps.items():
        vol = path[2:] if path.startswith("D/") else "WB-Staging/Profile/" + path[len("C/Users/Jane/"):]
        assert fs.mft.get(vol).attributes[0x10][0].last_modification_time_ns == ns // 100 * 100, path
    assert fs.mft.get("WB-Staging/Profile/Documents/Zoë — résumé 履歴書.txt").open().read() == "unicode ✓".encode()
    info = subprocess.run(["ntfsinfo", "-F", "/WB-Staging/Profile/Documents/notes.txt", str(part)],
                          capture_output=True, text=True, check=True).stdout
    assert "File Altered Time" in info and "Security ID" in info


@pytest.mark.parametrize("bad, why", [
    ("D/Projects/CON.txt", "reserved device name"),
    ("D/Projects/lpt1", "reserved device name"),
    ("D/Projects/what?.txt", "characters Windows forbids"),
    ("C/Users/Jane/Documents/a:b.txt", "characters Windows forbids"),
    ("D/Projects/notes. ", "ends with a dot or a space"),
    ("D/Projects/trailing.", "ends with a dot or a space"),
    ("D/Projects/BUDGET.csv", "differs only by case"),
])
def test_names_windows_cannot_hold_fail_with_one_line(tmp_path, bad, why):
    require_tools()
    from worldbuilder.materialize.windows.data_disk import build_data_disk
    from worldbuilder.materialize.windows.layout import windows_layout
    from worldbuilder.materialize.windows.names import WindowsNameError

    spec = handmade_spec("windows")
    comp = write_computer(spec, tmp_path / "c")
    (comp / "tree" / bad).write_text("x")
    out = tmp_path / "out" / "d.qcow2"
    with pytest.raises(WindowsNameError) as err:
        build_data_disk(windows_layout(spec), comp / "tree", out)
    msg = str(err.value)
    assert "\n" not in msg and why in msg
    assert msg.startswith(bad + ":") or msg.startswith("D/Projects/budget.csv:"), msg
    assert not out.parent.exists() or not any(out.parent.iterdir())  # nothing half-built left behind


def test_name_rules_unit():
    from worldbuilder.materialize.windows.names import WindowsNameError, check_account, name_problem

    assert name_problem("Q3 report.docx") is None and name_problem("con.txt.bak") is not None
    assert name_problem("CONSOLE.txt") is None and name_problem("nul") is not None
    assert name_problem("a\x01b") is not None and name_problem("x" * 256) is not None
    assert check_account("Laura") == "Laura"
    for bad in ("Administrator", "a" * 21, "jo@home", "dots.", ""):
        with pytest.raises(WindowsNameError):
            check_account(bad)
