"""`stp validate` and `stp schema` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys

from core.cli import main
from tests.conftest import EXAMPLES

BROKEN = """\
resources:
  worker:
    type: worker-service
    properties:
      packaging:
        type: prebuilt-image
        properties:
          image: busybox
      resources:
        cpu: 0.25
        memory: '512'
"""


def test_validate_prints_file_line_col_and_exits_1_on_errors(tmp_path, capsys):
    cfg = tmp_path / "stacktape.yml"
    cfg.write_text(BROKEN)
    assert main(["validate", str(cfg)]) == 1
    out = capsys.readouterr()
    line = out.out.strip().splitlines()[0]
    assert line.startswith(f"{cfg}:11:17: error[invalid-type] ")
    assert "1 error" in out.err


def test_validate_defaults_to_stacktape_yml_in_the_folder(tmp_path, capsys, monkeypatch):
    (tmp_path / "stacktape.yml").write_text(BROKEN.replace("'512'", "512"))
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 0
    assert "valid, 1 resource" in capsys.readouterr().err


def test_validate_json_output_shape(tmp_path, capsys):
    cfg = tmp_path / "stacktape.yml"
    cfg.write_text(BROKEN)
    assert main(["validate", str(cfg), "--format", "json"]) == 1
    [item] = json.loads(capsys.readouterr().out)
    assert item == {
        "file": str(cfg),
        "line": 11,
        "column": 17,
        "endLine": 11,
        "endColumn": 22,
        "severity": "error",
        "code": "invalid-type",
        "message": item["message"],
        "path": "resources.worker.properties.resources.memory",
    }


def test_missing_file_and_binary_file_are_clear_errors(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.yml")]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "stacktape.yml"
    bad.write_bytes(b"\xff\xfe\x00")
    assert main(["validate", str(bad)]) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_schema_is_json_schema_with_every_modelled_type(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"].startswith("http://json-schema.org/")
    resource = schema["properties"]["resources"]["additionalProperties"]
    text = json.dumps(resource)
    for t in ("worker-service", "multi-container-workload", "web-service", "private-service"):
        assert t in text
    # directive-aware numbers: a $Var(...) string is allowed where cpu is expected
    assert "\\\\$[A-Za-z_]" in json.dumps(schema["$defs"])


def test_console_script_runs_as_a_user_would():
    cfg = EXAMPLES / "queue-worker" / "stacktape.yml"
    proc = subprocess.run([sys.executable, "-m", "core.cli", "validate", str(cfg)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "valid" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "core.cli", "--help"], capture_output=True, text=True)
    assert "validate" in proc.stdout and "schema" in proc.stdout
