"""Helpers for tests/aws: run `stp` in-process, write configs."""

from __future__ import annotations

import contextlib
import io
import sys
import textwrap
import uuid
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def stp(*args: str, stdin: str = "") -> Result:
    """Run `stp ARGS` in-process; stdin is not a terminal."""
    from core.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        sys.stdin = saved
    return Result(code, out.getvalue(), err.getvalue())


def write_config(folder: Path, text: str, files: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "stacktape.yml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    for name, body in (files or {}).items():
        f = folder / name
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(body, encoding="utf-8")
    return path


def unique(prefix: str = "s") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


WORKER_CONFIG = """
serviceName: {project}
resources:
  jobs:
    type: sqs-queue
  results:
    type: bucket
  worker:
    type: worker-service
    properties:
      packaging:
        type: prebuilt-image
        properties:
          image: public.ecr.aws/docker/library/busybox:latest
      resources:
        cpu: 0.25
        memory: {memory}
      connectTo:
        - jobs
        - results
      environment:
        - name: TOKEN
          value: $Secret('{secret}.token')
{extra}"""


def worker_config(folder: Path, project: str, secret: str, memory: int = 512, extra: str = "") -> Path:
    return write_config(folder, WORKER_CONFIG.format(project=project, secret=secret, memory=memory, extra=extra))
