"""The provisioning ISO (volume label ``WB-PROV``) that turns a fresh Windows install into the computer.

Contents (Joliet + Rock Ridge, so Windows sees the long names):

    Autounattend.xml   Windows Setup finds it on any drive's root and installs unattended
    provision.ps1      provisioners/windows/provision.ps1, run by the FirstLogonCommand
    computer.json      what provision.ps1 needs (account, home, data label, public key, ...)
    id_ed25519.pub     the computer's public SSH key (the private key stays on the host)
    OpenSSH-Win64.zip  only with ``--openssh-zip`` (the VM has no network to fetch the capability)

File times on the ISO are fixed (the spec's ``history_end``); genisoimage still stamps the volume
descriptors and root directories with the build time, so two builds differ in those dates only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from worldbuilder.errors import EngineUnavailable, WorldbuilderError
from worldbuilder.materialize.paths import PROVISIONERS_DIR
from worldbuilder.materialize.windows.answer_file import ISO_LABEL, InstallOptions, answer_file
from worldbuilder.materialize.windows.data_disk import LABEL, STAGED_PROFILE, STAGING
from worldbuilder.materialize.windows.layout import WindowsLayout

PROVISION_SCRIPT = PROVISIONERS_DIR / "windows" / "provision.ps1"
OPENSSH_ZIP = "OpenSSH-Win64.zip"


class ProvisionISOError(WorldbuilderError):
    """The provisioning ISO could not be built (bad OpenSSH zip, genisoimage failure...)."""


def computer_config(lay: WindowsLayout, public_key: str, openssh_zip: bool) -> dict:
    """``computer.json``: everything provision.ps1 reads (no secret)."""
    if "PRIVATE KEY" in public_key or not public_key.startswith("ssh-"):
        raise ProvisionISOError("refusing to put anything but an OpenSSH public key on the ISO")
    return {
        "computer_id": lay.computer_id, "hostname": lay.hostname, "account": lay.account,
        "full_name": lay.full_name, "home": lay.home, "data_label": LABEL, "staging_root": STAGING,
        "staged_profile": STAGED_PROFILE.replace("/", "\\"), "ssh_public_key": public_key.strip(),
        "openssh_zip": OPENSSH_ZIP if openssh_zip else None, "ready_marker": "C:\\ProgramData\\worldbuilder\\ready",
    }


def check_openssh_zip(path: Path) -> None:
    """A Win32-OpenSSH release zip: one top folder holding sshd.exe and install-sshd.ps1."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = {n.split("/", 1)[-1] for n in zf.namelist()}
    except (OSError, zipfile.BadZipFile) as exc:
        raise ProvisionISOError(f"--openssh-zip {path}: not a readable zip ({exc})") from exc
    missing = {"sshd.exe", "install-sshd.ps1"} - names
    if missing:
        raise ProvisionISOError(f"--openssh-zip {path}: not a Win32-OpenSSH release (missing {', '.join(sorted(missing))})")


def build_iso(lay: WindowsLayout, public_key: str, out: Path, stamp: float, opts: InstallOptions | None = None,
              openssh_zip: Path | None = None) -> Path:
    """Write the ISO to ``out`` atomically; ``stamp`` is the file time on the ISO (epoch seconds)."""
    if shutil.which("genisoimage") is None:
        raise EngineUnavailable("genisoimage is not installed; run scripts/ensure-engine.sh windows")
    if openssh_zip is not None:
        check_openssh_zip(openssh_zip)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".wb-iso-", dir=out.parent) as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        (root / "Autounattend.xml").write_text(answer_file(lay, opts), encoding="utf-8")
        shutil.copyfile(PROVISION_SCRIPT, root / "provision.ps1")
        config = computer_config(lay, public_key, openssh_zip is not None)
        (root / "computer.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
        (root / "id_ed25519.pub").write_text(public_key.strip() + "\n", encoding="ascii")
        if openssh_zip is not None:
            shutil.copyfile(openssh_zip, root / OPENSSH_ZIP)
        for p in root.iterdir():
            os.utime(p, (stamp, stamp))
        iso = Path(tmp) / "provision.iso"
        proc = subprocess.run(["genisoimage", "-quiet", "-J", "-joliet-long", "-r", "-V", ISO_LABEL,
                               "-input-charset", "utf-8", "-o", str(iso), str(root)],
                              capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-2:])
            raise ProvisionISOError(f"genisoimage failed (exit {proc.returncode}): {tail}")
        os.replace(iso, out)
    return out
