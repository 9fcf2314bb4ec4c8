"""zip renderer: other files of the spec, rendered and stored under their relative paths.

Entry names are the members' paths relative to the parent of their common folder, so zipping
``Projects/ORION/{a,b}`` yields ``ORION/a`` and ``ORION/b`` (as a file manager would).
"""

from __future__ import annotations

import posixpath

from worldbuilder.render import times, zipfix
from worldbuilder.render.base import RenderContext
from worldbuilder.spec import FileSpec


def entry_names(paths: list[str]) -> list[str]:
    dirs = [posixpath.dirname(p) for p in paths]
    common = posixpath.commonpath(dirs) if dirs and all(dirs) else ""
    base = posixpath.dirname(common)
    return [posixpath.relpath(p, base) if base else p for p in paths]


def render_zip(file: FileSpec, ctx: RenderContext) -> bytes:
    tz = ctx.spec.profile.timezone
    members = list(dict.fromkeys(file.content.members))
    entries = []
    for path, name in zip(members, entry_names(members), strict=True):
        member = ctx.file(path)
        entries.append(zipfix.Entry(name, ctx.render(member), times.zip_time(member.modified, tz)))
    return zipfix.write_zip(entries, unix_mode=0o644)
