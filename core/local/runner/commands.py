"""How a container of the config runs on this machine, without building its image.

A container whose image is built from source runs as a process started in the source folder:

    stacktape-image-buildpack  entryfilePath *.py -> python FILE, *.js/*.mjs/*.cjs -> node FILE,
                               *.ts/*.mts/*.cts -> tsx FILE (or bun, or node >= 22.6 stripping types);
                               `command` / `entryPoint` of the packaging, when given, instead
                               (a leading `python`/`python3`/`node` is the local interpreter);
                               `runAppAs: ASGI|WSGI` -> uvicorn / gunicorn serving `<module>:app` on $PORT
    nixpacks                   `command`/`entryPoint`, else `startCmd` (sh -c), else a main.py, app.py,
                               index.js, main.js or server.js of `sourceDirectoryPath`
    external-buildpack         `command`/`entryPoint`, else the `web:`/`worker:` line of a Procfile, else as
                               nixpacks
    custom-dockerfile,         not run: what the image contains is known only to Docker
    prebuilt-image

`local_command()` returns the argv and folder, or raises `NotRunnable` with the reason shown to users.
The Python interpreter is `$STP_LOCAL_PYTHON`, else `.venv/bin/python` of the source folder, else the
server's own (which has boto3).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

PORT_PLACEHOLDER = "{PORT}"  # replaced by the task's port when it starts

BUILT_FROM_SOURCE = ("stacktape-image-buildpack", "nixpacks", "external-buildpack")
PYTHON_EXT = (".py",)
NODE_EXT = (".js", ".mjs", ".cjs")
TS_EXT = (".ts", ".mts", ".cts", ".tsx")


class NotRunnable(Exception):
    """The container cannot run as a local process; str() says why (shown to users)."""


@dataclass
class LocalCommand:
    argv: list[str]
    cwd: str
    notes: list[str] = field(default_factory=list)  # said once in the container's log when it starts

    def for_port(self, port: int | None) -> list[str]:
        return [a.replace(PORT_PLACEHOLDER, str(port or 8080)) for a in self.argv]


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def python_interpreter(source_dir: Path) -> str:
    configured = os.environ.get("STP_LOCAL_PYTHON")
    if configured:
        return configured
    for candidate in (source_dir / ".venv" / "bin" / "python", source_dir / "venv" / "bin" / "python"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return sys.executable


@lru_cache(maxsize=8)
def _node_version(node: str) -> tuple[int, int]:
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10, check=False).stdout
        major, minor = out.strip().lstrip("v").split(".")[:2]
        return int(major), int(minor)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return 0, 0


def node_command(entry: str) -> list[str]:
    node = shutil.which("node")
    if node is None:
        raise NotRunnable(f"{entry} is JavaScript, but node is not installed here (not on PATH)")
    return [node, entry]


def typescript_command(entry: str, source_dir: Path) -> list[str]:
    local_tsx = source_dir / "node_modules" / ".bin" / "tsx"
    if local_tsx.is_file():
        return [str(local_tsx), entry]
    for tool in ("tsx", "bun"):
        found = shutil.which(tool)
        if found:
            return [found, entry] if tool == "tsx" else [found, "run", entry]
    node = shutil.which("node")
    if node and _node_version(node) >= (22, 6):
        return [node, "--experimental-strip-types", entry]
    raise NotRunnable(f"{entry} is TypeScript: install tsx (npm i -D tsx) or bun, or use node 22.6 or newer"
                      " to run it locally")


def _interpreted(argv: list[str], source_dir: Path) -> list[str]:
    """A command written for the image, with its interpreter replaced by the local one."""
    if not argv:
        return argv
    first = os.path.basename(argv[0])
    if re.fullmatch(r"python(3(\.\d+)?)?", first):
        return [python_interpreter(source_dir), *argv[1:]]
    if first == "node":
        node = shutil.which("node")
        if node is None:
            raise NotRunnable("the command runs node, which is not installed here (not on PATH)")
        return [node, *argv[1:]]
    return list(argv)


def _image_command(props: Any, source_dir: Path) -> list[str] | None:
    """Docker semantics: ENTRYPOINT + CMD, from the packaging's `entryPoint` and `command`."""
    entry_point = [str(v) for v in (_get(props, "entryPoint") or [])]
    command = [str(v) for v in (_get(props, "command") or [])]
    if not entry_point and not command:
        return None
    return _interpreted(entry_point + command, source_dir)


def _by_extension(entry: str, source_dir: Path) -> list[str]:
    suffix = Path(entry).suffix.lower()
    if suffix in PYTHON_EXT:
        return [python_interpreter(source_dir), entry]
    if suffix in NODE_EXT:
        return node_command(entry)
    if suffix in TS_EXT:
        return typescript_command(entry, source_dir)
    raise NotRunnable(f"the entry file {entry} is neither Python nor JavaScript/TypeScript; the local AWS runs only"
                      " those from source")


def _buildpack(props: Any, source_dir: Path) -> LocalCommand:
    entry = str(_get(props, "entryfilePath") or "")
    custom = _image_command(props, source_dir)
    if custom:
        return LocalCommand(custom, str(source_dir))
    if not entry:
        raise NotRunnable("the packaging has no entryfilePath")
    if not (source_dir / entry).is_file():
        raise NotRunnable(f"the entry file {entry} does not exist in {source_dir}")
    run_as = _get(_get(props, "languageSpecificConfig"), "runAppAs")
    if run_as and Path(entry).suffix.lower() in PYTHON_EXT:
        module = entry[: -len(Path(entry).suffix)].replace("/", ".").replace("\\", ".")
        python = python_interpreter(source_dir)
        if run_as == "ASGI":
            argv = [python, "-m", "uvicorn", f"{module}:app", "--host", "0.0.0.0", "--port", PORT_PLACEHOLDER]
        else:
            argv = [python, "-m", "gunicorn", "-b", f"0.0.0.0:{PORT_PLACEHOLDER}", f"{module}:app"]
        return LocalCommand(argv, str(source_dir))
    return LocalCommand(_by_extension(entry, source_dir), str(source_dir))


ENTRY_CANDIDATES = ("main.py", "app.py", "index.js", "main.js", "server.js", "index.ts", "main.ts")


def _from_folder(props: Any, source_dir: Path, kind: str) -> LocalCommand:
    folder = (source_dir / str(_get(props, "sourceDirectoryPath") or ".")).resolve()
    if not folder.is_dir():
        raise NotRunnable(f"the source folder {folder} does not exist")
    custom = _image_command(props, folder)
    if custom:
        return LocalCommand(custom, str(folder))
    start = _get(props, "startCmd")
    if start:
        return LocalCommand(["sh", "-c", str(start)], str(folder))
    if kind == "external-buildpack":
        procfile = folder / "Procfile"
        if procfile.is_file():
            lines = dict(line.split(":", 1) for line in procfile.read_text(encoding="utf-8").splitlines()
                         if ":" in line and not line.lstrip().startswith("#"))
            for process in ("web", "worker"):
                if process in lines:
                    return LocalCommand(["sh", "-c", lines[process].strip()], str(folder))
    for name in ENTRY_CANDIDATES:
        if (folder / name).is_file():
            return LocalCommand(_by_extension(name, folder), str(folder),
                                notes=[f"no start command configured; running {name} of {folder}"])
    raise NotRunnable(f"{kind}: no command, startCmd or entry file ({', '.join(ENTRY_CANDIDATES)}) to run in {folder}")


def local_command(packaging: Any, source_dir: Path | None) -> LocalCommand:
    """How to run a container of this packaging locally; NotRunnable says why not."""
    kind = _get(packaging, "type")
    props = _get(packaging, "properties")
    if kind == "prebuilt-image":
        image = _get(props, "image") or "an image"
        raise NotRunnable(f"it runs the prebuilt image {image}; the local AWS runs only containers built from source"
                          f" ({', '.join(BUILT_FROM_SOURCE)}), not images")
    if kind == "custom-dockerfile":
        raise NotRunnable("it is built from a custom Dockerfile; the local AWS does not build or run images, only"
                          f" containers built from source ({', '.join(BUILT_FROM_SOURCE)})")
    if kind not in BUILT_FROM_SOURCE:
        raise NotRunnable(f"packaging type {kind!r} is not run locally")
    if source_dir is None:
        raise NotRunnable("the local AWS does not know the config's folder: the deploy step sets"
                          " Metadata.Stp.sourceDir of the template (or the stack tag stp:source-dir)")
    if not source_dir.is_dir():
        raise NotRunnable(f"the config's folder {source_dir} does not exist on this machine")
    if kind == "stacktape-image-buildpack":
        return _buildpack(props, source_dir)
    return _from_folder(props, source_dir, kind)


def describe(argv: list[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)
