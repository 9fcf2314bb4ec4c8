"""``Autounattend.xml``: an unattended Windows install on QEMU that ends in ``provision.ps1``.

Passes:
- ``windowsPE``: locale; the LabConfig bypasses (TPM, Secure Boot, RAM, CPU checks) so Windows 11
  installs on any QEMU CPU model; a UEFI/GPT layout of disk 0 (EFI, MSR, Windows = C:); the image.
- ``specialize``: computer name, time zone, ``BypassNRO`` (the VM has no network during OOBE).
- ``oobeSystem``: the spec's user as a local account in Administrators, AutoLogon once, OOBE pages
  hidden, and one FirstLogonCommand that finds the ``WB-PROV`` volume and runs ``provision.ps1``.

No secret is written here: the account starts with an empty password (encoded the Windows way,
base64 of UTF-16LE ``password + "Password"``) used for the single AutoLogon; ``provision.ps1``
then sets a random password generated inside the guest, so afterwards only the SSH key logs in.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from worldbuilder.materialize.windows.layout import WindowsLayout
from worldbuilder.materialize.windows.names import check_account

UNATTEND_NS = "urn:schemas-microsoft-com:unattend"
WCM_NS = "http://schemas.microsoft.com/WMIConfig/2002/State"
ISO_LABEL = "WB-PROV"
BYPASSES = ("BypassTPMCheck", "BypassSecureBootCheck", "BypassRAMCheck", "BypassCPUCheck")
RUN_PROVISIONER = (
    "powershell.exe -NoProfile -ExecutionPolicy Bypass -Command \"$v = Get-Volume -FileSystemLabel "
    f"'{ISO_LABEL}' | Select-Object -First 1; & ($v.DriveLetter + ':\\provision.ps1')\"")

ET.register_namespace("", UNATTEND_NS)
ET.register_namespace("wcm", WCM_NS)


@dataclass(frozen=True)
class InstallOptions:
    locale: str = "en-US"
    timezone: str = "UTC"  # Windows time zone name
    image_index: int = 1  # which image of install.wim (editions differ per ISO)
    product_key: str = ""  # empty: none (evaluation media, or activate later)
    os_disk: int = 0  # the disk Windows is installed on (SATA port 0)


def encode_password(password: str, kind: str = "Password") -> str:
    """Windows' answer-file password encoding (``kind`` is ``Password`` or ``AdministratorPassword``)."""
    return base64.b64encode((password + kind).encode("utf-16-le")).decode()


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    e = ET.SubElement(parent, f"{{{UNATTEND_NS}}}{tag}", {_attr(k): v for k, v in attrs.items()})
    if text is not None:
        e.text = text
    return e


def _attr(name: str) -> str:
    return f"{{{WCM_NS}}}{name[4:]}" if name.startswith("wcm_") else name


def _component(settings: ET.Element, name: str) -> ET.Element:
    return _el(settings, "component", name=name, processorArchitecture="amd64",
               publicKeyToken="31bf3856ad364e35", language="neutral", versionScope="nonSxS")


def _locale(settings: ET.Element, name: str, locale: str, setup_ui: bool) -> None:
    c = _component(settings, name)
    if setup_ui:
        _el(_el(c, "SetupUILanguage"), "UILanguage", locale)
    for tag in ("InputLocale", "SystemLocale", "UILanguage", "UserLocale"):
        _el(c, tag, locale)


def _commands(parent: ET.Element, outer: str, inner: str, commands: list[tuple[str, str]],
              text_tag: str = "Path") -> None:
    box = _el(parent, outer)
    for order, (cmd, desc) in enumerate(commands, start=1):
        item = _el(box, inner, wcm_action="add")
        _el(item, "Order", str(order))
        _el(item, text_tag, cmd)
        _el(item, "Description", desc)


def _windows_pe(root: ET.Element, opts: InstallOptions) -> None:
    s = _el(root, "settings", **{"pass": "windowsPE"})
    _locale(s, "Microsoft-Windows-International-Core-WinPE", opts.locale, setup_ui=True)
    setup = _component(s, "Microsoft-Windows-Setup")
    _commands(setup, "RunSynchronous", "RunSynchronousCommand", [
        (f"reg.exe add HKLM\\SYSTEM\\Setup\\LabConfig /v {b} /t REG_DWORD /d 1 /f", f"Windows 11 {b}")
        for b in BYPASSES])
    disk = _el(_el(setup, "DiskConfiguration"), "Disk", wcm_action="add")
    _el(disk, "DiskID", str(opts.os_disk))
    _el(disk, "WillWipeDisk", "true")
    create = _el(disk, "CreatePartitions")
    modify = _el(disk, "ModifyPartitions")
    for order, (kind, size, fmt, label) in enumerate(
            [("EFI", "260", "FAT32", "System"), ("MSR", "16", None, None), ("Primary", None, "NTFS", "Windows")],
            start=1):
        cp = _el(create, "CreatePartition", wcm_action="add")
        _el(cp, "Order", str(order))
        _el(cp, "Type", kind)
        if size:
            _el(cp, "Size", size)
        else:
            _el(cp, "Extend", "true")
        mp = _el(modify, "ModifyPartition", wcm_action="add")
        _el(mp, "Order", str(order))
        _el(mp, "PartitionID", str(order))
        if fmt:
            _el(mp, "Format", fmt)
            _el(mp, "Label", label)
        if kind == "Primary":
            _el(mp, "Letter", "C")
    image = _el(_el(setup, "ImageInstall"), "OSImage")
    meta = _el(_el(image, "InstallFrom"), "MetaData", wcm_action="add")
    _el(meta, "Key", "/IMAGE/INDEX")
    _el(meta, "Value", str(opts.image_index))
    to = _el(image, "InstallTo")
    _el(to, "DiskID", str(opts.os_disk))
    _el(to, "PartitionID", "3")
    user = _el(setup, "UserData")
    _el(user, "AcceptEula", "true")
    key = _el(user, "ProductKey")
    if opts.product_key:
        _el(key, "Key", opts.product_key)
    _el(key, "WillShowUI", "OnError")


def _specialize(root: ET.Element, lay: WindowsLayout, opts: InstallOptions) -> None:
    s = _el(root, "settings", **{"pass": "specialize"})
    shell = _component(s, "Microsoft-Windows-Shell-Setup")
    _el(shell, "ComputerName", lay.hostname)
    _el(shell, "TimeZone", opts.timezone)
    deploy = _component(s, "Microsoft-Windows-Deployment")
    _commands(deploy, "RunSynchronous", "RunSynchronousCommand", [
        ("reg.exe add HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\OOBE /v BypassNRO /t REG_DWORD /d 1 /f",
         "OOBE without a network")])


def _oobe(root: ET.Element, lay: WindowsLayout, opts: InstallOptions) -> None:
    s = _el(root, "settings", **{"pass": "oobeSystem"})
    _locale(s, "Microsoft-Windows-International-Core", opts.locale, setup_ui=False)
    shell = _component(s, "Microsoft-Windows-Shell-Setup")
    oobe = _el(shell, "OOBE")
    for tag in ("HideEULAPage", "HideOEMRegistrationScreen", "HideOnlineAccountScreens", "HideWirelessSetupInOOBE",
                "HideLocalAccountScreen"):
        _el(oobe, tag, "true")
    _el(oobe, "ProtectYourPC", "3")
    account = _el(_el(_el(shell, "UserAccounts"), "LocalAccounts"), "LocalAccount", wcm_action="add")
    _el(account, "Name", lay.account)
    _el(account, "DisplayName", lay.full_name)
    _el(account, "Group", "Administrators")
    _password(account, "")
    logon = _el(shell, "AutoLogon")
    _el(logon, "Enabled", "true")
    _el(logon, "LogonCount", "1")
    _el(logon, "Username", lay.account)
    _password(logon, "")
    _commands(shell, "FirstLogonCommands", "SynchronousCommand",
              [(RUN_PROVISIONER, "worldbuilder provisioner")], text_tag="CommandLine")


def _password(parent: ET.Element, password: str) -> None:
    pw = _el(parent, "Password")
    _el(pw, "Value", encode_password(password))
    _el(pw, "PlainText", "false")


def answer_file(lay: WindowsLayout, opts: InstallOptions | None = None) -> str:
    """The ``Autounattend.xml`` text (UTF-8, with declaration)."""
    opts = opts or InstallOptions()
    check_account(lay.account)
    root = ET.Element(f"{{{UNATTEND_NS}}}unattend")
    _windows_pe(root, opts)
    _specialize(root, lay, opts)
    _oobe(root, lay, opts)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=False).join(
        ['<?xml version="1.0" encoding="utf-8"?>\n', "\n"])
