"""`stp deploy`, `stp info` and `stp delete` against the local AWS, the way a user runs them."""

from __future__ import annotations

import io
import json

import pytest

from core.aws import artifacts
from core.aws.console import Console
from core.aws.stacks import find_stack
from tests.aws.support import stp, unique, worker_config, write_config

pytestmark = pytest.mark.slow


@pytest.fixture
def project():
    return unique("p")


@pytest.fixture
def secret(aws_server):
    name = unique("sec")
    assert stp("secret", "set", name, '{"token": "t0ps3cret"}', "--local").code == 0
    return name


def deploy(path, stage, *extra):
    return stp("deploy", str(path), "--stage", stage, "--local", "--yes", *extra)


def test_deploy_then_info_text_and_json(tmp_path, project, secret, aws):
    path = worker_config(tmp_path / "app", project, secret)
    r = deploy(path, "dev")
    assert r.code == 0, r.text
    assert "24 to add, 0 to modify, 0 to remove" in r.out
    assert "+ add   worker" in r.out and "WorkerService" in r.out
    assert "CREATE_COMPLETE" in r.out and "deploy finished: CREATE_COMPLETE" in r.out
    assert "t0ps3cret" not in r.text

    info = stp("info", str(path), "--stage", "dev", "--local")
    assert info.code == 0, info.text
    lines = info.out.splitlines()
    assert lines[0].startswith(f"{project}-dev  CREATE_COMPLETE  last updated ")
    # each AWS resource sits under the config resource that made it
    at = {name: next(i for i, line in enumerate(lines) if line.startswith(f"  {name}  ")) for name in
          ("jobs", "results", "worker", "(shared)")}
    assert at["jobs"] < next(i for i, line in enumerate(lines) if "JobsQueue  " in line) < at["results"]
    assert at["worker"] < next(i for i, line in enumerate(lines) if line.strip().startswith("WorkerService ")) \
        < at["(shared)"]
    assert any(line.strip().startswith("logGroup:worker:") for line in lines)

    js = stp("info", str(path), "--stage", "dev", "--local", "--format", "json")
    assert js.code == 0, js.text
    data = json.loads(js.out)
    assert data["stackName"] == f"{project}-dev" and data["status"] == "CREATE_COMPLETE"
    by_name = {r["name"]: r for r in data["resources"]}
    assert set(by_name) == {"jobs", "results", "worker", "(shared)"}
    assert {c["logicalId"] for c in by_name["worker"]["children"]} == {
        "WorkerCluster", "WorkerSecurityGroup", "WorkerExecutionRole", "WorkerTaskRole", "WorkerLogGroup",
        "WorkerTaskDefinition", "WorkerService"}
    assert by_name["worker"]["type"] == "worker-service" and by_name["worker"]["status"] == "CREATE_COMPLETE"
    assert by_name["jobs"]["outputs"]["queueUrl"].startswith("https://sqs.")
    assert "Vpc" in {c["logicalId"] for c in by_name["(shared)"]["children"]}
    assert data["outputs"]["WorkerLogGroupName"] == by_name["worker"]["outputs"]["logGroup:worker"]


def test_redeploy_without_change_is_fast_and_creates_no_change_set(tmp_path, project, secret, aws):
    import time

    path = worker_config(tmp_path / "app", project, secret)
    assert deploy(path, "dev").code == 0
    cfn = aws.client("cloudformation")
    before = cfn.list_change_sets(StackName=f"{project}-dev")["Summaries"]
    t0 = time.monotonic()
    r = deploy(path, "dev")
    assert r.code == 0, r.text
    assert "no changes" in r.out
    assert time.monotonic() - t0 < 2.0
    assert cfn.list_change_sets(StackName=f"{project}-dev")["Summaries"] == before
    assert all(s["ExecutionStatus"] != "AVAILABLE" for s in before)


def test_change_shows_the_diff_with_replacement(tmp_path, project, secret, aws):
    path = worker_config(tmp_path / "app", project, secret)
    assert deploy(path, "dev").code == 0
    worker_config(tmp_path / "app", project, secret, memory=1024)
    r = deploy(path, "dev")
    assert r.code == 0, r.text
    table = r.out[r.out.index("Changes to stack"):r.out.index("to remove") + len("to remove")]
    rows = {line.split()[3]: line for line in table.splitlines() if line.startswith("  ~ modify")}
    assert set(rows) == {"WorkerTaskDefinition", "WorkerService"}
    assert "REPLACE" in rows["WorkerTaskDefinition"] and "Memory" in rows["WorkerTaskDefinition"]
    assert "REPLACE" not in rows["WorkerService"] and "TaskDefinition" in rows["WorkerService"]
    assert "0 to add, 2 to modify (1 replaced" in table
    assert "deploy finished: UPDATE_COMPLETE" in r.out
    assert find_stack(aws, f"{project}-dev")["StackStatus"] == "UPDATE_COMPLETE"


FAILING = """
cloudformationResources:
  Broken:
    Type: AWS::SNS::Topic
    Metadata:
      stp:local:
        fail: "Resource handler returned message: topic quota exceeded (Service: Sns, Status Code: 400)"
"""


def test_failing_update_shows_root_cause_and_rollback(tmp_path, project, secret, aws):
    path = worker_config(tmp_path / "app", project, secret)
    assert deploy(path, "dev").code == 0
    worker_config(tmp_path / "app", project, secret, extra=FAILING)
    r = deploy(path, "dev")
    assert r.code == 1
    assert "root cause: Broken (AWS::SNS::Topic) CREATE_FAILED:" in r.out
    assert "topic quota exceeded" in r.out
    assert "deploy failed: the stack is UPDATE_ROLLBACK_COMPLETE" in r.out
    assert "back to its previous version" in r.out
    # the root cause is named once, after the event stream
    assert r.out.index("CREATE_FAILED") < r.out.index("root cause:")


def test_failed_creation_is_recreated_on_the_next_deploy(tmp_path, project, aws):
    folder = tmp_path / "app"
    path = write_config(folder, "resources:\n  q:\n    type: sqs-queue\n" + FAILING)
    r = stp("deploy", str(path), "--stage", "dev", "--project", project, "--local", "--yes")
    assert r.code == 1
    assert "rollback complete: the stack was not created" in r.out
    assert find_stack(aws, f"{project}-dev")["StackStatus"] == "ROLLBACK_COMPLETE"
    write_config(folder, "resources:\n  q:\n    type: sqs-queue\n")
    r = stp("deploy", str(path), "--stage", "dev", "--project", project, "--local", "--yes")
    assert r.code == 0, r.text
    assert "ROLLBACK_COMPLETE" in r.out and "DELETE_COMPLETE" in r.out
    assert find_stack(aws, f"{project}-dev")["StackStatus"] == "CREATE_COMPLETE"


def test_missing_secret_refuses_before_any_change(tmp_path, project, aws):
    path = worker_config(tmp_path / "app", project, "does-not-exist")
    r = deploy(path, "dev")
    assert r.code == 1
    assert "missing secrets (nothing was changed)" in r.err
    assert "secret 'does-not-exist' does not exist (used as $Secret('does-not-exist.token'))" in r.err
    assert "Traceback" not in r.text
    assert find_stack(aws, f"{project}-dev") is None


def test_secret_without_the_key_refuses(tmp_path, project, aws):
    name = unique("sec")
    assert stp("secret", "set", name, '{"other": "x"}', "--local").code == 0
    path = worker_config(tmp_path / "app", project, name)
    r = deploy(path, "dev")
    assert r.code == 1
    assert f"secret '{name}' has no key 'token'" in r.err and "it has: other" in r.err
    assert find_stack(aws, f"{project}-dev") is None


def test_without_a_terminal_deploy_needs_yes(tmp_path, project, secret, aws):
    path = worker_config(tmp_path / "app", project, secret)
    r = stp("deploy", str(path), "--stage", "dev", "--local")
    assert r.code == 2
    assert "pass --yes" in r.err
    assert find_stack(aws, f"{project}-dev") is None


def test_invalid_config_prints_diagnostics_like_validate(tmp_path):
    path = write_config(tmp_path / "bad", "resources:\n  q:\n    type: sqs-queue\n    properties:\n      nope: 1\n")
    r = stp("deploy", str(path), "--stage", "dev", "--local", "--yes")
    assert r.code == 1
    assert f"{path}:5:7: error[" in r.err
    assert "1 error" in r.err


def _prepared(path, project, stage):
    from core.analysis import analyze
    from core.aws.deploy import Prepared
    from core.compile import compile_stack

    analysis = analyze(path.read_text())
    return Prepared(path, analysis, compile_stack(analysis, stage, project, "us-east-1"), project, stage)


def test_declining_the_confirmation_leaves_nothing_behind(tmp_path, project, aws):
    from core.aws.deploy import deploy as run_deploy

    path = write_config(tmp_path / "app", "resources:\n  q:\n    type: sqs-queue\n")
    out = io.StringIO()
    console = Console(out=out, err=io.StringIO(), stdin=io.StringIO("n\n"), color=False, interactive=True)
    assert run_deploy(aws, _prepared(path, project, "dev"), console) == 1
    assert "+ add   q" in out.getvalue() and "not deployed; the change set was deleted" in out.getvalue()
    assert find_stack(aws, f"{project}-dev") is None  # the REVIEW_IN_PROGRESS stack was deleted too

    console = Console(out=out, err=io.StringIO(), stdin=io.StringIO("y\n"), color=False, interactive=True)
    assert run_deploy(aws, _prepared(path, project, "dev"), console) == 0
    assert find_stack(aws, f"{project}-dev")["StackStatus"] == "CREATE_COMPLETE"


FUNCTION_CONFIG = """
resources:
  inbox:
    type: sqs-queue
  api:
    type: function
    properties:
      packaging:
        type: stacktape-lambda-buildpack
        properties:
          entryfilePath: src/handler.py
      connectTo:
        - inbox
"""


def test_function_code_is_zipped_uploaded_and_delete_cleans_up(tmp_path, project, aws):
    folder = tmp_path / "fn"
    path = write_config(folder, FUNCTION_CONFIG, {"src/handler.py": "def handler(event, context):\n    return 1\n",
                                                  "src/util.py": "X = 1\n"})
    r = stp("deploy", str(path), "--stage", "dev", "--project", project, "--local", "--yes")
    assert r.code == 0, r.text
    bucket = artifacts.bucket_name(f"{project}-dev", aws.account_id(), aws.region)
    s3 = aws.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("functions/api/") and keys[0].endswith(".zip")
    import zipfile

    body = s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read()
    assert sorted(zipfile.ZipFile(io.BytesIO(body)).namelist()) == ["src/handler.py", "src/util.py"]
    stack = find_stack(aws, f"{project}-dev")
    params = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert params == {"ApiCodeBucket": bucket, "ApiCodeKey": keys[0]}

    again = stp("deploy", str(path), "--stage", "dev", "--project", project, "--local", "--yes")
    assert again.code == 0 and "code of api unchanged" in again.out and "no changes" in again.out

    (folder / "src/util.py").write_text("X = 2\n")
    changed = stp("deploy", str(path), "--stage", "dev", "--project", project, "--local", "--yes")
    assert changed.code == 0, changed.text
    assert "uploaded code of api" in changed.out
    assert "~ modify  api       ApiFunction" in changed.out and "Code" in changed.out

    gone = stp("delete", str(path), "--stage", "dev", "--project", project, "--local", "--yes")
    assert gone.code == 0, gone.text
    assert "delete finished: DELETE_COMPLETE" in gone.out
    assert f"deleted the deployment bucket {bucket}" in gone.out
    assert find_stack(aws, f"{project}-dev") is None
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_delete_needs_yes_without_a_terminal_and_handles_a_missing_stack(tmp_path, project, aws):
    path = write_config(tmp_path / "app", "resources:\n  q:\n    type: sqs-queue\n")
    assert stp("deploy", str(path), "--stage", "dev", "--project", project, "--local", "--yes").code == 0
    r = stp("delete", str(path), "--stage", "dev", "--project", project, "--local")
    assert r.code == 2 and "pass --yes" in r.err
    assert find_stack(aws, f"{project}-dev") is not None
    r = stp("delete", "--stage", "nope", "--project", project, "--local", "--yes")
    assert r.code == 0 and "does not exist" in r.out
    r = stp("info", "--stage", "nope", "--project", project, "--local")
    assert r.code == 1 and f"stack {project}-nope does not exist" in r.err


def test_large_template_goes_through_the_deployment_bucket(tmp_path, project, aws, monkeypatch):
    monkeypatch.setattr(artifacts, "INLINE_TEMPLATE_LIMIT", 500)
    path = write_config(tmp_path / "app", "resources:\n  q:\n    type: sqs-queue\n  b:\n    type: bucket\n")
    r = stp("deploy", str(path), "--stage", "dev", "--project", project, "--local", "--yes")
    assert r.code == 0, r.text
    assert "(over 500): uploaded to s3://" in r.out
    bucket = artifacts.bucket_name(f"{project}-dev", aws.account_id(), aws.region)
    keys = [o["Key"] for o in aws.client("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 1 and keys[0].startswith(f"templates/{project}-dev/")
    assert find_stack(aws, f"{project}-dev")["StackStatus"] == "CREATE_COMPLETE"
