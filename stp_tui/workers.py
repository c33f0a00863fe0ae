"""Helpers for the thread workers every screen runs its network calls in.

A worker never lets an exception out: a failing read is reported as a notification and retried with
exponential backoff (``Retry``); a cancelled worker (its screen was closed) stops at the next wait.
"""

from __future__ import annotations

import time
from typing import Any, Callable, TypeVar

from textual.worker import get_current_worker

from stp_tui.backend import problem_text

T = TypeVar("T")


class Cancelled(Exception):
    """The worker was cancelled while waiting or retrying."""


def cancelled() -> bool:
    try:
        return get_current_worker().is_cancelled
    except Exception:  # noqa: BLE001 - not in a worker
        return False


def sleep(seconds: float) -> None:
    """Sleep in small steps; raise Cancelled as soon as the worker is cancelled."""
    deadline = time.monotonic() + seconds
    while True:
        if cancelled():
            raise Cancelled()
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(0.05, left))


def notify(app, message: str, *, severity: str = "information", timeout: float = 5.0, title: str = "") -> None:
    """App.notify from a worker thread (or the loop); quietly nothing once the app has stopped."""
    try:
        if app._thread_id == __import__("threading").get_ident():
            app.notify(message, severity=severity, timeout=timeout, title=title)
        else:
            app.call_from_thread(app.notify, message, severity=severity, timeout=timeout, title=title)
    except Exception:  # noqa: BLE001 - the app is closing
        pass


class Retry:
    """Call a read until it works: each failure is notified, then retried after 1, 2, 4 … ``cap`` seconds."""

    BASE = 1.0
    CAP = 30.0

    def __init__(self, app, what: str, base: float | None = None, cap: float | None = None):
        self.app = app
        self.what = what
        self.base = self.BASE if base is None else base
        self.cap = self.CAP if cap is None else cap
        self.failing = False
        self.failures = 0

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        delay = self.base
        while True:
            if cancelled():
                raise Cancelled()
            try:
                result = fn(*args, **kwargs)
            except Cancelled:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure of a read: report it and try again
                self.failures += 1
                self.failing = True
                notify(self.app, f"{problem_text(exc)}\nretrying in {delay:g}s", severity="error",
                       timeout=min(10.0, max(3.0, delay)), title=self.what)
                sleep(delay)
                delay = min(self.cap, delay * 2)
                continue
            if self.failing:
                self.failing = False
                notify(self.app, "working again", title=self.what, timeout=3.0)
            return result


def safely(app, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """One attempt of an action (a mutation is never retried blindly): a failure becomes a notification."""
    try:
        return fn(*args, **kwargs)
    except Cancelled:
        raise
    except Exception as exc:  # noqa: BLE001
        notify(app, problem_text(exc), severity="error", timeout=10.0, title=what)
        return None
