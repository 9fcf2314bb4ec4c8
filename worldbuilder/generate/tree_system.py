"""Hidden and system files of a home: shell history, app configs, thumbnails, trash, shortcuts, mail store.

These files live outside the user's documents (hidden folders, AppData) and are not part of the visible
type mix; they give a home its small-file tail and its caches.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import TYPE_CHECKING

from worldbuilder.generate.base import FilePlan
from worldbuilder.generate.fill import safe_name, slug

if TYPE_CHECKING:
    from worldbuilder.generate.tree_offline import TreeBuilder

APPS = ("Firefox", "Thunderbird", "LibreOffice Writer", "Files", "Terminal", "Zoom", "Slack", "Calculator")
MAIL_FOLDERS = ("Inbox", "Inbox", "Inbox", "Sent", "Archive")

# app state files, grouped in the few folders a real profile fills (a folder of one file would thin the home)
FIREFOX = ("prefs.js", "xulstore.json", "handlers.json", "times.json", "compatibility.ini", "containers.json",
           "extension-preferences.json", "extensions.json", "sessionCheckpoints.json", "SiteSecurityServiceState.txt",
           "pkcs11.txt", "AlternateServices.txt", "broadcast-listeners.json")
THUNDERBIRD = ("prefs.js", "session.json", "xulstore.json", "compatibility.ini", "containers.json", "extensions.json",
               "times.json", "pkcs11.txt", "folderTree.json", "virtualFolders.dat")
LINUX_STATE = tuple(f".mozilla/firefox/{{p}}.default-release/{n}" for n in FIREFOX) + (
    ".mozilla/firefox/profiles.ini", ".mozilla/firefox/installs.ini", ".config/zoomus.conf",
    *(f".thunderbird/{{p}}.default-release/{n}" for n in THUNDERBIRD),
    *(f".config/libreoffice/4/user/basic/{n}" for n in ("dialog.xlc", "script.xlc", "Standard/dialog.xlb",
                                                         "Standard/script.xlb", "Standard/Module1.xba")))
WINDOWS_STATE = (
    "AppData/Local/Microsoft/Edge/User Data/Default/Bookmarks",
    "AppData/Local/Microsoft/Edge/User Data/Default/Preferences.json",
    "AppData/Roaming/Mozilla/Firefox/profiles.ini", "AppData/Roaming/Mozilla/Firefox/installs.ini",
    *(f"AppData/Roaming/Mozilla/Firefox/Profiles/{{p}}.default-release/{n}" for n in FIREFOX),
    "AppData/Roaming/Microsoft/Teams/settings.json", "AppData/Roaming/Microsoft/Teams/desktop-config.json",
    "AppData/Roaming/LibreOffice/4/user/basic/dialog.xlc", "AppData/Roaming/LibreOffice/4/user/basic/script.xlc")


def _put(b: TreeBuilder, path: str, ftype: str, kind: str, title: str, hidden: bool = True,
         lo=None, hi=None, **extra: object) -> FilePlan | None:  # noqa: ANN001
    """Add a file at an exact path (any name, e.g. ``.bash_history``) outside the type budget."""
    if path.lower() in b.reg.paths:
        return None
    c, m = b.times(lo or b.start, hi or b.now)
    plan = FilePlan(path=path, type=ftype, kind=kind, title=title, created=c, modified=m,  # type: ignore[arg-type]
                    hidden=hidden, size_class="tiny", **extra)  # type: ignore[arg-type]
    return b.reg.add(plan)


def _home(b: TreeBuilder, *parts: str) -> str:
    return "/".join(p for p in (b.roots.home, *parts) if p)


def system_files(b: TreeBuilder) -> None:
    """Shell history, app configs, recent-files lists, desktop shortcuts, trash and thumbnails."""
    linux = b.roots.layout.kind == "linux"
    recent = b.now - timedelta(days=30)
    if linux:
        _put(b, ".bash_history", "txt", "shell_history", ".bash_history", lo=recent)
        _put(b, ".profile", "txt", "shell_profile", ".profile", hi=b.start + timedelta(days=5))
        _put(b, ".local/share/recently-used.xbel", "txt", "recent_files", "recently-used.xbel", lo=recent)
        _put(b, ".config/user-dirs.dirs", "txt", "user_dirs", "user-dirs.dirs", hi=b.start + timedelta(days=2))
        for app in ("libreoffice/4/user/registrymodifications.xcu", "mimeapps.list", "monitors.xml"):
            _put(b, f".config/{app}", "txt", "app_config", app.rsplit("/", 1)[-1])
        for app in b.rng.sample(APPS, 4):
            _put(b, f"Desktop/{slug(app, '-')}.desktop", "txt", "shortcut", app, hidden=False)
    else:
        ps = "AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine/ConsoleHost_history.txt"
        _put(b, _home(b, ps), "txt", "shell_history", "ConsoleHost_history", lo=recent)
        _put(b, _home(b, "AppData/Local/Microsoft/Windows/INetCache/IE/container.dat"), "txt", "cache_index",
             "container.dat")
        for app in b.rng.sample(APPS, 4):
            _put(b, _home(b, "Desktop", f"{safe_name(app)}.url"), "txt", "shortcut", app, hidden=False)
    _app_state(b, linux)
    _trash(b, linux)
    _thumbnails(b, linux)


def _app_state(b: TreeBuilder, linux: bool) -> None:
    """Browser, mail, chat and spelling state files (the small-file tail of a lived-in home)."""
    profile = hashlib.sha1(b.profile.username.encode()).hexdigest()[:8]
    paths = LINUX_STATE if linux else WINDOWS_STATE
    for rel in paths:
        rel = rel.format(p=profile)
        _put(b, rel if linux else _home(b, rel), "txt", "app_state", rel.rsplit("/", 1)[-1])


def _trash(b: TreeBuilder, linux: bool) -> None:
    """Deleted documents in the desktop trash. Windows computers get none: a drive's ``$Recycle.Bin`` is
    keyed by the account SID known only at provisioning, and ntfs-3g cannot address root ``$`` names."""
    if not linux:
        return
    docs = [f for f in b.reg.files if f.type in ("docx", "xlsx", "pdf", "txt") and not f.hidden and f.project]
    for f in b.rng.sample(docs, k=min(len(docs), b.rng.randint(2, 5))):
        name = f.path.rsplit("/", 1)[-1]
        p = _put(b, f".local/share/Trash/files/{name}", f.type, f.kind, f.title, project=f.project,
                 refs=list(f.refs), lo=b.now - timedelta(days=60))
        if p is not None:
            _put(b, f".local/share/Trash/info/{name}.trashinfo", "txt", "trash_info", name,
                 lo=p.created, hi=p.created + timedelta(seconds=1), members=[f.path])


def _thumbnails(b: TreeBuilder, linux: bool) -> None:
    """Thumbnail cache entries for pictures and documents the user opened (PNGs named by URI hash)."""
    opened = [f for f in b.reg.files if f.type in ("jpg", "png", "pdf", "docx", "pptx") and not f.hidden]
    picks = b.rng.sample(opened, k=min(len(opened), b.rng.randint(4, 12)))
    for f in sorted(picks, key=lambda x: x.path):
        digest = hashlib.md5(f"file://{b.roots.layout.home}/{f.path}".encode()).hexdigest()
        path = (f".cache/thumbnails/normal/{digest}.png" if linux else
                _home(b, "AppData/Local/Microsoft/Windows/Explorer/thumbcache", f"{digest}.png"))
        _put(b, path, "png", "thumbnail", f.title, lo=f.modified, hi=min(b.now, f.modified + timedelta(days=3)),
             members=[f.path])


def mail_store(b: TreeBuilder, n_threads: int) -> None:
    """A mail client's local store: threads of messages (replies follow their originals), as .eml files."""
    base = ".local/share/mail" if b.roots.layout.kind == "linux" else _home(b, "AppData/Local/Mail/Local Folders")
    for t in range(n_threads):
        project = b.pick_project()
        lo, hi = b.window(project)
        first, _ = b.times(lo, hi)
        subject = b.rng.choice(("{code} status update", "{name} - next steps", "Question about {name}",
                                "{code} figures for review", "{name}: draft for comments", "Scheduling the {code} review"))
        subject = subject.format(code=project.code, name=project.name)
        thread: list[str] = []
        when = first
        for k in range(b.rng.choice((1, 2, 2, 3, 3, 4, 5, 6))):
            if when > b.now:
                break
            folder = b.rng.choice(MAIL_FOLDERS)
            stem = f"{when:%Y%m%d-%H%M%S}-{t:02d}{k}"
            path = f"{base}/{folder}/{stem}.eml"
            if path.lower() in b.reg.paths:
                break
            plan = FilePlan(path=path, type="eml", kind="email", title=("Re: " if k else "") + subject,
                            created=when, modified=when, hidden=True, project=project.id,
                            refs=b.refs_for(project, 2), thread=list(thread), size_class="small")
            b.reg.add(plan)
            thread.append(path)
            when = when + timedelta(hours=b.rng.randint(1, 70), minutes=b.rng.randint(0, 59))
