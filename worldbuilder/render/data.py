"""Structured-data renderers: json, jsonl, toml, csv."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time
from typing import Any

import tomli_w

from worldbuilder.render.base import RenderContext, json_default, raw_value, text_value
from worldbuilder.spec import FileSpec, Table


def records(file: FileSpec) -> list[dict[str, Any]]:
    """Rows of the first sheet (or first table block) as dicts keyed by column."""
    c = file.content
    if c.sheets:
        cols, rows = c.sheets[0].columns, c.sheets[0].rows
    else:
        table = next((b for b in c.blocks if isinstance(b, Table)), None)
        if table is None:
            return []
        cols, rows = table.columns, table.rows
    return [{col: raw_value(v) for col, v in zip(cols, r, strict=False)} for r in rows]


def payload(file: FileSpec) -> Any:
    """``data``, else records of the first sheet/table, else title/summary/text."""
    c = file.content
    if c.data is not None:
        return c.data
    rows = records(file)
    if rows:
        return rows
    out: dict[str, Any] = {"title": c.title, "kind": c.kind}
    if c.summary:
        out["summary"] = c.summary
    if c.text:
        out["text"] = c.text
    return out


def render_json(file: FileSpec, ctx: RenderContext) -> bytes:
    return (json.dumps(payload(file), indent=2, ensure_ascii=False, default=json_default) + "\n").encode("utf-8")


def render_jsonl(file: FileSpec, ctx: RenderContext) -> bytes:
    data = payload(file)
    items = data if isinstance(data, list) else [data]
    lines = [json.dumps(x, ensure_ascii=False, separators=(", ", ": "), default=json_default) for x in items]
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def _toml_clean(value: Any) -> Any:
    """Drop None, stringify keys and unknown types; TOML has no null."""
    if isinstance(value, dict):
        return {str(k): _toml_clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_toml_clean(v) for v in value if v is not None]
    if isinstance(value, bool | int | float | str | date | datetime | time):
        return value
    return json.loads(json.dumps(value, default=json_default))


def render_toml(file: FileSpec, ctx: RenderContext) -> bytes:
    data = _toml_clean(payload(file))
    if not isinstance(data, dict):
        data = {"items": data}
    return tomli_w.dumps(data).encode("utf-8")


def _csv_value(value: Any) -> Any:
    value = raw_value(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return text_value(value)


def render_csv(file: FileSpec, ctx: RenderContext) -> bytes:
    """The first sheet (values), else a table block, else ``data`` records, else the title."""
    c = file.content
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if c.sheets:
        writer.writerow(c.sheets[0].columns)
        writer.writerows([_csv_value(v) for v in r] for r in c.sheets[0].rows)
        return buf.getvalue().encode("utf-8")
    rows = records(file)
    if not rows and isinstance(c.data, list) and all(isinstance(r, dict) for r in c.data):
        rows = c.data
    if not rows:
        writer.writerows([["title"], [c.title]])
        return buf.getvalue().encode("utf-8")
    cols = list(dict.fromkeys(str(k) for r in rows for k in r))
    writer.writerow(cols)
    writer.writerows([_csv_value({str(k): v for k, v in r.items()}.get(k)) for k in cols] for r in rows)
    return buf.getvalue().encode("utf-8")
