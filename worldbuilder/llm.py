"""A small client for OpenAI-compatible chat-completion APIs: retries, JSON output, on-disk cache, usage.

The API key is read from the environment at call time (``config.api_key_env``, then ``OPENAI_API_KEY``)
and never stored: not in :class:`LLMConfig`, its dumps and reprs, cache files, specs or logs.

Responses are cached on disk under ``cache_dir`` keyed by the sha256 of the canonical request (model,
messages, tools, tool_choice, response_format, temperature, seed), so rerunning the same generation makes
no requests and replays the same answers. Usage counts include cached answers (they are *logical* calls,
so specs stay byte-identical across reruns); ``LLMClient.requests`` counts real HTTP requests.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from worldbuilder.errors import GenerationError

log = logging.getLogger(__name__)

DEFAULT_KEY_ENV = "WORLDBUILDER_LLM_API_KEY"
FALLBACK_KEY_ENV = "OPENAI_API_KEY"
DEFAULT_CACHE = Path("~/.cache/worldbuilder/llm")
CACHE_VERSION = 1
RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class LLMConfig(BaseModel):
    """How to reach the model. Holds the *name* of the API-key variable, never the key."""

    model_config = ConfigDict(extra="forbid")

    model: str
    base_url: str | None = None  # None: the official OpenAI endpoint
    api_key_env: str = DEFAULT_KEY_ENV
    timeout: float = Field(120.0, gt=0)  # seconds per request
    max_retries: int = Field(5, ge=0)  # transport retries (429, 5xx, timeouts, connection errors)
    json_attempts: int = Field(3, ge=1)  # attempts at a schema-valid JSON answer (invalid output is fed back)
    concurrency: int = Field(4, ge=1, le=64)
    temperature: float = 0.7
    seed: int | None = None
    json_mode: bool = True  # send response_format={"type": "json_object"} for JSON requests
    cache: bool = True
    cache_dir: Path = DEFAULT_CACHE
    backoff_base: float = 1.0  # seconds; doubled per attempt, with jitter
    backoff_max: float = 60.0

    @classmethod
    def from_env(cls, model: str, base_url: str | None = None, cache_dir: Path | str | None = None,
                 **overrides: Any) -> LLMConfig:
        """Config from arguments, falling back to environment variables: ``WORLDBUILDER_LLM_BASE_URL`` (or
        ``OPENAI_BASE_URL``), ``WORLDBUILDER_LLM_CACHE``, ``WORLDBUILDER_LLM_{CONCURRENCY,TIMEOUT,MAX_RETRIES,
        TEMPERATURE,JSON_MODE}``. A bad value is a one-line GenerationError."""
        env = os.environ
        base_url = base_url or env.get("WORLDBUILDER_LLM_BASE_URL") or env.get("OPENAI_BASE_URL") or None
        cache_dir = cache_dir or env.get("WORLDBUILDER_LLM_CACHE") or DEFAULT_CACHE
        values: dict[str, Any] = {"model": model, "base_url": base_url, "cache_dir": Path(cache_dir)}
        for field, var in (("concurrency", "WORLDBUILDER_LLM_CONCURRENCY"), ("timeout", "WORLDBUILDER_LLM_TIMEOUT"),
                           ("max_retries", "WORLDBUILDER_LLM_MAX_RETRIES"),
                           ("temperature", "WORLDBUILDER_LLM_TEMPERATURE"),
                           ("json_mode", "WORLDBUILDER_LLM_JSON_MODE")):
            if env.get(var):
                values[field] = env[var]
        try:
            return cls(**{**values, **overrides})
        except ValidationError as exc:
            raise GenerationError(f"invalid LLM configuration: {_first_error(exc)}") from exc

    def api_key(self) -> str | None:
        """The key from the environment (read now, never stored)."""
        return os.environ.get(self.api_key_env) or os.environ.get(FALLBACK_KEY_ENV) or None

    def safe_base_url(self) -> str:
        """``base_url`` with any user:password and query string removed (for logs and errors)."""
        if not self.base_url:
            return "https://api.openai.com/v1"
        parts = urlsplit(self.base_url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    def cache_path(self) -> Path:
        return Path(self.cache_dir).expanduser()


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    calls: int = 0  # chat completions (cached answers included)

    def __add__(self, other: Usage) -> Usage:
        return Usage(prompt_tokens=self.prompt_tokens + other.prompt_tokens,
                     completion_tokens=self.completion_tokens + other.completion_tokens,
                     total_tokens=self.total_tokens + other.total_tokens, calls=self.calls + other.calls)


class ToolCall(BaseModel):
    id: str
    name: str
    arguments: str  # raw JSON text from the model; may be malformed


class ChatResult(BaseModel):
    content: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage = Field(default_factory=Usage)
    cached: bool = False

    def message(self) -> dict[str, Any]:
        """This answer as an assistant message, to append to the conversation."""
        msg: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            msg["tool_calls"] = [{"id": t.id, "type": "function",
                                  "function": {"name": t.name, "arguments": t.arguments}} for t in self.tool_calls]
        return msg


class InvalidOutput(GenerationError):
    """The model kept answering with invalid JSON; ``usage`` is what the attempts cost."""

    def __init__(self, message: str, usage: Usage) -> None:
        super().__init__(message)
        self.usage = usage


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


# --------------------------------------------------------------------------- cache


class ResponseCache:
    """One JSON file per request hash; atomic writes, corrupt entries ignored."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> ChatResult | None:
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != CACHE_VERSION or data.get("key") != key:
                return None
            return ChatResult.model_validate(data["response"]).model_copy(update={"cached": True})
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            log.warning("ignoring corrupt LLM cache entry %s", path)
            return None

    def put(self, key: str, model: str, result: ChatResult) -> None:
        path = self._path(key)
        record = {"version": CACHE_VERSION, "key": key, "model": model,
                  "response": result.model_dump(mode="json", exclude={"cached"})}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(record, ensure_ascii=False, sort_keys=True), encoding="utf-8")
            tmp.replace(path)
        except OSError as exc:  # a read-only cache must not break generation
            log.warning("cannot write LLM cache entry %s: %s", path, exc)


def request_key(request: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a request (no key, no URL)."""
    canon = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"v{CACHE_VERSION}\x1f{canon}".encode()).hexdigest()


# --------------------------------------------------------------------------- client


class LLMClient:
    """Chat completions with retries, caching and usage accounting. Thread-safe."""

    def __init__(self, config: LLMConfig, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.cache = ResponseCache(config.cache_path()) if config.cache else None
        self.usage: dict[str, Usage] = {}  # per role/stage, cached answers included (``calls`` counts them)
        self.requests = 0  # real HTTP requests made
        self._sleep = sleep
        self._lock = threading.Lock()
        self._client: Any = None

    def __repr__(self) -> str:
        return f"LLMClient(model={self.config.model!r}, base_url={self.config.safe_base_url()!r})"

    # ------------------------------------------------------------------ public
    def chat(self, messages: list[dict[str, Any]], *, tools: list[dict[str, Any]] | None = None,
             tool_choice: Any = None, response_format: dict[str, Any] | None = None,
             temperature: float | None = None, seed: int | None = None, role: str = "default") -> ChatResult:
        """One chat completion (cached; transport errors retried with backoff). ``seed`` overrides the config's."""
        request: dict[str, Any] = {
            "model": self.config.model, "messages": messages,
            "temperature": self.config.temperature if temperature is None else temperature}
        for name, value in (("tools", tools), ("tool_choice", tool_choice),
                            ("response_format", response_format),
                            ("seed", self.config.seed if seed is None else seed)):
            if value is not None:
                request[name] = value
        key = request_key(request)
        result = self.cache.get(key) if self.cache else None
        if result is None:
            result = self._request_with_retries(request, key)
            if self.cache:
                self.cache.put(key, self.config.model, result)
        self._account(role, result.usage)
        return result

    def chat_json(self, messages: list[dict[str, Any]], schema: type[M], *, role: str = "default",
                  temperature: float | None = None, seed: int | None = None,
                  attempts: int | None = None) -> tuple[M, Usage]:
        """Ask for a JSON object valid against ``schema``; invalid answers are fed back and retried."""
        attempts = attempts or self.config.json_attempts
        convo = with_schema_instruction(messages, schema)
        fmt = {"type": "json_object"} if self.config.json_mode else None
        total = Usage()
        error = "no attempt made"
        for _ in range(max(1, attempts)):
            result = self.chat(convo, response_format=fmt, temperature=temperature, seed=seed, role=role)
            total = total + result.usage
            try:
                return parse_json_reply(result.content or "", schema), total
            except ValueError as exc:
                error = str(exc)
                convo = [*convo, {"role": "assistant", "content": result.content or ""},
                         {"role": "user", "content": f"That answer was invalid: {error}\n"
                          "Reply again with only the corrected JSON object."}]
        raise InvalidOutput(f"{self.config.model} gave no valid {schema.__name__} after {attempts} "
                            f"attempt(s): {error}", total)

    def map(self, fn: Callable[[T], Any], items: Iterable[T]) -> list[Any]:
        """``[fn(x) for x in items]`` with at most ``config.concurrency`` in flight; order preserved."""
        items = list(items)
        workers = max(1, min(self.config.concurrency, len(items)))
        if workers == 1:
            return [fn(x) for x in items]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llm") as pool:
            return list(pool.map(fn, items))

    def total_usage(self) -> Usage:
        with self._lock:
            return sum(self.usage.values(), Usage())

    # ------------------------------------------------------------------ internals
    def _account(self, role: str, usage: Usage) -> None:
        with self._lock:
            self.usage[role] = self.usage.get(role, Usage()) + usage

    def _openai(self) -> Any:
        with self._lock:
            if self._client is None:
                import openai

                key = self.config.api_key()
                if key is None and not self.config.base_url:
                    raise GenerationError(f"no API key: set {self.config.api_key_env} or {FALLBACK_KEY_ENV}")
                self._client = openai.OpenAI(base_url=self.config.base_url, api_key=key or "unused",
                                             timeout=self.config.timeout, max_retries=0)
            return self._client

    def _request_with_retries(self, request: dict[str, Any], key: str) -> ChatResult:
        client = self._openai()
        tries = self.config.max_retries + 1
        for attempt in range(tries):
            with self._lock:
                self.requests += 1
            try:
                return self._request_once(client, request)
            except _Retryable as exc:
                if attempt + 1 >= tries:
                    raise GenerationError(self._redact(
                        f"LLM request to {self.config.safe_base_url()} failed after {tries} attempt(s): {exc}"
                    )) from None
                delay = self._backoff(attempt, key, exc.retry_after)
                log.info("LLM request failed (%s); retrying in %.2fs", self._redact(str(exc)), delay)
                self._sleep(delay)
        raise AssertionError("unreachable")

    def _request_once(self, client: Any, request: dict[str, Any]) -> ChatResult:
        import openai

        try:
            resp = client.chat.completions.create(**request)
        except openai.APIStatusError as exc:
            reason = f"HTTP {exc.status_code}: {_one_line(_error_message(exc))}"
            if exc.status_code in RETRY_STATUS or exc.status_code >= 500:
                raise _Retryable(reason, retry_after(exc.response.headers)) from None
            raise GenerationError(self._redact(f"LLM request to {self.config.safe_base_url()} rejected: "
                                               f"{reason}")) from None
        except openai.APITimeoutError:
            raise _Retryable(f"timed out after {self.config.timeout:g}s") from None
        except openai.APIConnectionError as exc:
            raise _Retryable(f"connection error: {_one_line(str(exc.__cause__ or exc))}") from None
        except ValueError as exc:  # malformed response body
            raise _Retryable(f"malformed response: {_one_line(str(exc))}") from None
        return self._result(resp)

    @staticmethod
    def _result(resp: Any) -> ChatResult:
        choices = getattr(resp, "choices", None)
        if not choices or getattr(choices[0], "message", None) is None:
            raise _Retryable("response has no choices")
        msg = choices[0].message
        calls = [ToolCall(id=t.id or f"call_{i}", name=t.function.name, arguments=t.function.arguments or "")
                 for i, t in enumerate(msg.tool_calls or []) if getattr(t, "function", None)]
        u = resp.usage
        usage = Usage(prompt_tokens=getattr(u, "prompt_tokens", 0) or 0,
                      completion_tokens=getattr(u, "completion_tokens", 0) or 0,
                      total_tokens=getattr(u, "total_tokens", 0) or 0, calls=1) if u else Usage(calls=1)
        return ChatResult(content=msg.content, tool_calls=calls, finish_reason=choices[0].finish_reason,
                          usage=usage)

    def _backoff(self, attempt: int, key: str, retry_after_s: float | None) -> float:
        if retry_after_s is not None:
            return min(max(0.0, retry_after_s), max(self.config.backoff_max, 0.0))
        jitter = random.Random(f"{key}:{attempt}").uniform(0.5, 1.0)  # deterministic
        return min(self.config.backoff_max, self.config.backoff_base * 2 ** attempt) * jitter

    def _redact(self, text: str) -> str:
        key = self.config.api_key()
        if key and len(key) >= 4:
            text = text.replace(key, "***")
        return text


# --------------------------------------------------------------------------- JSON helpers

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.S)


def with_schema_instruction(messages: list[dict[str, Any]], schema: type[BaseModel]) -> list[dict[str, Any]]:
    """A copy of ``messages`` whose last user message asks for JSON matching ``schema``."""
    text = ("\n\nReply with only one JSON object (no prose, no code fences) that validates against this "
            f"JSON Schema:\n{json.dumps(schema.model_json_schema(), separators=(',', ':'))}")
    out = [dict(m) for m in messages]
    idx = max((i for i, m in enumerate(out) if m.get("role") == "user"), default=None)
    if idx is None or not isinstance(out[idx].get("content"), str):
        return [*out, {"role": "user", "content": text.strip()}]
    out[idx]["content"] = out[idx]["content"] + text
    return out


def extract_json(text: str) -> Any:
    """The JSON value in a model's answer: bare, inside ```json fences, or the outermost {...}."""
    candidates = [text.strip()]
    candidates += [m.strip() for m in _FENCE.findall(text)]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start:end + 1])
    error = "empty answer"
    for cand in candidates:
        if not cand:
            continue
        try:
            return json.loads(cand)
        except ValueError as exc:
            error = f"not valid JSON ({exc})"
    raise ValueError(error)


def parse_json_reply(text: str, schema: type[M]) -> M:
    """Extract and validate; raises ValueError with a short, model-readable message."""
    data = extract_json(text)
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"schema validation failed: {_first_error(exc, limit=5)}") from None


def _first_error(exc: ValidationError, limit: int = 1) -> str:
    parts = []
    for err in exc.errors()[:limit]:
        loc = ".".join(str(p) for p in err.get("loc", ())) or "(root)"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    more = len(exc.errors()) - limit
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def retry_after(headers: Any) -> float | None:
    """Seconds from ``retry-after-ms`` / ``Retry-After`` (seconds or an HTTP date), if present."""
    try:
        if headers.get("retry-after-ms"):
            return float(headers["retry-after-ms"]) / 1000
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return float(value)
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, AttributeError):
        return None


def _error_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(getattr(exc, "message", exc))


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[:limit - 3] + "..."
