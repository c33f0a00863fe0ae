"""Where the AWS commands talk to the user: an output stream, a notes stream, and yes/no questions.

The CLI hands a Console to deploy/delete/logs; tests hand one over StringIO streams. Colour only
when the stream is a terminal and NO_COLOR is unset; questions only when stdin is a terminal.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

STYLES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "blue": "34", "magenta": "35",
          "cyan": "36", "bright-red": "91", "bright-green": "92", "bright-yellow": "93", "bright-blue": "94",
          "bright-magenta": "95", "bright-cyan": "96"}


def wants_color(stream) -> bool:
    try:
        return bool(stream.isatty()) and os.environ.get("NO_COLOR") is None
    except (AttributeError, ValueError):
        return False


class Console:
    def __init__(self, out: TextIO | None = None, err: TextIO | None = None, stdin: TextIO | None = None,
                 color: bool | None = None, interactive: bool | None = None):
        self.out = out if out is not None else sys.stdout
        self.err = err if err is not None else sys.stderr
        self.stdin = stdin if stdin is not None else sys.stdin
        self.color = wants_color(self.out) if color is None else color
        if interactive is None:
            try:
                interactive = bool(self.stdin.isatty())
            except (AttributeError, ValueError):
                interactive = False
        self.interactive = interactive

    def paint(self, text: str, style: str | None) -> str:
        if not self.color or not style:
            return text
        codes = ";".join(STYLES[s] for s in style.split("+") if s in STYLES)
        return f"\x1b[{codes}m{text}\x1b[0m" if codes else text

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def note(self, text: str) -> None:
        """A side remark (progress, hints): on the notes stream, so piped output stays clean."""
        self.err.write(text + "\n")
        self.err.flush()

    def ask(self, question: str, default: bool = False) -> bool:
        """A yes/no question; False without a terminal to ask on, or on end of input."""
        if not self.interactive:
            return False
        hint = "[Y/n]" if default else "[y/N]"
        self.err.write(f"{question} {hint} ")
        self.err.flush()
        try:
            answer = self.stdin.readline()
        except (EOFError, OSError):
            return False
        if not answer:
            self.err.write("\n")
            return False
        answer = answer.strip().lower()
        return default if not answer else answer in ("y", "yes")
