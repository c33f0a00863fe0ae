"""Every bundled example deploys to the local AWS as it is, `stp info` shows each of its resources, and
`stp delete` removes it again: the examples are what a new user tries first."""

from __future__ import annotations

import json
import shutil

import pytest

from core.analysis import analyze
from tests.aws.support import stp, unique
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.slow

EXAMPLE_NAMES = sorted(p.parent.name for p in EXAMPLES.glob("*/stacktape.yml"))


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_example_deploys_shows_in_info_and_deletes(example, aws, tmp_path):
    folder = tmp_path / example
    shutil.copytree(EXAMPLES / example, folder)
    project = unique("ex")
    # $Secret references must exist before a deploy changes anything
    for name in ("worker-api",):
        if f"$Secret('{name}." in (folder / "stacktape.yml").read_text():
            assert stp("secret", "set", name, '{"token": "t0ps3cret"}', "--local").code == 0

    deployed = stp("deploy", str(folder), "--stage", "dev", "--project", project, "--local", "--yes")
    assert deployed.code == 0, deployed.text
    assert "deploy finished: CREATE_COMPLETE" in deployed.out

    info = stp("info", str(folder), "--stage", "dev", "--project", project, "--local", "--format", "json")
    assert info.code == 0, info.text
    data = json.loads(info.out)
    assert data["status"] == "CREATE_COMPLETE"
    shown = {r["name"] for r in data["resources"]}
    config_resources = set(analyze((folder / "stacktape.yml").read_text()).resources)
    assert config_resources <= shown
    assert all(r["status"] == "CREATE_COMPLETE" for r in data["resources"] if r["name"] in config_resources)

    gone = stp("delete", str(folder), "--stage", "dev", "--project", project, "--local", "--yes")
    assert gone.code == 0, gone.text
