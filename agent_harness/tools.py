"""The work agent's tools. Every tool goes through the Computer handle; every call is one logged turn."""

from __future__ import annotations

import json
import posixpath
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent_harness.models import TurnRecord
from agent_harness.textract import extract_text
from worldbuilder.errors import CallFailed, ComputerUnreachable, PathOutsideComputer, WorldbuilderError
from worldbuilder.runtime.computer import Computer

LOG_RESULT_CHARS = 2000
AGENT_RESULT_CHARS = 12000
DOC_TYPES = ("docx", "xlsx", "pptx", "pdf")
READ_FILE_CAP = 16 * 1024 * 1024  # bytes read_file copies out of the computer at most

_READ_INBOX = r"""
import json, os, pathlib, stat, sys
box = pathlib.Path.home() / ".mail" / "inbox"
out, size = [], 0
try:
    names = sorted(n for n in os.listdir(box) if n.endswith(".json"))
except OSError as e:
    sys.exit(f"cannot read the inbox: {e}")
for n in names:
    p = box / n
    try:
        st = os.lstat(p)
        if not stat.S_ISREG(st.st_mode) or st.st_size > 1 << 20:
            continue
        m = json.loads(p.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError):
        continue
    if not isinstance(m, dict) or m.get("read"):
        continue
    size += st.st_size
    if size > 4 << 20:
        break
    out.append(m)
    m["read"] = True
    try:
        t = p.with_suffix(".tmp"); t.write_text(json.dumps(m, indent=1), encoding="utf-8"); t.replace(p)
    except OSError:
        pass
sys.stdout.write(json.dumps(out))
"""

TOOL_SPECS: dict[str, dict[str, Any]] = {
    "shell": {"description": "Run a bash command in the computer (cwd = home).",
              "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]},
    "read_file": {"description": "Read a file; docx/xlsx/pptx/pdf are returned as extracted text.",
                  "properties": {"path": {"type": "string"}}, "required": ["path"]},
    "write_file": {"description": "Write a text file (creates folders).",
                   "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
                   "required": ["path", "content"]},
    "make_document": {"description": "Create or rewrite a docx/xlsx/pptx from a JSON spec. docx: {title, blocks:"
                      " [{heading, level}|{paragraph}|{bullets:[..]}|{table:{columns,rows}}]}; xlsx: {sheets:"
                      " [{name, columns, rows}]}; pptx: {title, slides: [{title, bullets, notes}]}.",
                      "properties": {"path": {"type": "string"}, "kind": {"type": "string",
                                                                         "enum": ["docx", "xlsx", "pptx"]},
                                     "spec": {"type": "object"}}, "required": ["path", "kind", "spec"]},
    "send_message": {"description": "Send a message to a collaborator (name, first name or id). Replies arrive at "
                     "the end of the day.", "properties": {"to": {"type": "string"}, "subject": {"type": "string"},
                                                           "body": {"type": "string"}},
                     "required": ["to", "subject", "body"]},
    "read_inbox": {"description": "Return all unread messages (and mark them read).", "properties": {},
                   "required": []},
    "finish_day": {"description": "End your working day.", "properties": {}, "required": []},
    "submit": {"description": "Submit a deliverable: its id and the paths of its output files.",
               "properties": {"deliverable_id": {"type": "string"},
                              "paths": {"type": "array", "items": {"type": "string"}}},
               "required": ["deliverable_id", "paths"]},
}


def openai_tools() -> list[dict[str, Any]]:
    return [{"type": "function", "function": {"name": n, "description": s["description"], "parameters": {
        "type": "object", "properties": s["properties"], "required": s["required"]}}} for n, s in TOOL_SPECS.items()]


class DayOver(Exception):
    """The agent finished its day (finish_day) or used the day's turn budget."""


class BudgetExceeded(DayOver):
    """The run's turn/wall/token budget is used up: end this day cleanly, then stop."""


class ComputerLost(Exception):
    """The computer stopped answering (the simulation restores the last snapshot)."""


@dataclass
class ToolResult:
    text: str
    error: bool = False
    data: Any = None


@dataclass
class Budget:
    day_turns: int
    max_turns: int | None = None
    max_wall: float | None = None
    max_tokens: int | None = None
    used_tokens: Callable[[], int] = lambda: 0
    started: float = field(default_factory=time.monotonic)
    wall_offset: float = 0.0


class Toolbox:
    """Executes tool calls against ``computer``, logs one :class:`TurnRecord` per call."""

    def __init__(self, computer: Computer, log: Callable[[TurnRecord], None], day: int, first_turn: int,
                 budget: Budget, deliverables: set[str], redact: Callable[[str], str] = lambda s: s,
                 command_timeout: float = 60.0, actor: str = "agent"):
        self.computer, self.log, self.day, self.turn = computer, log, day, first_turn
        self.budget, self.deliverables, self.redact = budget, deliverables, redact
        self.command_timeout, self.actor = command_timeout, actor
        self.day_turns = 0
        self.submissions: dict[str, list[str]] = {}
        self.overhead_s = 0.0  # harness time per call excluding the computer's own work
        self.finished = False

    # ------------------------------------------------------------------ budget
    def check_budget(self) -> None:
        b = self.budget
        if self.finished:
            raise DayOver("day already finished")
        halted = self.computer.halted()
        if halted:
            raise BudgetExceeded(halted)
        if b.max_turns is not None and self.turn >= b.max_turns:
            raise BudgetExceeded(f"turn budget {b.max_turns} reached")
        if b.max_wall is not None and b.wall_offset + time.monotonic() - b.started >= b.max_wall:
            raise BudgetExceeded(f"wall-time budget {b.max_wall:g}s reached")
        if b.max_tokens is not None and b.used_tokens() >= b.max_tokens:
            raise BudgetExceeded(f"token budget {b.max_tokens} reached")
        if self.day_turns >= b.day_turns:
            raise DayOver(f"day turn budget {b.day_turns} used")

    # ------------------------------------------------------------------ dispatch
    def call(self, tool: str, args: dict[str, Any] | None = None, tokens: dict[str, int] | None = None,
             malformed: str | None = None) -> ToolResult:
        """Run one tool call as one turn. ``malformed`` logs an unparsable call as an error turn."""
        self.check_budget()
        args = args or {}
        t0 = time.perf_counter()
        self._work = 0.0
        if malformed is not None:
            res = ToolResult(f"error: {malformed}", error=True)
        else:
            res = self._run(tool, args)
        total = time.perf_counter() - t0
        self.turn += 1
        self.day_turns += 1
        self.log(TurnRecord(turn=self.turn, day=self.day, actor=self.actor, tool=tool,
                            args=json.loads(self.redact(json.dumps(_short_args(args)))),
                            result=self.redact(res.text[:LOG_RESULT_CHARS]), error=res.error,
                            duration_ms=round(total * 1000, 2), tokens=tokens or {}))
        self.overhead_s += max(0.0, time.perf_counter() - t0 - self._work)
        if tool == "finish_day" and not res.error:
            self.finished = True
        res.text = res.text[:AGENT_RESULT_CHARS]
        return res

    def record(self, tool: str, result: str, error: bool = False, args: dict[str, Any] | None = None) -> None:
        """Log a turn the harness observed but did not execute (external-agent days)."""
        self.turn += 1
        self.day_turns += 1
        self.log(TurnRecord(turn=self.turn, day=self.day, actor=self.actor, tool=tool, args=args or {},
                            result=self.redact(result[:LOG_RESULT_CHARS]), error=error))

    def _run(self, tool: str, args: dict[str, Any]) -> ToolResult:
        fn = getattr(self, f"t_{tool}", None)
        if fn is None or tool not in TOOL_SPECS:
            return ToolResult(f"error: unknown tool {tool!r}; tools: {', '.join(TOOL_SPECS)}", error=True)
        missing = [k for k in TOOL_SPECS[tool]["required"] if k not in args]
        if missing:
            return ToolResult(f"error: {tool} is missing argument(s): {', '.join(missing)}", error=True)
        try:
            return fn(**{k: v for k, v in args.items() if k in TOOL_SPECS[tool]["properties"]})
        except ComputerUnreachable as exc:
            if self.computer.alive():  # the provider says it runs and answers: only this call failed
                return ToolResult(f"error: {exc}", error=True)
            raise ComputerLost(str(exc)) from exc
        except (CallFailed, PathOutsideComputer, FileNotFoundError, IsADirectoryError, WorldbuilderError) as exc:
            return ToolResult(f"error: {exc}", error=True)
        except (TypeError, ValueError, KeyError, OSError) as exc:
            return ToolResult(f"error: {type(exc).__name__}: {exc}", error=True)

    def _exec(self, cmd: str):
        t = time.perf_counter()
        try:
            return self.computer.exec(cmd, timeout=self.command_timeout)
        finally:
            self._work += time.perf_counter() - t

    def _io(self, fn, *a):
        t = time.perf_counter()
        try:
            return fn(*a)
        finally:
            self._work += time.perf_counter() - t

    # ------------------------------------------------------------------ tools
    def t_shell(self, cmd: str) -> ToolResult:
        r = self._exec(str(cmd))
        text = f"exit {r.exit_code}\n{r.stdout}" + (f"\n[stderr]\n{r.stderr}" if r.stderr.strip() else "")
        return ToolResult(text, error=not r.ok)

    def t_read_file(self, path: str) -> ToolResult:
        data = self._io(self.computer.read, str(path), READ_FILE_CAP)
        ext = posixpath.splitext(str(path))[1].lstrip(".").lower()
        try:
            text = extract_text(str(path), data) if ext in DOC_TYPES else data.decode("utf-8", errors="replace")
        except Exception as exc:  # a corrupt document is an error result, not a crash
            return ToolResult(f"error: cannot extract text from {path}: {type(exc).__name__}: {exc}", error=True)
        return ToolResult(text, data=text)

    def t_write_file(self, path: str, content: str) -> ToolResult:
        self._io(self.computer.write, str(path), str(content).encode())
        return ToolResult(f"wrote {path} ({len(str(content).encode())} bytes)")

    def t_make_document(self, path: str, kind: str, spec: Any) -> ToolResult:
        if kind not in ("docx", "xlsx", "pptx"):
            return ToolResult(f"error: kind must be docx, xlsx or pptx (got {kind!r})", error=True)
        if isinstance(spec, str):
            spec = json.loads(spec)
        tmp = f".cache/wb-mkdoc-{self.turn}.json"
        self._io(self.computer.write, tmp, json.dumps(spec).encode())
        r = self._exec(f"python3 .local/bin/mkdoc {kind} {shlex.quote(str(path))} < {tmp}; s=$?; rm -f {tmp}; exit $s")
        return ToolResult((r.stdout + r.stderr).strip(), error=not r.ok)

    def t_send_message(self, to: str, subject: str, body: str) -> ToolResult:
        tmp = f".cache/wb-msg-{self.turn}.txt"
        self._io(self.computer.write, tmp, str(body).encode())
        r = self._exec(f"python3 .local/bin/msg send --to {shlex.quote(str(to))} --subject {shlex.quote(str(subject))}"
                       f" --body - < {tmp}; s=$?; rm -f {tmp}; exit $s")
        return ToolResult((r.stdout + r.stderr).strip(), error=not r.ok)

    def t_read_inbox(self) -> ToolResult:
        r = self._exec(f"python3 -c {shlex.quote(_READ_INBOX)}")
        if not r.ok:
            return ToolResult(f"error: {r.stderr.strip()[:300]}", error=True)
        msgs = json.loads(r.stdout or "[]")
        text = "\n\n".join(f"[{m.get('id')}] day {m.get('day')} from {m.get('from_name')} ({m.get('from_id')}): "
                           f"{m.get('subject')}\n{m.get('body')}" for m in msgs) or "(no unread messages)"
        return ToolResult(text, data=msgs)

    def t_finish_day(self) -> ToolResult:
        return ToolResult(f"day {self.day} finished")

    def t_submit(self, deliverable_id: str, paths: list[str]) -> ToolResult:
        if deliverable_id not in self.deliverables:
            return ToolResult(f"error: unknown deliverable {deliverable_id!r}", error=True)
        if isinstance(paths, str):
            paths = [paths]
        if not paths:
            return ToolResult("error: no paths given", error=True)
        quoted = " ".join(shlex.quote(str(p)) for p in paths)
        r = self._exec(f"for p in {quoted}; do [ -f \"$p\" ] || echo \"$p\"; done")
        missing = [m for m in r.stdout.splitlines() if m]
        if missing:
            return ToolResult(f"error: not found in the computer: {', '.join(missing)}", error=True)
        self.submissions[deliverable_id] = [str(p) for p in paths]
        return ToolResult(f"submitted {deliverable_id}: {', '.join(map(str, paths))}")


def _short_args(args: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in args.items():
        s = v if isinstance(v, str) else json.dumps(v, default=str)
        out[k] = s[:500] + f"... [{len(s)} chars]" if len(s) > 500 else v
    return out
