"""Text of hidden and system files: shell history, shell profile, recent files, configs, shortcuts, trash info."""

from __future__ import annotations

import posixpath
from urllib.parse import quote

from worldbuilder.generate.base import FilePlan
from worldbuilder.generate.content_offline.app_state import app_state_text
from worldbuilder.generate.content_offline.prose import Writer
from worldbuilder.generate.fill import slug
from worldbuilder.spec import Layout

LINUX_CMDS = ("ls", "ls -la", "cd ~/Documents", "cd ~/Downloads", "df -h", "top", "history | tail", "clear",
              "sudo apt update", "sudo apt upgrade -y", "xdg-open .", "cp {a} ~/Desktop/", "mv ~/Downloads/{b} {dir}/",
              "libreoffice --headless --convert-to pdf {a}", "grep -ri {term} ~/Documents | head", "du -sh {dir}",
              "find ~ -name '*{ext}' -mtime -7", "unzip -l ~/Downloads/{b}", "ssh {user}@files.{domain}",
              "ping -c 3 {domain}", "less {a}", "wc -l {a}", "tar czf backup_{ym}.tar.gz {dir}", "rm {b}",
              "mkdir -p {dir}/old", "git status", "git pull", "python3 -m venv .venv", "code .", "nano ~/.bashrc")
WIN_CMDS = ("Get-ChildItem", "cd $HOME\\Documents", "dir", "ipconfig /all", "Get-Process | Sort CPU -desc | Select -First 5",
            "Copy-Item {a} $HOME\\Desktop", "Test-Connection {domain}", "Get-Content {a} | Select -First 20",
            "winget upgrade --all", "Compress-Archive {dir} backup_{ym}.zip", "Select-String -Path *.txt -Pattern {term}",
            "Remove-Item {b}", "explorer .", "cls", "Get-ChildItem -Recurse -Filter *{ext} | Measure-Object")


def shell_history(w: Writer, files: list[FilePlan], layout: Layout) -> str:
    """Commands the user ran, touching their own files, until the file reaches its target size."""
    target = max(300, w.plan.target_bytes or 2000)
    docs = [f for f in files if not f.hidden] or [w.plan]
    cmds = LINUX_CMDS if layout.kind == "linux" else WIN_CMDS
    domain = w.profile.email.split("@")[1]
    lines: list[str] = []
    size = 0
    while size < target:
        a, b2 = w.rng.choice(docs), w.rng.choice(docs)
        line = w.rng.choice(cmds).format(
            a=_q(posixpath.basename(a.path)), b=_q(posixpath.basename(b2.path)), dir=_q(posixpath.dirname(a.path) or "."),
            term=_q(w.term()), ext="." + a.type, user=w.profile.username, domain=domain, ym=f"{w.when:%Y%m}")
        if lines and lines[-1] == line:
            continue
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines) + "\n"


def _q(text: str) -> str:
    return f"'{text}'" if " " in text else text


def system_text(w: Writer, files: list[FilePlan], layout: Layout) -> str | None:
    """Text for a system file kind, or None when the kind is not a system file."""
    k, p = w.plan.kind, w.profile
    if k == "shell_history":
        return shell_history(w, files, layout)
    if k == "shell_profile":
        return ("# ~/.profile: executed by the command interpreter for login shells.\n"
                'if [ -n "$BASH_VERSION" ]; then\n    if [ -f "$HOME/.bashrc" ]; then\n        . "$HOME/.bashrc"\n'
                '    fi\nfi\nif [ -d "$HOME/bin" ] ; then\n    PATH="$HOME/bin:$PATH"\nfi\n'
                f'export LANG={p.locale}\n')
    if k == "recent_files":
        return _xbel(w, files, layout)
    if k == "user_dirs":
        return "".join(f'XDG_{key}_DIR="$HOME/{val}"\n' for key, val in (
            ("DESKTOP", "Desktop"), ("DOWNLOAD", "Downloads"), ("TEMPLATES", "Templates"), ("PUBLICSHARE", "Public"),
            ("DOCUMENTS", "Documents"), ("MUSIC", "Music"), ("PICTURES", "Pictures"), ("VIDEOS", "Videos")))
    if k == "app_config":
        return _app_config(w)
    if k == "app_state":
        return app_state_text(w, files, layout)
    if k == "shortcut":
        app = w.plan.title
        if w.plan.path.endswith(".url"):
            return f"[InternetShortcut]\r\nURL=https://www.{slug(app, '')}.com/\r\nIconIndex=0\r\n"
        return (f"[Desktop Entry]\nVersion=1.0\nType=Application\nName={app}\nExec={slug(app, '-')} %U\n"
                f"Icon={slug(app, '-')}\nTerminal=false\nCategories=Office;\n")
    if k == "trash_info":
        src = w.plan.members[0] if w.plan.members else w.plan.title
        return (f"[Trash Info]\nPath={quote(layout.home + '/' + src)}\n"
                f"DeletionDate={w.plan.created:%Y-%m-%dT%H:%M:%S}\n")
    if k.startswith("git_"):
        return _git_text(w)
    if k == "cache_index":
        return "\n".join(f"{i:04x} https://{d}/ {w.plan.created:%Y-%m-%d}" for i, d in enumerate(
            sorted({w.profile.email.split('@')[1], "docs.example.org", "portal." + w.profile.email.split('@')[1]}))) + "\n"
    return None


def _xbel(w: Writer, files: list[FilePlan], layout: Layout) -> str:
    docs = sorted((f for f in files if not f.hidden and f.type in ("docx", "xlsx", "pdf", "pptx", "txt")),
                  key=lambda f: f.modified)[-40:]
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<xbel version="1.0" xmlns:bookmark="http://www.freedesktop.org/standards/desktop-bookmarks">']
    for f in docs:
        href = "file://" + quote(f"{layout.home}/{f.path}")
        t = f"{f.modified:%Y-%m-%dT%H:%M:%S}Z"
        out.append(f'  <bookmark href="{href}" added="{t}" modified="{t}" visited="{t}"/>')
    out.append("</xbel>")
    return "\n".join(out) + "\n"


def _app_config(w: Writer) -> str:
    name = w.plan.title
    if name.endswith(".xcu"):
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry">\n'
                '<item oor:path="/org.openoffice.Office.Common/Save/Document"><prop oor:name="AutoSave">'
                f'<value>true</value></prop></item>\n<item oor:path="/org.openoffice.Setup/L10N">'
                f'<prop oor:name="ooLocale"><value>{w.profile.locale.split(".")[0].replace("_", "-")}</value>'
                "</prop></item>\n</oor:items>\n")
    if name == "mimeapps.list":
        return ("[Default Applications]\napplication/pdf=org.gnome.Evince.desktop\n"
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document=libreoffice-writer.desktop\n"
                "image/jpeg=org.gnome.eog.desktop\ntext/plain=org.gnome.TextEditor.desktop\n")
    return ('<monitors version="2">\n  <configuration>\n    <logicalmonitor><x>0</x><y>0</y><scale>1</scale>'
            "<primary>yes</primary><monitor><monitorspec><connector>eDP-1</connector></monitorspec>"
            "<mode><width>1920</width><height>1080</height><rate>60.000</rate></mode></monitor>"
            "</logicalmonitor>\n  </configuration>\n</monitors>\n")


def _git_text(w: Writer) -> str:
    name = w.plan.title
    if name == "HEAD":
        return "ref: refs/heads/main\n"
    if name == "config":
        return ("[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n"
                f"[user]\n\tname = {w.profile.full_name}\n\temail = {w.profile.email}\n")
    if name == "description":
        return "Unnamed repository; edit this file 'description' to name the repository.\n"
    if name == "info/exclude":
        return ("# git ls-files --others --exclude-from=.git/info/exclude\n# Lines that start with '#' are comments.\n"
                "# For a project mostly in C, the following would be a good set of\n# exclude patterns:\n# *.[oa]\n# *~\n")
    if name == "COMMIT_EDITMSG":
        return f"{w.rng.choice(('Fix', 'Update', 'Add', 'Refactor', 'Tidy'))} {w.term()} handling\n"
    return _hook(w, name.split("/")[-1].replace(".sample", ""))


# sections of git's sample hooks (templates/hooks--*.sample): a hook grows by whole sections towards its target,
# as git's samples run from a few lines (post-update) to a few screens (pre-rebase, fsmonitor-watchman)
HOOK_SECTIONS = (
    'if git rev-parse --verify HEAD >/dev/null 2>&1\nthen\n\tagainst=HEAD\nelse\n'
    '\t# Initial commit: diff against an empty tree object\n\tagainst=$(git hash-object -t tree /dev/null)\nfi\n',
    '# If you want to allow non-ASCII filenames set this variable to true.\n'
    'allownonascii=$(git config --type=bool hooks.allownonascii)\n\n# Redirect output to stderr.\nexec 1>&2\n',
    'test -x "$GIT_DIR/hooks/commit-msg" &&\n\texec "$GIT_DIR/hooks/commit-msg" ${1+"$@"}\n:\n',
    'remote="$1"\nurl="$2"\n\nzero=$(git hash-object --stdin </dev/null | tr \'[0-9a-f]\' \'0\')\n\n'
    'while read local_ref local_oid remote_ref remote_oid\ndo\n\tif test "$local_oid" = "$zero"\n\tthen\n'
    '\t\t# Handle delete\n\t\t:\n\telse\n\t\tif test "$remote_oid" = "$zero"\n\t\tthen\n'
    '\t\t\trange="$local_oid"\n\t\telse\n\t\t\trange="$remote_oid..$local_oid"\n\t\tfi\n\tfi\ndone\n\nexit 0\n',
    '# Cross platform projects tend to avoid non-ASCII filenames; prevent\n# them from being added to the repository. '
    'We exploit the fact that the\n# printable range starts at the space character and ends with tilde.\n'
    'if [ "$allownonascii" != "true" ] &&\n\ttest $(git diff --cached --name-only --diff-filter=A -z $against |\n'
    '\t  LC_ALL=C tr -d \'[ -~]\\0\' | wc -c) != 0\nthen\n\tcat <<\\EOF\n'
    'Error: Attempt to add a non-ASCII file name.\n\nThis can cause problems if you want to work with people on '
    'other platforms.\n\nTo be portable it is advisable to rename the file.\nEOF\n\texit 1\nfi\n',
    'basebranch="$1"\nif test "$#" = 2\nthen\n\ttopic="refs/heads/$2"\nelse\n'
    '\ttopic=`git symbolic-ref HEAD` ||\n\texit 0 ;# we do not interrupt rebasing detached HEAD\nfi\n\n'
    'case "$topic" in\nrefs/heads/??/*)\n\t;;\n*)\n\texit 0 ;# we do not interrupt others.\n\t;;\nesac\n',
    '# --- Command line\nrefname="$1"\noldrev="$2"\nnewrev="$3"\n\n# --- Safety check\n'
    'if [ -z "$GIT_DIR" ]; then\n\techo "Don\'t run this script from the command line." >&2\n'
    '\techo " (if you want, you could supply GIT_DIR then run" >&2\n\techo "  $0 <ref> <oldrev> <newrev>)" >&2\n'
    '\texit 1\nfi\n',
    '# --- Config\nallowunannotated=$(git config --type=bool hooks.allowunannotated)\n'
    'allowdeletebranch=$(git config --type=bool hooks.allowdeletebranch)\n'
    'denycreatebranch=$(git config --type=bool hooks.denycreatebranch)\n'
    'allowdeletetag=$(git config --type=bool hooks.allowdeletetag)\n'
    'allowmodifytag=$(git config --type=bool hooks.allowmodifytag)\n\n'
    '# check for no description\nprojectdesc=$(sed -e \'1q\' "$GIT_DIR/description")\ncase "$projectdesc" in\n'
    '"Unnamed repository"* | "")\n\techo "*** Project description file hasn\'t been set" >&2\n\texit 1\n\t;;\nesac\n',
    'COMMIT_MSG_FILE=$1\nCOMMIT_SOURCE=$2\nSHA1=$3\n\n'
    '/usr/bin/perl -i.bak -ne \'print unless(m/^. Please enter the commit message/..m/^#$/)\' "$COMMIT_MSG_FILE"\n\n'
    '# case "$COMMIT_SOURCE,$SHA1" in\n#  ,|template,)\n#    /usr/bin/perl -i.bak -pe \'\n'
    '#       print "\\n" . `git diff --cached --name-status -r`\n#\t if /^#/ && $first++ == 0\' "$COMMIT_MSG_FILE" ;;\n'
    '#  merge,)\n#    /usr/bin/perl -i.bak -ne \'print unless /^Conflicts:/\' "$COMMIT_MSG_FILE" ;;\n#  *) ;;\n# esac\n',
    'if test -n "$GIT_PUSH_OPTION_COUNT"\nthen\n\ti=0\n\twhile test "$i" -lt "$GIT_PUSH_OPTION_COUNT"\n\tdo\n'
    '\t\teval "value=\\$GIT_PUSH_OPTION_$i"\n\t\tcase "$value" in\n\t\techoback=*)\n'
    '\t\t\techo "echo from the pre-receive-hook: ${value#*=}" >&2\n\t\t\t;;\n\t\treject)\n'
    '\t\t\texit 1\n\t\tesac\n\t\ti=$((i + 1))\n\tdone\nfi\n',
    '# The hook should exit with non-zero status after issuing an appropriate message\n'
    '# if it wants to stop the operation. Upstream and the topic branch are compared\n'
    '# with "git rev-list" and "git cherry"; commits already merged are skipped.\n'
    'only_next_1=`git rev-list ^master "^$topic" ${publish} | sort`\n'
    'only_next_2=`git rev-list ^master           ${publish} | sort`\n'
    'if test "$only_next_1" = "$only_next_2"\nthen\n\tnot_in_topic=`git rev-list "^$topic" master`\n'
    '\tif test -z "$not_in_topic"\n\tthen\n\t\techo >&2 "$topic is already up to date with master"\n'
    '\t\texit 1 ;# we could allow it, but there is no point.\n\telse\n\t\texit 0\n\tfi\nfi\n',
)


def _hook(w: Writer, hook: str) -> str:
    """A sample hook: git's header for it, then sections until it reaches the file's target."""
    head = (f"#!/bin/sh\n#\n# An example hook script to verify what is about to be committed by {hook}.\n"
            f"# Called by \"git {hook.split('-')[-1]}\" with no arguments.  The hook should\n"
            "# exit with non-zero status after issuing an appropriate message if\n# it wants to stop the commit.\n#\n"
            f"# To enable this hook, rename this file to \"{hook}\".\n\n")
    target = w.plan.target_bytes or 500
    order = list(HOOK_SECTIONS)
    w.rng.shuffle(order)
    out, size = [head], len(head)
    for sec in order:
        if size + len(sec) > target:
            continue
        out.append(sec)
        size += len(sec) + 1
    return "\n".join(out)
