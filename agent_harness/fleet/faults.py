"""Which failures are worth retrying, and how long to wait before the next attempt."""

from __future__ import annotations

from worldbuilder.errors import CommandTimeout, ComputerUnreachable, EngineUnavailable

TRANSIENT_TYPES: tuple[type[BaseException], ...] = (EngineUnavailable, ComputerUnreachable, CommandTimeout,
                                                    ConnectionError, TimeoutError)
TRANSIENT_WORDS = ("timed out", "timeout", "busy", "try again", "temporarily", "connection reset",
                   "connection refused", "ssh not ready", "no route", "resource temporarily unavailable",
                   "computerlost", "computerunreachable", "deadline")


def is_transient(exc: BaseException) -> bool:
    """Daemon busy/unreachable, SSH not yet ready, a dead computer: retry. Bad input, bugs: do not."""
    if isinstance(exc, TRANSIENT_TYPES):
        return True
    text = f"{type(exc).__name__}: {exc}".lower()
    return any(w in text for w in TRANSIENT_WORDS)


def backoff(base: float, failures: int) -> float:
    """Seconds to wait before the attempt that follows ``failures`` failed ones (exponential, capped)."""
    return min(300.0, base * 2 ** max(0, failures - 1))


def cause(error: str | None) -> str:
    """The failure's cause for grouping in reports: the exception type name."""
    if not error:
        return "unknown"
    head = error.split(":", 1)[0].strip()
    return head if head.replace("_", "").isalnum() else "error"
