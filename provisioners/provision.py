#!/usr/bin/env python3
"""Provision one synthetic computer inside its root filesystem (python3 stdlib only).

Usage: provision.py COMPUTER_JSON [--root /]

Run at image build time inside the container (``--root /``) or by the VM backend against a
mounted rootfs (``--root /mnt/rootfs``: commands then run through ``chroot``). The home files are
already in place (extracted from the staging tar with their owners and mtimes); this script creates
the user and group, installs the SSH public key, locks the password, hardens sshd and sets the
hostname, timezone and locale. Everything it adds to the home is listed in
``/etc/worldbuilder/extras.json``; the drive mapping goes to ``/etc/worldbuilder/drives.json``.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import re
import shutil
import subprocess
import sys

USERNAME_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
SSHD_CONF = """# worldbuilder: key-only SSH for the computer's user (one ed25519 host key, pinned by clients)
HostKey /etc/ssh/ssh_host_ed25519_key
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
PermitRootLogin no
PubkeyAuthentication yes
AuthenticationMethods publickey
AllowUsers {user}
UseDNS no
PrintMotd no
X11Forwarding no
ClientAliveInterval 15
ClientAliveCountMax 4
MaxSessions 64
MaxStartups 64:30:128
"""


class ProvisionError(Exception):
    pass


class Root:
    """A target root filesystem: file paths are joined onto it, commands run chrooted into it."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)

    def path(self, p: str) -> str:
        return os.path.join(self.root, p.lstrip("/"))

    def run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        argv = list(cmd) if self.root == "/" else ["chroot", self.root, *cmd]
        proc = subprocess.run(argv, capture_output=True, text=True)
        if check and proc.returncode != 0:
            raise ProvisionError(f"{' '.join(cmd)} failed: {proc.stderr.strip()[-300:]}")
        return proc

    def write(self, p: str, text: str, mode: int = 0o644) -> None:
        full = self.path(p)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        tmp = full + ".wb-tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        try:
            os.replace(tmp, full)
        except OSError as exc:  # a bind mount (docker's /etc/hostname): write in place
            if exc.errno != errno.EBUSY:
                raise
            os.remove(tmp)
            with open(full, "w", encoding="utf-8") as fh:
                fh.write(text)


def validate(cfg: dict) -> None:
    user = cfg["user"]
    if not USERNAME_RE.match(user["name"]):
        raise ProvisionError(f"invalid Linux username {user['name']!r}")
    if not 1000 <= int(user["uid"]) <= 60000 or not 1000 <= int(user["gid"]) <= 60000:
        raise ProvisionError("uid/gid must be within 1000..60000")
    if not cfg.get("ssh_public_key", "").startswith("ssh-"):
        raise ProvisionError("ssh_public_key is missing")


def create_user(r: Root, user: dict) -> None:
    name, uid, gid = user["name"], str(user["uid"]), str(user["gid"])
    if r.run("getent", "group", name, check=False).returncode != 0:
        r.run("groupadd", "-g", gid, name)
    if r.run("getent", "passwd", name, check=False).returncode != 0:
        r.run("useradd", "-M", "-u", uid, "-g", gid, "-d", user["home"], "-s", user["shell"],
              "-c", user["gecos"], name)
    for group in user.get("groups", []):
        if r.run("getent", "group", group, check=False).returncode == 0:
            r.run("usermod", "-aG", group, name)
    r.run("usermod", "-p", "*", name)  # no password at all: key-only login
    sudoers = r.path(f"/etc/sudoers.d/90-worldbuilder-{name}")
    if user.get("sudo"):
        r.write(f"/etc/sudoers.d/90-worldbuilder-{name}", f"{name} ALL=(ALL) NOPASSWD:ALL\n", 0o440)
    elif os.path.exists(sudoers):
        os.remove(sudoers)


def setup_home(r: Root, cfg: dict) -> list[str]:
    """Home dir, skeleton dotfiles that the tree lacks, ~/.ssh/authorized_keys. Returns added paths."""
    user = cfg["user"]
    uid, gid, home = int(user["uid"]), int(user["gid"]), user["home"]
    hpath = r.path(home)
    os.makedirs(hpath, exist_ok=True)
    os.chown(hpath, uid, gid)
    os.chmod(hpath, 0o750)
    added: list[str] = []
    skel = r.path("/etc/skel")
    for name in sorted(os.listdir(skel)) if os.path.isdir(skel) else []:
        src, dst = os.path.join(skel, name), os.path.join(hpath, name)
        if os.path.isfile(src) and not os.path.lexists(dst):
            shutil.copy2(src, dst)
            os.chown(dst, uid, gid)
            added.append(name)
    ssh = os.path.join(hpath, ".ssh")
    os.makedirs(ssh, exist_ok=True)
    os.chmod(ssh, 0o700)
    os.chown(ssh, uid, gid)
    keys = os.path.join(ssh, "authorized_keys")
    with open(keys, "w", encoding="utf-8") as fh:
        fh.write(cfg["ssh_public_key"].strip() + "\n")
    os.chmod(keys, 0o600)
    os.chown(keys, uid, gid)
    added.append(".ssh/authorized_keys")
    if user.get("home_link"):
        link = r.path(user["home_link"])
        if not os.path.lexists(link):
            os.symlink(home, link)
    return added


def setup_sshd(r: Root, user: str) -> None:
    r.write("/etc/ssh/sshd_config.d/worldbuilder.conf", SSHD_CONF.format(user=user))
    os.makedirs(r.path("/run/sshd"), exist_ok=True)
    if not os.path.exists(r.path("/etc/ssh/ssh_host_ed25519_key")):
        r.run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "root@localhost",
              "-f", "/etc/ssh/ssh_host_ed25519_key")


def setup_system(r: Root, cfg: dict) -> None:
    r.write("/etc/hostname", cfg["hostname"] + "\n")
    tz = cfg.get("timezone") or "UTC"
    if not os.path.isfile(r.path(f"/usr/share/zoneinfo/{tz}")) or ".." in tz:
        print(f"provision: unknown timezone {tz!r}, using UTC", file=sys.stderr)
        tz = "UTC"
    r.write("/etc/timezone", tz + "\n")
    lt = r.path("/etc/localtime")
    if os.path.lexists(lt):
        os.remove(lt)
    os.symlink(f"/usr/share/zoneinfo/{tz}", lt)
    loc = cfg.get("locale") or "C.UTF-8"
    lang, _, charset = loc.partition(".")
    charset = charset or "UTF-8"
    have = r.run("locale", "-a", check=False).stdout.lower().replace("-", "").split()
    if f"{lang}.{charset}".lower().replace("-", "") not in have:
        if r.run("localedef", "-i", lang, "-f", charset, f"{lang}.{charset}", check=False).returncode != 0:
            print(f"provision: cannot generate locale {loc!r}, using C.UTF-8", file=sys.stderr)
            lang, charset = "C", "UTF-8"
    r.write("/etc/default/locale", f"LANG={lang}.{charset}\n")
    r.write("/etc/environment", f"LANG={lang}.{charset}\nTZ=:/etc/localtime\n")


def write_metadata(r: Root, cfg: dict, extras: list[str]) -> None:
    meta = {k: v for k, v in cfg.items() if k != "ssh_public_key"}
    r.write("/etc/worldbuilder/computer.json", json.dumps(meta, indent=1) + "\n")
    r.write("/etc/worldbuilder/drives.json", json.dumps(cfg.get("drives", {}), indent=1) + "\n")
    r.write("/etc/worldbuilder/extras.json", json.dumps(sorted(extras), indent=1) + "\n")


def provision(cfg: dict, root: str = "/") -> None:
    validate(cfg)
    r = Root(root)
    create_user(r, cfg["user"])
    extras = setup_home(r, cfg)
    setup_sshd(r, cfg["user"]["name"])
    setup_system(r, cfg)
    write_metadata(r, cfg, extras)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config")
    ap.add_argument("--root", default="/")
    args = ap.parse_args(argv)
    try:
        with open(args.config, encoding="utf-8") as fh:
            cfg = json.load(fh)
        provision(cfg, args.root)
    except (ProvisionError, OSError, KeyError, ValueError) as exc:
        print(f"provision: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
