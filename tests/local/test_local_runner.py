"""Local runs: stacks deployed to the local AWS run their container workloads as processes.

End to end through the session's server: the examples are compiled, their template gets what the deploy
step supplies (image parameters, `Metadata.Stp.sourceDir`), and everything is observed as a client sees
it: CloudWatch Logs, ECS service events, `GET /_stp/runner`. Polls with timeouts, no fixed sleeps.
"""

from __future__ import annotations

import copy
import json
import os
import re
import time
import urllib.request
from pathlib import Path

import pytest

from core.local.runner.commands import NotRunnable, local_command
from tests.conftest import EXAMPLES, yaml
from tests.local.conftest import outputs, wait_stack

WORKER = EXAMPLES / "local-worker"
CANARY = EXAMPLES / "local-canary-web"


# ---------------------------------------------------------------- helpers


_compiled: dict[tuple[str, str], tuple[dict, dict]] = {}


def compile_config(config: Path, project: str) -> tuple[dict, dict]:
    """(template, images) of a config, compiled in-process like `stp compile`."""
    key = (str(config), config.read_text())
    if key not in _compiled:
        from core.analysis import analyze
        from core.compile import compile_stack

        analysis = analyze(config.read_text(encoding="utf-8"))
        assert analysis.ok, [d.message for d in analysis.errors]
        result = compile_stack(analysis, "dev", project, "us-east-1")
        _compiled[key] = (result.template, result.images)
    template, images = _compiled[key]
    return copy.deepcopy(template), images


def deployable(config: Path, project: str, source_dir: Path | None = None) -> tuple[dict, list[dict]]:
    """The template with what `stp deploy --local` supplies: the source folder and the image parameters."""
    from core.aws.artifacts import local_image_uri

    template, images = compile_config(config, project)
    template["Metadata"]["Stp"]["sourceDir"] = str((source_dir or config.parent).resolve())
    parameters = [{"ParameterKey": p, "ParameterValue": local_image_uri(i["resource"], i["container"])}
                  for p, i in images.items()]
    return template, parameters


def deploy(cfn, name: str, template: dict, parameters: list[dict], update: bool = False) -> dict:
    call = cfn.update_stack if update else cfn.create_stack
    call(StackName=name, TemplateBody=json.dumps(template), Parameters=parameters,
         Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"])
    stack = wait_stack(cfn, name)
    assert stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), stack.get("StackStatusReason")
    return stack


def poll(what: str, fn, timeout: float = 15.0, interval: float = 0.05):
    """fn() until it returns something truthy; fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def runner_state(endpoint: str) -> dict:
    with urllib.request.urlopen(f"{endpoint}/_stp/runner", timeout=5) as response:
        return json.loads(response.read())


def service_state(endpoint: str, stack: str, resource: str) -> dict | None:
    run = runner_state(endpoint)["stacks"].get(stack)
    if run is None:
        return None
    return next((s for s in run["services"] if s["resource"] == resource), None)


def running_pids(endpoint: str, stack: str, resource: str) -> list[int]:
    service = service_state(endpoint, stack, resource) or {"tasks": []}
    return [c["pid"] for t in service["tasks"] for c in t.get("containers", ()) if c["running"]]


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def log_lines(logs, group: str, pattern: str | None = None) -> list[dict]:
    kwargs = {"logGroupName": group, **({"filterPattern": pattern} if pattern else {})}
    try:
        pages = logs.get_paginator("filter_log_events").paginate(**kwargs)
        return [e for page in pages for e in page["events"]]
    except logs.exceptions.ResourceNotFoundException:
        return []


def worker_stack(cfn, aws, name: str) -> tuple[dict, dict]:
    template, parameters = deployable(WORKER / "stacktape.yml", "local-worker")
    stack = deploy(cfn, name, template, parameters)
    return template, stack


def delete(cfn, stack: dict) -> None:
    cfn.delete_stack(StackName=stack["StackName"])
    assert wait_stack(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"


# ---------------------------------------------------------------- how containers run (no server)


def test_how_each_packaging_runs_locally(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.py").write_text("print('hi')\n")
    (tmp_path / "src" / "index.js").write_text("console.log('hi')\n")
    buildpack = {"type": "stacktape-image-buildpack", "properties": {"entryfilePath": "src/main.py"}}
    command = local_command(buildpack, tmp_path)
    assert command.argv[1:] == ["src/main.py"] and command.cwd == str(tmp_path)
    assert Path(command.argv[0]).name.startswith("python")
    custom = {"type": "stacktape-image-buildpack",
              "properties": {"entryfilePath": "src/main.py", "command": ["python", "-u", "src/main.py", "--fast"]}}
    assert local_command(custom, tmp_path).argv[1:] == ["-u", "src/main.py", "--fast"]
    if os.path.exists("/usr/bin/node") or __import__("shutil").which("node"):
        js = {"type": "stacktape-image-buildpack", "properties": {"entryfilePath": "src/index.js"}}
        assert local_command(js, tmp_path).argv[1:] == ["src/index.js"]
    nixpacks = {"type": "nixpacks", "properties": {"sourceDirectoryPath": "src", "startCmd": "python main.py"}}
    assert local_command(nixpacks, tmp_path).argv == ["sh", "-c", "python main.py"]

    reasons = {}
    for name, packaging, source in [
        ("prebuilt", {"type": "prebuilt-image", "properties": {"image": "nginx:alpine"}}, tmp_path),
        ("dockerfile", {"type": "custom-dockerfile", "properties": {"buildContextPath": "."}}, tmp_path),
        ("missing", {"type": "stacktape-image-buildpack", "properties": {"entryfilePath": "src/gone.py"}}, tmp_path),
        ("no-source", buildpack, None),
        ("go", {"type": "stacktape-image-buildpack", "properties": {"entryfilePath": "main.go"}}, tmp_path),
    ]:
        if name == "go":
            (tmp_path / "main.go").write_text("package main\n")
        with pytest.raises(NotRunnable) as caught:
            local_command(packaging, source)
        reasons[name] = str(caught.value)
    assert "prebuilt image nginx:alpine" in reasons["prebuilt"]
    assert "custom Dockerfile" in reasons["dockerfile"]
    assert "src/gone.py does not exist" in reasons["missing"]
    assert "Metadata.Stp.sourceDir" in reasons["no-source"]
    assert "neither Python nor JavaScript" in reasons["go"]


def test_environment_points_at_the_local_aws():
    from core.local.runner.plan import (
        ContainerInfo,
        StackSnapshot,
        container_environment,
    )

    info = ContainerInfo(name="worker", essential=True, environment={
        "STP_TASKS_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/q", "MODE": "fast",
        "TOKEN": "{{resolve:secretsmanager:api:SecretString:token}}", "AWS_ENDPOINT_URL": "https://elsewhere"},
        secrets=[], port_mappings=[], stop_timeout=2, depends_on=[], log_group="g", stream_prefix="worker", image=None)
    snap = StackSnapshot(stack_id="id", name="s", account_id="123456789012", region="us-east-1", status="CREATE_COMPLETE",
                         stp={}, tags={}, services=[],
                         resolved_secrets={"{{resolve:secretsmanager:api:SecretString:token}}": "s3cret"})
    env = container_environment(snap, info, "http://127.0.0.1:4566")
    assert env["STP_TASKS_URL"] == "http://127.0.0.1:4566/123456789012/q"
    assert env["TOKEN"] == "s3cret" and env["MODE"] == "fast"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_DEFAULT_REGION"]) == (
        "testing", "testing", "us-east-1")


# ---------------------------------------------------------------- end to end


@pytest.mark.slow
def test_worker_consumes_the_connected_queue_and_logs_to_cloudwatch(cfn, aws, stack_name, local_aws):
    _, stack = worker_stack(cfn, aws, stack_name)
    group, queue_url = outputs(stack)["WorkerLogGroupName"], outputs(stack)["TasksQueueUrl"]
    logs = aws("logs")
    started = poll("the worker's first line", lambda: log_lines(logs, group, '"polling"'))
    # the queue URL it got through connectTo points at the local AWS as seen from this machine
    assert f"polling {local_aws.endpoint}/" in started[0]["message"]
    assert re.fullmatch(r"worker/worker/[0-9a-f]{32}", started[0]["logStreamName"])

    aws("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps({"id": 42, "kind": "resize"}))
    received = poll("the worker to log the message", lambda: log_lines(logs, group, '"job id=42"'))
    assert "received message" in received[0]["message"] and "kind=resize" in received[0]["message"]
    poll("the worker to delete the message", lambda: log_lines(logs, group, '"deleted message"'))
    assert int(aws("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"]["ApproximateNumberOfMessages"]) == 0
    service = service_state(local_aws.endpoint, stack_name, "worker")
    assert service["localTasks"] == 1 and service["containers"][0]["runnable"]
    cfn.delete_stack(StackName=stack_name)


@pytest.mark.slow
def test_an_update_restarts_the_worker_and_a_delete_stops_it(cfn, aws, stack_name, local_aws):
    template, stack = worker_stack(cfn, aws, stack_name)
    group = outputs(stack)["WorkerLogGroupName"]
    logs = aws("logs")
    poll("the first task", lambda: log_lines(logs, group, '"hello from the local worker"'))
    (old_pid,) = poll("a running process", lambda: running_pids(local_aws.endpoint, stack_name, "worker"))

    env = template["Resources"]["WorkerTaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Environment"]
    next(e for e in env if e["Name"] == "WORKER_GREETING")["Value"] = "hello from release 2"
    parameters = [{"ParameterKey": "WorkerImage", "ParameterValue": "local/worker-worker:latest"}]
    deploy(cfn, stack_name, template, parameters, update=True)
    new = poll("the new task's line", lambda: log_lines(logs, group, '"hello from release 2"'))
    poll("the old process to stop", lambda: not alive(old_pid))
    # the old task stopped on SIGTERM, cleanly (the worker logs it), in its own stream
    stopped = poll("the old task's goodbye", lambda: log_lines(logs, group, '"worker stopped after"'))
    assert stopped[0]["logStreamName"] != new[0]["logStreamName"]
    (new_pid,) = running_pids(local_aws.endpoint, stack_name, "worker")
    assert new_pid != old_pid and alive(new_pid)

    # a deploy without template changes (only the code changed) asks for new tasks explicitly
    request = urllib.request.Request(f"{local_aws.endpoint}/_stp/runner/restart", method="POST",
                                     data=json.dumps({"stack": stack_name}).encode())
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 202
    poll("the restarted task", lambda: running_pids(local_aws.endpoint, stack_name, "worker") not in ([], [new_pid]))
    poll("the replaced process to stop", lambda: not alive(new_pid))
    (new_pid,) = running_pids(local_aws.endpoint, stack_name, "worker")

    delete(cfn, stack)
    poll("the process to stop with its stack", lambda: not alive(new_pid))
    poll("the runner to forget the stack", lambda: stack_name not in runner_state(local_aws.endpoint)["stacks"])


PREBUILT = """
serviceName: local-prebuilt
resources:
  jobs:
    type: sqs-queue
  pinger:
    type: worker-service
    properties:
      packaging:
        type: prebuilt-image
        properties:
          image: public.ecr.aws/docker/library/busybox:latest
      resources:
        cpu: 0.25
        memory: 512
      connectTo:
        - jobs
"""


def test_a_prebuilt_image_is_reported_as_not_runnable(cfn, aws, stack_name, local_aws, tmp_path):
    (tmp_path / "stacktape.yml").write_text(yaml(PREBUILT))
    template, parameters = deployable(tmp_path / "stacktape.yml", "local-prebuilt")
    stack = deploy(cfn, stack_name, template, parameters)
    out = outputs(stack)

    def events():
        services = aws("ecs").describe_services(cluster=out["PingerClusterName"],
                                               services=[out["PingerServiceName"]])["services"]
        return [e["message"] for e in services[0]["events"] if "not run locally" in e["message"]]

    (event,) = poll("the service event saying why", events)
    assert "prebuilt image public.ecr.aws/docker/library/busybox:latest" in event
    lines = poll("the log line saying why", lambda: log_lines(aws("logs"), out["PingerLogGroupName"]))
    assert lines[0]["logStreamName"] == "pinger/pinger/not-running"
    assert "[stp local]" in lines[0]["message"] and "not run locally" in lines[0]["message"]
    service = service_state(local_aws.endpoint, stack_name, "pinger")
    assert service["localTasks"] == 0 and service["tasks"] == []
    assert "prebuilt image" in service["containers"][0]["reason"]
    cfn.delete_stack(StackName=stack_name)


CRASHING = """
serviceName: local-crash
resources:
  flaky:
    type: worker-service
    properties:
      packaging:
        type: stacktape-image-buildpack
        properties:
          entryfilePath: crash.py
      resources:
        cpu: 0.25
        memory: 512
"""


@pytest.mark.slow
def test_a_crashed_process_is_restarted_with_its_exit_code_logged(cfn, aws, stack_name, tmp_path):
    (tmp_path / "stacktape.yml").write_text(yaml(CRASHING))
    (tmp_path / "crash.py").write_text("import sys\nprint('starting and failing', flush=True)\nsys.exit(3)\n")
    template, parameters = deployable(tmp_path / "stacktape.yml", "local-crash")
    out = outputs(deploy(cfn, stack_name, template, parameters))
    logs = aws("logs")
    group = out["FlakyLogGroupName"]

    def two_crashes():
        found = log_lines(logs, group, '"exited with code 3"')
        return found if len(found) >= 2 else None

    notes = poll("two crashes", two_crashes)
    assert "essential container flaky exited with code 3" in notes[0]["message"]
    assert "a new task starts in 0.5s" in notes[0]["message"] and "a new task starts in 1s" in notes[1]["message"]
    starts = log_lines(logs, group, '"starting and failing"')
    assert len({e["logStreamName"] for e in starts}) >= 2  # each replacement is a new task with its own stream
    service = aws("ecs").describe_services(cluster=out["FlakyClusterName"], services=[out["FlakyServiceName"]])
    assert any("exited with code 3" in e["message"] for e in service["services"][0]["events"])
    cfn.delete_stack(StackName=stack_name)


@pytest.mark.slow
def test_the_load_balancer_forwards_to_the_local_tasks(cfn, aws, stack_name, local_aws):
    template, parameters = deployable(CANARY / "stacktape.yml", "local-canary-web")
    stack = deploy(cfn, stack_name, template, parameters)

    def ready():
        run = runner_state(local_aws.endpoint)["stacks"].get(stack_name) or {}
        service = next((s for s in run.get("services", ()) if s["resource"] == "web"), None)
        if not run.get("loadBalancers") or service is None or len(running_pids(local_aws.endpoint, stack_name, "web")) < 2:
            return None
        return run

    run = poll("two tasks and the listener", ready)
    (listener,) = run["loadBalancers"]
    assert listener["listenerPort"] == 80

    def answers():
        seen = set()
        for _ in range(8):
            try:
                with urllib.request.urlopen(listener["url"] + "/hello", timeout=5) as response:
                    body = json.loads(response.read())
            except OSError:
                return None  # a task not listening yet
            assert body["release"] == "v1" and body["path"] == "/hello"
            seen.add(body["task"])
        return seen

    tasks = poll("answers through the load balancer", answers)
    assert len(tasks) == 2  # round robin over both tasks
    logs = poll("the request lines in CloudWatch",
                lambda: log_lines(aws("logs"), outputs(stack)["WebLogGroupName"], '"GET /hello"'))
    assert "release v1" in logs[0]["message"]
    delete(cfn, stack)
    poll("the listener to close", lambda: stack_name not in runner_state(local_aws.endpoint)["stacks"])


def test_secret_and_parameter_references_are_read_from_the_local_aws():
    """In-process: `{{resolve:...}}` values and `secrets` of a container resolve from moto's Secrets Manager/SSM."""
    from moto.secretsmanager.models import secretsmanager_backends
    from moto.ssm.models import ssm_backends

    from core.local.runner.plan import (
        ContainerInfo,
        ServiceInfo,
        StackSnapshot,
        _resolve_references,
    )

    account, region = "123456789012", "ap-south-2"
    secret = secretsmanager_backends[account][region].create_secret(  # its short description, as JSON
        name="api", secret_string=json.dumps({"token": "t0k"}), secret_binary=None, description=None, tags=[],
        kms_key_id=None, client_request_token=None, replica_regions=[], force_overwrite=False)
    ssm_backends[account][region].put_parameter(
        name="/app/mode", description="", value="fast", parameter_type="String", allowed_pattern=None,
        keyid=None, overwrite=True, tags=[], data_type="text", tier=None, policies=None)
    container = ContainerInfo(
        name="app", essential=True, environment={
            "TOKEN": "{{resolve:secretsmanager:api:SecretString:token}}", "MODE": "{{resolve:ssm:/app/mode}}"},
        secrets=[{"name": "WHOLE", "valueFrom": json.loads(secret)["ARN"]}],
        port_mappings=[], stop_timeout=2, depends_on=[], log_group=None, stream_prefix=None, image=None)
    service = ServiceInfo(resource="app", resource_type="worker-service", logical_id="AppService", name="s", cluster="c",
                          arn="arn", desired_count=1, task_definition="td", containers=[container], target_groups=[])
    snap = StackSnapshot(stack_id="id", name="s", account_id=account, region=region, status="CREATE_COMPLETE", stp={},
                         tags={}, services=[service])
    resolved = _resolve_references(snap)
    assert resolved["{{resolve:secretsmanager:api:SecretString:token}}"] == "t0k"
    assert resolved["{{resolve:ssm:/app/mode}}"] == "fast"
    assert json.loads(resolved[container.secrets[0]["valueFrom"]]) == {"token": "t0k"}
