"""A scripted, real-HTTP OpenAI chat-completions server for tests (no LLM, no network).

It speaks enough of the OpenAI API for the ``openai`` package and any other client:

* ``POST /v1/chat/completions`` (also ``/chat/completions``): real response schema (``id``, ``object``,
  ``created`` (fixed), ``model``, ``choices[{index, message{role, content, tool_calls?}, finish_reason}]``,
  ``usage{prompt_tokens, completion_tokens, total_tokens}``);
* ``GET /v1/models`` (also ``/models``).

What it answers is decided by a *handler*: ``Callable[[dict], Reply | str | dict]`` receiving the request
JSON (``model``, ``messages``, ``tools``, ``response_format``...). A ``str`` return is the reply text, a
``dict``/list is sent as JSON text, a :class:`Reply` can also be tool calls, an HTTP error, a delay or a
raw (malformed) body::

    from scripted_llm import Reply, ScriptedLLM, route, sequence

    with ScriptedLLM(sequence([
        Reply.tools([("read_file", {"path": "notes.md"})]),     # turn 1: one tool call
        Reply.tools([("write_file", '{"path": broken')]),       # turn 2: malformed arguments string
        Reply.error(429, retry_after=0),                        # turn 3: rate limited (Retry-After: 0)
        Reply.text("done"),                                     # turn 4: final answer
    ])) as server:
        client = openai.OpenAI(base_url=server.url, api_key="sk-test")
        ...
        assert server.count == 4 and server.requests[0].body["tools"]

* :func:`sequence` consumes replies in order (then ``then``, or a 500 once exhausted);
* :func:`route` picks a handler/reply by the first marker (substring) found in the messages' text;
* ``Reply.delayed(2.0, reply)`` sleeps before answering (client timeouts), ``Reply.raw(b"{oops")`` sends a
  malformed body with status 200, ``Reply.error(500, "boom")`` an OpenAI-style error object;
* ``server.requests`` records every request (``path``, ``headers``, ``body``); ``expect_api_key="sk-x"``
  makes the server answer 401 to any other ``Authorization`` header, and ``server.assert_auth("sk-x")``
  checks the recorded headers afterwards;
* handler exceptions become a 500 and are kept in ``server.errors`` (``server.close()`` does not raise).

As a pytest fixture (registered in ``tests/conftest.py``, so every test can ask for it):
``def test_x(scripted_llm_server): scripted_llm_server.handler = sequence([...])`` (default handler:
answers ``"ok"``). The ``tests/`` folder is on ``sys.path`` under pytest's default import mode, so test
modules can ``from scripted_llm import Reply, ScriptedLLM, route, sequence``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

CREATED = 1_700_000_000  # fixed "created" timestamp so responses are byte-stable


@dataclass
class ToolCall:
    name: str
    arguments: str  # the raw JSON string the model produced (may be malformed on purpose)
    id: str | None = None


@dataclass
class Reply:
    """One scripted answer. Build with the class methods rather than by hand."""

    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    status: int = 200
    body: bytes | None = None  # raw body: sent verbatim instead of a completion (errors, malformed)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    finish_reason: str | None = None
    usage: tuple[int, int] | None = None  # (prompt_tokens, completion_tokens); estimated when None

    @classmethod
    def text(cls, content: str, **kw: Any) -> Reply:
        return cls(content=content, **kw)

    @classmethod
    def json(cls, obj: Any, **kw: Any) -> Reply:
        return cls(content=json.dumps(obj), **kw)

    @classmethod
    def tools(cls, calls: Iterable[tuple[str, str | Mapping[str, Any]] | ToolCall],
              content: str | None = None) -> Reply:
        """Tool calls: ``(name, arguments)`` pairs; a dict is JSON-encoded, a str is sent as is."""
        out = []
        for c in calls:
            if isinstance(c, ToolCall):
                out.append(c)
            else:
                name, args = c
                out.append(ToolCall(name, args if isinstance(args, str) else json.dumps(args)))
        return cls(content=content, tool_calls=out)

    @classmethod
    def error(cls, status: int, message: str = "scripted error", retry_after: float | None = None,
              headers: Mapping[str, str] | None = None) -> Reply:
        """An OpenAI-style error object with ``status`` (429 with ``retry_after`` sets Retry-After)."""
        body = json.dumps({"error": {"message": message, "type": "scripted_error", "param": None,
                                     "code": str(status)}}).encode()
        hdrs = dict(headers or {})
        if retry_after is not None:
            hdrs["Retry-After"] = f"{retry_after:g}"
        return cls(status=status, body=body, headers=hdrs)

    @classmethod
    def raw(cls, body: bytes | str, status: int = 200, content_type: str = "application/json") -> Reply:
        """A raw body, e.g. malformed JSON with status 200."""
        data = body.encode() if isinstance(body, str) else body
        return cls(status=status, body=data, headers={"Content-Type": content_type})

    @classmethod
    def delayed(cls, seconds: float, reply: Reply | str) -> Reply:
        r = as_reply(reply)
        r.delay = seconds
        return r


HandlerResult = Reply | str | dict | list
Handler = Callable[[dict], HandlerResult]


def as_reply(result: HandlerResult) -> Reply:
    if isinstance(result, Reply):
        return result
    if isinstance(result, str):
        return Reply.text(result)
    if isinstance(result, dict | list):
        return Reply.json(result)
    raise TypeError(f"handler returned {type(result).__name__}, expected Reply, str, dict or list")


def sequence(replies: Iterable[HandlerResult | Handler], then: HandlerResult | Handler | None = None) -> Handler:
    """A handler answering with ``replies`` in order; afterwards ``then`` (or a 500 'exhausted')."""
    queue = list(replies)
    lock = threading.Lock()

    def handler(request: dict) -> HandlerResult:
        with lock:
            item = queue.pop(0) if queue else then
        if item is None:
            raise RuntimeError("scripted sequence exhausted")
        return item(request) if callable(item) else item

    return handler


def message_text(request: dict) -> str:
    """All text of a request's messages (string contents and text parts), joined by newlines."""
    parts: list[str] = []
    for m in request.get("messages", []):
        c = m.get("content")
        if isinstance(c, str):
            parts.append(c)
        elif isinstance(c, list):
            parts.extend(p.get("text", "") for p in c if isinstance(p, dict))
    return "\n".join(parts)


def route(routes: Mapping[str, HandlerResult | Handler], default: HandlerResult | Handler | None = None,
          where: Callable[[dict], str] = message_text) -> Handler:
    """Dispatch on the first marker (in ``routes`` order) that occurs in ``where(request)``."""

    def handler(request: dict) -> HandlerResult:
        text = where(request)
        target = next((t for marker, t in routes.items() if marker in text), default)
        if target is None:
            raise RuntimeError(f"no route matches request: {text[:120]!r}")
        return target(request) if callable(target) else target

    return handler


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any  # parsed JSON (or the raw text when it is not JSON)


class ScriptedLLM:
    """The server. ``url`` is the base URL to give clients (ends in ``/v1``)."""

    def __init__(self, handler: Handler | None = None, *, expect_api_key: str | None = None,
                 models: Iterable[str] = ("scripted-model",)) -> None:
        self.handler: Handler = handler or (lambda request: "ok")
        self.expect_api_key = expect_api_key
        self.models = list(models)
        self.requests: list[RecordedRequest] = []
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._counter = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler_class(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="scripted-llm", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ public
    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def count(self) -> int:
        """Number of chat-completion requests received."""
        return len(self.chat_requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.errors.clear()

    def assert_auth(self, api_key: str) -> None:
        """Every recorded request carried ``Authorization: Bearer <api_key>``."""
        with self._lock:
            bad = [r.headers.get("authorization") for r in self.requests
                   if r.headers.get("authorization") != f"Bearer {api_key}"]
        assert not bad, f"{len(bad)} request(s) without the expected Authorization header"

    def close(self) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedLLM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _record(self, req: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(req)

    def _next_id(self) -> int:
        with self._lock:
            self._counter += 1
            return self._counter

    def _completion(self, request: dict, reply: Reply) -> dict:
        n = self._next_id()
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.tool_calls:
            message["tool_calls"] = [
                {"id": tc.id or f"call_{n}_{i}", "type": "function",
                 "function": {"name": tc.name, "arguments": tc.arguments}}
                for i, tc in enumerate(reply.tool_calls)]
        finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
        if reply.usage is not None:
            prompt, completion = reply.usage
        else:  # rough, deterministic estimate: 4 characters per token
            prompt = max(1, len(json.dumps(request.get("messages", []))) // 4)
            completion = max(1, len(json.dumps(message)) // 4)
        return {
            "id": f"chatcmpl-scripted-{n}", "object": "chat.completion", "created": CREATED,
            "model": request.get("model", "scripted-model"), "system_fingerprint": "fp_scripted",
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "total_tokens": prompt + completion},
        }


def _make_handler_class(server: ScriptedLLM) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                hdrs = {"Content-Type": "application/json", **(headers or {})}
                for k, v in hdrs.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                pass

        def _send_json(self, status: int, obj: Any) -> None:
            self._send(status, json.dumps(obj).encode())

        def _read_body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            try:
                return json.loads(raw) if raw else None
            except ValueError:
                return raw

        def _authorised(self) -> bool:
            if server.expect_api_key is None:
                return True
            if self.headers.get("Authorization") == f"Bearer {server.expect_api_key}":
                return True
            self._send_json(401, {"error": {"message": "Incorrect API key provided", "type":
                                            "invalid_request_error", "param": None, "code": "invalid_api_key"}})
            return False

        def do_GET(self) -> None:  # noqa: N802
            server._record(RecordedRequest("GET", self.path, _lower(self.headers), None))
            if self.path.rstrip("/") not in ("/v1/models", "/models"):
                return self._send_json(404, {"error": {"message": f"unknown path {self.path}"}})
            if self._authorised():
                self._send_json(200, {"object": "list", "data": [
                    {"id": m, "object": "model", "created": CREATED, "owned_by": "scripted"}
                    for m in server.models]})

        def do_POST(self) -> None:  # noqa: N802
            body = self._read_body()
            server._record(RecordedRequest("POST", self.path, _lower(self.headers), body))
            if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
                return self._send_json(404, {"error": {"message": f"unknown path {self.path}"}})
            if not self._authorised():
                return
            if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
                return self._send_json(400, {"error": {"message": "body must be JSON with 'messages'"}})
            try:
                reply = as_reply(server.handler(body))
            except Exception as exc:  # a broken script is a 500 the test can see in server.errors
                server.errors.append(exc)
                return self._send_json(500, {"error": {"message": f"scripted handler failed: {exc}"}})
            if reply.delay and server._closing.wait(reply.delay):
                return
            if reply.body is not None:
                return self._send(reply.status, reply.body, reply.headers)
            self._send(reply.status, json.dumps(server._completion(body, reply)).encode(), reply.headers)

    return _Handler


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


@pytest.fixture
def scripted_llm_server():
    """A running :class:`ScriptedLLM` (set ``.handler``); closed after the test."""
    with ScriptedLLM() as server:
        yield server
