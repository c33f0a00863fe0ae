"""The log pane: textual's Log (lines written in batches, capped at ``max_lines``) with coloured
container prefixes, level words, search matches and the current match line highlighted.

A line is ``HH:MM:SS.mmm container/task  message``; a JSON message is shown as ``LEVEL message``.
Formatting happens off the event loop (``LogRecord`` from ``record``); the widget only joins strings.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import NamedTuple

from rich.highlighter import Highlighter
from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.strip import Strip
from textual.widgets import Log

PALETTE = ("bright_cyan", "bright_magenta", "bright_yellow", "bright_green", "bright_blue", "cyan", "magenta",
           "yellow", "green", "blue")
LEVELS = ("ERROR", "WARN", "INFO", "DEBUG")
_LEVEL_WORDS = re.compile(r"\b(FATAL|CRITICAL|ERROR|ERR|SEVERE|PANIC|WARNING|WARN|INFO|DEBUG|TRACE)\b")
_LEVEL_OF = {"FATAL": "ERROR", "CRITICAL": "ERROR", "ERROR": "ERROR", "ERR": "ERROR", "SEVERE": "ERROR",
             "PANIC": "ERROR", "WARNING": "WARN", "WARN": "WARN", "INFO": "INFO", "DEBUG": "DEBUG", "TRACE": "DEBUG",
             "NOTICE": "INFO", "INFORMATION": "INFO", "ALERT": "ERROR", "EMERGENCY": "ERROR", "EMERG": "ERROR",
             "CRIT": "ERROR", "DBG": "DEBUG", "WRN": "WARN", "INF": "INFO", "ERRO": "ERROR"}
_LEVEL_STYLE = {"ERROR": Style(color="red", bold=True), "WARN": Style(color="yellow", bold=True),
                "INFO": Style(color="green"), "DEBUG": Style(dim=True)}
_HEX = re.compile(r"[0-9a-f]{32}")
TIME_WIDTH = 12


class LogRecord(NamedTuple):
    ts: int  # ms since the epoch
    time: str  # HH:MM:SS.mmm (UTC)
    label: str  # container/task
    container: str
    task: str
    level: str  # ERROR | WARN | INFO | DEBUG | ""
    text: str  # the message as shown


def _level_word(value) -> str:
    if isinstance(value, (int, float)):  # pino/bunyan numbers
        return "ERROR" if value >= 50 else "WARN" if value >= 40 else "INFO" if value >= 30 else "DEBUG"
    return _LEVEL_OF.get(str(value).strip().upper(), "")


def parse_message(message: str) -> tuple[str, str]:
    """(level, text): JSON lines become ``LEVEL message``; plain lines keep their text and a level word if any."""
    message = message.rstrip("\n")
    stripped = message.lstrip()
    if stripped.startswith("{") and stripped.endswith("}"):
        try:
            data = json.loads(stripped)
        except ValueError:
            data = None
        if isinstance(data, dict):
            level = ""
            for key in ("level", "lvl", "severity", "levelname", "log.level", "loglevel", "@l"):
                if key in data:
                    level = _level_word(data[key])
                    break
            text = None
            for key in ("message", "msg", "@m", "@mt", "event", "text", "error"):
                if isinstance(data.get(key), str):
                    text = data[key]
                    break
            if text is None:
                text = stripped
            return level, (f"{level or 'LOG'} {text}")
    m = _LEVEL_WORDS.search(message[:200])
    return (_LEVEL_OF.get(m.group(1), "") if m else ""), message


def task_of(stream: str) -> str:
    last = stream.rsplit("/", 1)[-1]
    if "]" in last:  # Lambda: 2024/05/01/[$LATEST]0123abcd…
        last = last.rsplit("]", 1)[-1]
    if _HEX.fullmatch(last) or len(last) > 12:
        last = last[:8]
    return last


def record(ts: int, container: str, stream: str, message: str) -> LogRecord:
    sec, milli = divmod(ts, 1000)
    when = datetime.fromtimestamp(sec, timezone.utc).strftime("%H:%M:%S")
    task = task_of(stream)
    level, text = parse_message(message)
    return LogRecord(ts, f"{when}.{milli:03d}", f"{container}/{task}" if task else container, container, task, level,
                     text)


def format_line(rec: LogRecord, width: int) -> str:
    return f"{rec.time} {rec.label.ljust(width)} {rec.text}"


class LogHighlighter(Highlighter):
    """Styles a formatted line: dim time, the prefix in its container's colour, level words, search matches."""

    def __init__(self) -> None:
        self.colors: dict[str, str] = {}
        self.search: re.Pattern | None = None

    def color_of(self, container: str) -> str:
        found = self.colors.get(container)
        if found is None:
            found = self.colors[container] = PALETTE[len(self.colors) % len(PALETTE)]
        return found

    def highlight(self, text: Text) -> None:
        plain = text.plain
        if len(plain) <= TIME_WIDTH:
            return
        text.stylize("dim", 0, TIME_WIDTH)
        start = TIME_WIDTH + 1
        end = plain.find(" ", start)
        if end < 0:
            end = len(plain)
        label = plain[start:end]
        text.stylize(self.color_of(label.split("/", 1)[0]), start, end)
        body = plain[end:end + 300]
        for m in _LEVEL_WORDS.finditer(body):
            style = _LEVEL_STYLE.get(_LEVEL_OF.get(m.group(1), ""))
            if style is not None:
                text.stylize(style, end + m.start(), end + m.end())
        if self.search is not None:
            for m in self.search.finditer(plain, end):
                if m.end() > m.start():
                    text.stylize("bold black on yellow", m.start(), m.end())


class LogView(Log):
    """Log with our highlighter, a highlighted current line, and a message when the view reaches the end."""

    DEFAULT_CSS = """
    LogView { height: 1fr; border: none; scrollbar-size-vertical: 1; }
    """

    class ReachedEnd(Message):
        """The user scrolled back to the newest line."""

    def __init__(self, max_lines: int, **kwargs) -> None:
        super().__init__(highlight=True, max_lines=max_lines, auto_scroll=True, **kwargs)
        self.highlighter = LogHighlighter()
        self.current_line: int | None = None
        self._was_end = True

    def set_search(self, pattern: re.Pattern | None) -> None:
        self.highlighter.search = pattern
        self.redraw()

    def set_current(self, line: int | None) -> None:
        self.current_line = line
        self.redraw()

    def redraw(self) -> None:
        self._render_line_cache.clear()
        self.refresh()

    def _render_line_strip(self, y: int, rich_style: Style) -> Strip:
        if y == self.current_line:
            rich_style = rich_style + Style(bgcolor="grey30", bold=True)
        return super()._render_line_strip(y, rich_style)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        at_end = self.is_vertical_scroll_end
        if at_end and not self._was_end:
            self.post_message(self.ReachedEnd())
        self._was_end = at_end
