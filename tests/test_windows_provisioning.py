"""Autounattend.xml, provision.ps1 and the WB-PROV ISO, checked with xmllint, tree-sitter-pwsh and pycdlib."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import re
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from tests.test_docker_helpers import handmade_spec
from tests.windows_support import require_tools
from worldbuilder.materialize.windows.layout import windows_layout

pytestmark = pytest.mark.windows_tools

NS = {"u": "urn:schemas-microsoft-com:unattend", "wcm": "http://schemas.microsoft.com/WMIConfig/2002/State"}
U = "{urn:schemas-microsoft-com:unattend}"
SCRIPT = Path(__file__).resolve().parents[1] / "provisioners" / "windows" / "provision.ps1"
PUBKEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ1c3RlcmtleWJ1c3RlcmtleWJ1c3RlcmtleWJ1c3Rl worldbuilder-test"


@pytest.fixture
def layout():
    return windows_layout(handmade_spec("windows"))


def _answer(lay) -> tuple[str, ET.Element]:
    from worldbuilder.materialize.windows.answer_file import answer_file

    text = answer_file(lay)
    return text, ET.fromstring(text.encode())


def _xmllint(text: str, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "Autounattend.xml"
    path.write_text(text, encoding="utf-8")
    return subprocess.run(["xmllint", "--noout", str(path)], capture_output=True, text=True)


def test_answer_file_is_well_formed_and_has_the_three_passes(layout, tmp_path):
    require_tools()
    text, root = _answer(layout)
    assert _xmllint(text, tmp_path).returncode == 0
    assert _xmllint(text.replace("</Order>", "</Ordr>", 1), tmp_path).returncode != 0  # xmllint does check
    passes = [s.get("pass") for s in root.findall("u:settings", NS)]
    assert passes == ["windowsPE", "specialize", "oobeSystem"]
    for comp in root.iter(f"{U}component"):
        assert comp.get("processorArchitecture") == "amd64" and comp.get("publicKeyToken") == "31bf3856ad364e35"
        assert comp.get("language") == "neutral" and comp.get("versionScope") == "nonSxS"
    names = {(s.get("pass"), c.get("name")) for s in root.findall("u:settings", NS) for c in s.findall("u:component", NS)}
    assert {("windowsPE", "Microsoft-Windows-Setup"), ("windowsPE", "Microsoft-Windows-International-Core-WinPE"),
            ("specialize", "Microsoft-Windows-Shell-Setup"), ("oobeSystem", "Microsoft-Windows-Shell-Setup")} <= names


def test_every_order_is_unique_and_counts_from_one(layout):
    _, root = _answer(layout)
    containers = [e for e in root.iter() if e.find("*/u:Order", NS) is not None]
    assert len(containers) >= 5  # RunSynchronous x2, CreatePartitions, ModifyPartitions, FirstLogonCommands
    for box in containers:
        orders = [int(e.text) for e in box.findall("*/u:Order", NS)]
        assert orders == list(range(1, len(orders) + 1)), box.tag
        for item in box:
            assert item.get(f"{{{NS['wcm']}}}action") == "add", item.tag


def test_qemu_bypasses_disk_layout_and_first_logon(layout):
    _, root = _answer(layout)
    paths = " ".join(e.text for e in root.iter(f"{U}Path"))
    for check in ("BypassTPMCheck", "BypassSecureBootCheck", "BypassRAMCheck", "BypassCPUCheck", "BypassNRO"):
        assert check in paths
    types = [e.text for e in root.iter(f"{U}Type")]
    assert types == ["EFI", "MSR", "Primary"]
    assert root.find(".//u:InstallTo/u:PartitionID", NS).text == "3"
    cmds = root.findall(".//u:FirstLogonCommands/u:SynchronousCommand", NS)
    assert len(cmds) == 1
    line = cmds[0].find("u:CommandLine", NS).text
    assert "WB-PROV" in line and "provision.ps1" in line and "-ExecutionPolicy Bypass" in line


def test_account_autologon_once_and_password_encoding(layout):
    _, root = _answer(layout)
    acc = root.find(".//u:LocalAccounts/u:LocalAccount", NS)
    assert acc.find("u:Name", NS).text == "Jane" and acc.find("u:Group", NS).text == "Administrators"
    assert acc.find("u:DisplayName", NS).text == "Jane Doe"
    name = acc.find("u:Name", NS).text
    assert 1 <= len(name) <= 20 and not set(name) & set('"/\\[]:;|=,+*?<>@')
    logon = root.find(".//u:AutoLogon", NS)
    assert logon.find("u:LogonCount", NS).text == "1" and logon.find("u:Enabled", NS).text == "true"
    assert logon.find("u:Username", NS).text == name
    for pw in (acc.find("u:Password", NS), logon.find("u:Password", NS)):
        assert pw.find("u:PlainText", NS).text == "false"
        decoded = base64.b64decode(pw.find("u:Value", NS).text).decode("utf-16-le")
        assert decoded == "Password"  # empty password + the "Password" suffix: no secret on the ISO
    computer_name = root.find(".//u:ComputerName", NS).text
    assert re.fullmatch(r"[A-Z0-9-]{1,15}", computer_name)


def test_answer_file_escapes_names_and_rejects_bad_accounts(layout, tmp_path):
    from worldbuilder.materialize.windows.answer_file import answer_file
    from worldbuilder.materialize.windows.names import WindowsNameError

    odd = dataclasses.replace(layout, full_name="Zoë O'Brien & <Partners>")
    text, root = _answer(odd)
    assert root.find(".//u:DisplayName", NS).text == "Zoë O'Brien & <Partners>"
    assert _xmllint(text, tmp_path).returncode == 0
    with pytest.raises(WindowsNameError, match="account name"):
        answer_file(dataclasses.replace(layout, account="Jane;Doe"))


# ------------------------------------------------------------------ provision.ps1


def pwsh_errors(source: bytes) -> list[str]:
    """Syntax errors tree-sitter-pwsh finds in a PowerShell script (row:col and the text)."""
    import tree_sitter_pwsh
    from tree_sitter import Language, Parser

    tree = Parser(Language(tree_sitter_pwsh.language())).parse(source)
    out: list[str] = []

    def walk(node) -> None:
        if node.type == "ERROR" or node.is_missing:
            out.append(f"{node.start_point[0] + 1}:{node.start_point[1]} {source[node.start_byte:node.end_byte][:40]!r}")
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    return out


def test_provision_script_parses_without_errors():
    assert pwsh_errors(SCRIPT.read_bytes()) == []


@pytest.mark.parametrize("old, new", [
    (b"if ($taken) {", b"if ($taken {"),  # unclosed condition
    (b"Step 'ready'\n", b"Step 'ready\n"),  # unterminated string
    (b"function Lock-Account {\n", b"function Lock-Account \n"),  # missing brace
])
def test_a_broken_copy_is_flagged(old, new):
    src = SCRIPT.read_bytes()
    assert old in src
    assert pwsh_errors(src.replace(old, new, 1)), new


def test_provision_script_reads_only_keys_computer_json_has(layout):
    from worldbuilder.materialize.windows.provision_iso import computer_config

    used = set(re.findall(r"\$Config\.(\w+)", SCRIPT.read_text()))
    have = set(computer_config(layout, PUBKEY, openssh_zip=True))
    assert used and used <= have, used - have
    for step in ("robocopy.exe", "/COPY:DAT", "/DCOPY:DAT", "SetOwner", "administrators_authorized_keys",
                 "DefaultShell", "New-NetFirewallRule", "Add-WindowsCapability", "install-sshd.ps1", "ready"):
        assert step in SCRIPT.read_text(), step


# ------------------------------------------------------------------ ISO


def _fake_openssh_zip(path: Path, complete: bool = True) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("OpenSSH-Win64/sshd.exe", b"MZ fake")
        if complete:
            zf.writestr("OpenSSH-Win64/install-sshd.ps1", b"# fake")
    return path


def test_iso_layout_label_and_no_private_key(layout, tmp_path):
    require_tools()
    import pycdlib

    from worldbuilder.materialize.windows.provision_iso import build_iso

    iso_path = build_iso(layout, PUBKEY, tmp_path / "out" / "provision.iso", stamp=1_700_000_000,
                         openssh_zip=_fake_openssh_zip(tmp_path / "ssh.zip"))
    info = subprocess.run(["isoinfo", "-d", "-i", str(iso_path)], capture_output=True, text=True, check=True).stdout
    assert "Volume id: WB-PROV" in info and "Joliet" in info
    iso = pycdlib.PyCdlib()
    iso.open(str(iso_path))
    try:
        names = sorted(iso.list_children(joliet_path="/"), key=lambda c: c.file_identifier())
        listed = [c.file_identifier().decode("utf-16-be") for c in names if c.is_file()]
        assert listed == sorted(["Autounattend.xml", "provision.ps1", "computer.json", "id_ed25519.pub",
                                 "OpenSSH-Win64.zip"])

        def read(name: str) -> bytes:
            buf = io.BytesIO()
            iso.get_file_from_iso_fp(buf, joliet_path=f"/{name}")
            return buf.getvalue()

        assert read("provision.ps1") == SCRIPT.read_bytes()
        config = json.loads(read("computer.json"))
        assert config["account"] == "Jane" and config["home"] == "C:\\Users\\Jane"
        assert config["ssh_public_key"] == PUBKEY and config["openssh_zip"] == "OpenSSH-Win64.zip"
        assert read("id_ed25519.pub").decode().strip() == PUBKEY
        assert b"<unattend" in read("Autounattend.xml")
    finally:
        iso.close()
    assert b"PRIVATE KEY" not in iso_path.read_bytes()


def test_iso_refuses_bad_inputs(layout, tmp_path):
    from worldbuilder.materialize.windows.provision_iso import ProvisionISOError, build_iso

    out = tmp_path / "out" / "provision.iso"
    with pytest.raises(ProvisionISOError, match="missing install-sshd.ps1"):
        build_iso(layout, PUBKEY, out, 0, openssh_zip=_fake_openssh_zip(tmp_path / "half.zip", complete=False))
    with pytest.raises(ProvisionISOError, match="public key"):
        build_iso(layout, "-----BEGIN OPENSSH PRIVATE KEY-----", out, 0)
    assert not out.exists()


# ------------------------------------------------------------------ the handle's command and path forms


def test_powershell_command_encodes_the_script_and_quotes_the_folder():
    from worldbuilder.materialize.windows.boot import powershell_command

    line = powershell_command("C:/Users/Zoë O'Brien", "Get-ChildItem -Force | Select-Object -First 3")
    prefix = "powershell.exe -NoProfile -NonInteractive -EncodedCommand "
    assert line.startswith(prefix) and " " not in line[len(prefix):]
    script = base64.b64decode(line[len(prefix):]).decode("utf-16-le")
    assert script == "Set-Location -LiteralPath 'C:\\Users\\Zoë O''Brien'; Get-ChildItem -Force | Select-Object -First 3"
    assert pwsh_errors(script.encode()) == []


def test_windows_paths_resolve_against_the_profile():
    from worldbuilder.materialize.windows.boot import resolve_windows_path

    home = "C:\\Users\\Jane"
    assert resolve_windows_path(home, "Documents\\notes.txt") == "C:/Users/Jane/Documents/notes.txt"
    assert resolve_windows_path(home, "D:\\Work\\plan.docx") == "D:/Work/plan.docx"
    assert resolve_windows_path(home, "C:/Users/Jane/./Desktop/../Desktop/a.txt") == "C:/Users/Jane/Desktop/a.txt"
    assert resolve_windows_path(home, "") == "C:/Users/Jane"
