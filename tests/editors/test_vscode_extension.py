"""The VS Code extension in editors/vscode builds from its lock file and exposes what it promises.

`npm ci && npm run compile` in a copy of editors/vscode (skipped without npm or without the
npm registry), then the compiled module is loaded by node with a stand-in for the `vscode`
API to check the document selector and path expansion; package.json is checked for the
activation events, settings and entry point. (Running it inside a real VS Code would need a
VS Code download, which this machine cannot make.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
EXT = ROOT / "editors" / "vscode"
BUDGET = 60  # seconds for install + compile

STUB_LOADER = r"""
const Module = require('module');
const load = Module._load;
const stub = new Proxy(function () {}, {
  get: (t, k) => (k === '__esModule' ? false : stub),
  apply: () => stub,
  construct: () => stub,
});
Module._load = function (request) {
  return request === 'vscode' ? stub : load.apply(this, arguments);
};
const ext = require(process.argv[1]);
const base = { serverPath: 'stp-lsp', serverArgs: [], extraFiles: [], allYamlFiles: false };
console.log(JSON.stringify({
  exports: Object.keys(ext).sort(),
  plain: ext.documentSelector(base),
  extra: ext.documentSelector({ ...base, extraFiles: ['infra/*.yml', '**/deep.yml', '/abs/y.yml'] }),
  all: ext.documentSelector({ ...base, allYamlFiles: true }),
  ws: ext.expandPath('${workspaceFolder}/.venv/bin/stp-lsp', '/w'),
}));
"""


def run(cmd: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def test_package_json_declares_activation_settings_and_entry_point():
    pkg = json.loads((EXT / "package.json").read_text())
    events = pkg["activationEvents"]
    assert "onLanguage:yaml" in events
    assert "workspaceContains:**/stacktape.yml" in events and "workspaceContains:**/*.stacktape.yml" in events
    props = pkg["contributes"]["configuration"]["properties"]
    assert props["stp.serverPath"]["default"] == "stp-lsp"
    assert props["stp.extraFiles"]["type"] == "array"
    assert pkg["main"] == "./out/extension.js"
    assert "vscode-languageclient" in pkg["dependencies"]
    assert pkg["scripts"]["compile"].startswith("tsc")
    lock = json.loads((EXT / "package-lock.json").read_text())
    assert lock["packages"][""]["dependencies"] == pkg["dependencies"], "package-lock.json is out of date"
    assert lock["packages"][""]["devDependencies"] == pkg["devDependencies"], "package-lock.json is out of date"


def test_npm_ci_and_compile(tmp_path):
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.skip("npm/node not installed")
    started = time.monotonic()
    try:
        ping = run([npm, "ping"], tmp_path, 20)
    except subprocess.TimeoutExpired:
        pytest.skip("the npm registry did not answer `npm ping` within 20 s")
    if ping.returncode != 0:
        pytest.skip(f"the npm registry is unreachable (`npm ping`: {ping.stderr.strip()[-300:]})")

    work = tmp_path / "vscode"
    shutil.copytree(EXT, work, ignore=shutil.ignore_patterns("node_modules", "out", "*.vsix"))
    left = BUDGET - (time.monotonic() - started)
    ci = run([npm, "ci", "--no-audit", "--no-fund"], work, max(left, 10))
    assert ci.returncode == 0, ci.stderr[-3000:]
    compiled = run([npm, "run", "compile"], work, 60)
    assert compiled.returncode == 0, compiled.stdout[-3000:] + compiled.stderr[-3000:]
    out = work / "out" / "extension.js"
    assert out.is_file()

    loaded = run([node, "-e", STUB_LOADER, str(out)], work, 30)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    got = json.loads(loaded.stdout)
    assert {"activate", "deactivate", "documentSelector"} <= set(got["exports"])
    names = ["**/stacktape.yml", "**/stacktape.yaml", "**/*.stacktape.yml", "**/*.stacktape.yaml"]
    assert got["plain"] == [{"scheme": "file", "pattern": p} for p in names]
    assert [f["pattern"] for f in got["extra"]][4:] == ["**/infra/*.yml", "**/deep.yml", "/abs/y.yml"]
    assert {"scheme": "file", "language": "yaml"} in got["all"]
    assert got["ws"] == "/w/.venv/bin/stp-lsp"
