"""What the deploy step supplies besides the template: the deployment bucket, code packages, images.

- The deployment bucket ``<project>-<stage>-deploy-<account>-<region>`` (created on first use) holds
  Lambda code packages (``functions/<resource>/<content hash>.zip``) and templates too large to send
  inline (``templates/<stack>/<hash>.json``). Keys are content hashes: an unchanged package keeps its
  key, so CloudFormation sees no change, and an upload that already exists is skipped.
- Container images built from source: on the local AWS a placeholder URI (local runs pull nothing);
  on real AWS ``docker build`` and a push to the ECR repository ``<project>-<stage>``.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import io
import os
import posixpath
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.aws.session import Aws, AwsProblem, error_code, translated

INLINE_TEMPLATE_LIMIT = 51_200
URL_TEMPLATE_LIMIT = 1_000_000
_SKIP_DIRS = {".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".mypy_cache", ".pytest_cache", ".stp",
              ".idea", ".vscode", ".tox", ".ruff_cache"}
_SKIP_FILES = {".DS_Store", "stacktape.yml", "stacktape.yaml"}


def bucket_name(stack: str, account: str, region: str) -> str:
    """A valid, unique-per-account-and-region S3 bucket name for the stack's deployment artifacts."""
    suffix = f"-deploy-{account}-{region}".lower()
    base = stack.lower().strip("-")
    if len(base) + len(suffix) > 63:
        digest = hashlib.sha1(base.encode()).hexdigest()[:8]
        base = base[: 63 - len(suffix) - 9].rstrip("-") + "-" + digest
    return base + suffix


def repository_name(stack: str) -> str:
    return stack.lower()


class DeploymentBucket:
    """The stack's deployment bucket, created the first time something is put in it."""

    def __init__(self, aws: Aws, stack: str):
        self.aws = aws
        self.stack = stack
        self._name: str | None = None

    @property
    def name(self) -> str:
        if self._name is None:
            self._name = bucket_name(self.stack, self.aws.account_id(), self.aws.region)
        return self._name

    def ensure(self) -> str:
        s3 = self.aws.client("s3")
        name = self.name
        with translated(self.aws.target, self.aws.region, f"preparing the deployment bucket {name}"):
            try:
                s3.head_bucket(Bucket=name)
                return name
            except Exception as exc:
                code = error_code(exc)
                if code in ("403", "AccessDenied", "Forbidden"):
                    raise AwsProblem(f"the deployment bucket name {name} is taken by another AWS account") from None
                if code not in ("404", "NoSuchBucket", "NotFound"):
                    raise
            kwargs: dict[str, Any] = {"Bucket": name}
            if self.aws.region != "us-east-1":
                kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.aws.region}
            s3.create_bucket(**kwargs)
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
                "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True})
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "stp:stack", "Value": self.stack}]})
        return name

    def put(self, key: str, body: bytes, content_type: str = "application/octet-stream") -> bool:
        """Upload unless an object with this (content-hashed) key exists; True when it uploaded."""
        name = self.ensure()
        s3 = self.aws.client("s3")
        with translated(self.aws.target, self.aws.region, f"uploading s3://{name}/{key}"):
            try:
                s3.head_object(Bucket=name, Key=key)
                return False
            except Exception as exc:
                if error_code(exc) not in ("404", "NoSuchKey", "NotFound"):
                    raise
            s3.put_object(Bucket=name, Key=key, Body=body, ContentType=content_type)
        return True

    def url(self, key: str) -> str:
        host = "s3.amazonaws.com" if self.aws.region == "us-east-1" else f"s3.{self.aws.region}.amazonaws.com"
        return f"https://{self.name}.{host}/{key}"


def remove_deployment_storage(aws: Aws, stack: str) -> list[str]:
    """After the stack is deleted: empty and delete its deployment bucket and ECR repository."""
    said: list[str] = []
    name = bucket_name(stack, aws.account_id(), aws.region)
    s3 = aws.client("s3")
    with translated(aws.target, aws.region, f"removing the deployment bucket {name}"):
        try:
            s3.head_bucket(Bucket=name)
        except Exception as exc:
            if error_code(exc) not in ("404", "NoSuchBucket", "NotFound", "403"):
                raise
        else:
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
                batch = [{"Key": o["Key"], "VersionId": o["VersionId"]}
                         for o in (page.get("Versions") or []) + (page.get("DeleteMarkers") or [])]
                if batch:
                    s3.delete_objects(Bucket=name, Delete={"Objects": batch, "Quiet": True})
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
                batch = [{"Key": o["Key"]} for o in page.get("Contents") or []]
                if batch:
                    s3.delete_objects(Bucket=name, Delete={"Objects": batch, "Quiet": True})
            s3.delete_bucket(Bucket=name)
            said.append(f"deleted the deployment bucket {name}")
    if not aws.local:
        ecr = aws.client("ecr")
        repo = repository_name(stack)
        try:
            ecr.delete_repository(repositoryName=repo, force=True)
            said.append(f"deleted the image repository {repo}")
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) != "RepositoryNotFoundException":
                said.append(f"could not delete the image repository {repo}: {exc}")
    return said


# --------------------------------------------------------------------------------------------- code packages


def deterministic_zip(files: Iterable[tuple[str, Path]]) -> bytes:
    """A zip whose bytes depend only on the names and contents of the files (fixed dates, sorted)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, path in sorted(files):
            info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return buf.getvalue()


def _walk(folder: Path, root: Path) -> list[tuple[str, Path]]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for f in filenames:
            if f in _SKIP_FILES or f.endswith((".pyc", ".pyo")):
                continue
            path = Path(dirpath) / f
            found.append((path.relative_to(root).as_posix(), path))
    return found


def _text(value) -> str:
    return str(value) if value is not None else ""


def _relative(value) -> str:
    """A config path as a clean relative POSIX path: ``./src//app.py`` → ``src/app.py``."""
    path = posixpath.normpath(_text(value).replace("\\", "/"))
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")


@dataclass
class CodePackage:
    resource: str
    body: bytes
    notes: list[str]

    @property
    def key(self) -> str:
        return f"functions/{self.resource}/{hashlib.sha256(self.body).hexdigest()[:20]}.zip"


def lambda_package(config_dir: Path, resource: str, packaging) -> CodePackage:
    """Zip the code of a function: its entry file's folder (buildpack) or the package it names (custom)."""
    props = packaging.properties
    notes: list[str] = []
    if packaging.type == "custom-artifact":
        path = (config_dir / _text(props.packagePath)).resolve()
        if path.is_file() and path.suffix.lower() == ".zip":
            return CodePackage(resource, path.read_bytes(), notes)
        if path.is_dir():
            return CodePackage(resource, deterministic_zip(_walk(path, path)), notes)
        if path.is_file():
            return CodePackage(resource, deterministic_zip([(path.name, path)]), notes)
        raise AwsProblem(f"function {resource}: packagePath {props.packagePath} does not exist (from {config_dir})")
    entry = _relative(props.entryfilePath)
    entry_path = config_dir / entry
    if not entry_path.is_file():
        raise AwsProblem(f"function {resource}: entry file {entry} does not exist (from {config_dir})")
    ext = entry_path.suffix.lower()
    if ext in (".ts", ".tsx", ".mts", ".cts"):
        raise AwsProblem(f"function {resource}: TypeScript needs bundling, which stp does not do yet; compile it"
                         " to JavaScript and point entryfilePath at the .js file, or use custom-artifact")
    if ext not in (".py", ".js", ".mjs", ".cjs"):
        raise AwsProblem(f"function {resource}: stp packages Python and JavaScript entry files so far; build"
                         f" '{entry}' yourself and use packaging type custom-artifact")
    top = entry.split("/", 1)[0] if "/" in entry else ""
    files = dict(_walk(config_dir / top, config_dir) if top else _walk(config_dir, config_dir))
    for pattern in props.includeFiles or ():
        for path in sorted(config_dir.glob(_text(pattern))):
            if path.is_file():
                files[path.relative_to(config_dir).as_posix()] = path
    for pattern in props.excludeFiles or ():
        pat = _text(pattern)
        files = {k: v for k, v in files.items() if not fnmatch.fnmatch(k, pat)}
    files[entry] = entry_path
    deps = next((n for n in ("requirements.txt", "package.json") if (config_dir / top / n).is_file()
                 or (config_dir / n).is_file()), None)
    if deps:
        notes.append(f"function {resource}: dependencies in {deps} are not installed into the package yet")
    return CodePackage(resource, deterministic_zip(files.items()), notes)


# --------------------------------------------------------------------------------------------- images


Runner = Callable[..., subprocess.CompletedProcess]


def local_image_uri(resource: str, container: str) -> str:
    return f"local/{resource}-{container}:latest".lower()


def docker_available(run: Runner = subprocess.run) -> str | None:
    """None when docker can build here, else why not."""
    if shutil.which("docker") is None:
        return "docker is not installed (not on PATH)"
    try:
        done = run(["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"docker does not answer ({exc})"
    if done.returncode != 0:
        last = (done.stderr or "").strip().splitlines()[-1:]
        return "the docker daemon is not running" + (f" ({last[0]})" if last else "")
    return None


def _dockerfile_for(entry: str) -> str:
    ext = Path(entry).suffix.lower()
    if ext == ".py":
        return ("FROM public.ecr.aws/docker/library/python:3.12-slim\nWORKDIR /app\nCOPY . .\n"
                "RUN if [ -f requirements.txt ]; then pip install --no-cache-dir -r requirements.txt; fi\n"
                f'CMD ["python", "{entry}"]\n')
    if ext in (".js", ".mjs", ".cjs"):
        return ("FROM public.ecr.aws/docker/library/node:22-slim\nWORKDIR /app\nCOPY . .\n"
                "RUN if [ -f package.json ]; then npm install --omit=dev; fi\n"
                f'CMD ["node", "{entry}"]\n')
    raise AwsProblem(f"stp builds images from Python and JavaScript entry files so far, not '{entry}'; use a"
                     " custom-dockerfile packaging")


def build_command(packaging, config_dir: Path, tag: str, workdir: Path) -> list[str]:
    """The command that builds one container image tagged ``tag``."""
    props = packaging.properties
    kind = packaging.type
    if kind == "custom-dockerfile":
        context = (config_dir / _text(props.buildContextPath)).resolve()
        dockerfile = context / _text(props.dockerfilePath or "Dockerfile")
        cmd = ["docker", "build", "--platform", "linux/amd64", "-t", tag, "-f", str(dockerfile)]
        for arg in props.buildArgs or ():
            cmd += ["--build-arg", f"{_text(arg.argName)}={_text(arg.value)}"]
        return cmd + [str(context)]
    if kind == "stacktape-image-buildpack":
        entry = _relative(props.entryfilePath)
        dockerfile = workdir / f"{tag.replace('/', '_').replace(':', '_')}.Dockerfile"
        dockerfile.write_text(_dockerfile_for(entry))
        return ["docker", "build", "--platform", "linux/amd64", "-t", tag, "-f", str(dockerfile), str(config_dir)]
    if kind == "nixpacks":
        if shutil.which("nixpacks") is None:
            raise AwsProblem("nixpacks packaging needs the nixpacks command (https://nixpacks.com); it is not on PATH")
        return ["nixpacks", "build", str((config_dir / _text(props.sourceDirectoryPath)).resolve()), "--name", tag]
    if kind == "external-buildpack":
        if shutil.which("pack") is None:
            raise AwsProblem("external-buildpack packaging needs the pack command (https://buildpacks.io); it is not"
                             " on PATH")
        return ["pack", "build", tag, "--path", str((config_dir / _text(props.sourceDirectoryPath)).resolve()),
                "--builder", _text(props.builder)]
    raise AwsProblem(f"stp cannot build '{kind}' images")


def container_packaging(analysis, resource: str, container: str):
    from core.compile.workload_spec import expand

    entry = analysis.resources[resource]
    spec = expand(resource, entry.type, entry.model)
    for c in spec.containers:
        if c.name == container:
            return c.packaging
    raise AwsProblem(f"container {container} of {resource} is not in the config")


def build_and_push(aws: Aws, stack: str, analysis, images: dict, config_dir: Path, say: Callable[[str], None],
                   run: Runner = subprocess.run) -> dict[str, str]:
    """Build each image with docker, push it to ECR; parameter id → image URI."""
    why = docker_available(run)
    if why:
        names = ", ".join(f"{i['resource']}/{i['container']} ({i['packaging']})" for i in images.values())
        raise AwsProblem(f"these containers are built from source, which needs docker: {names}; but {why}."
                         " Start docker, or use a prebuilt-image packaging")
    ecr = aws.client("ecr")
    repo = repository_name(stack)
    with translated(aws.target, aws.region, f"preparing the image repository {repo}"):
        try:
            uri = ecr.describe_repositories(repositoryNames=[repo])["repositories"][0]["repositoryUri"]
        except Exception as exc:
            if error_code(exc) != "RepositoryNotFoundException":
                raise
            uri = ecr.create_repository(repositoryName=repo, imageScanningConfiguration={"scanOnPush": True},
                                        tags=[{"Key": "stp:stack", "Value": stack}])["repository"]["repositoryUri"]
        auth = ecr.get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(auth["authorizationToken"]).decode().partition(":")
    registry = auth["proxyEndpoint"]
    _run(run, ["docker", "login", "--username", user, "--password-stdin", registry], "docker login", stdin=password)
    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="stp-build-") as tmp:
        for param, image in images.items():
            res, cont = image["resource"], image["container"]
            local_tag = f"stp-{stack}-{res}-{cont}:build".lower()
            say(f"building image {res}/{cont} ({image['packaging']})")
            _run(run, build_command(container_packaging(analysis, res, cont), config_dir, local_tag, Path(tmp)),
                 f"building {res}/{cont}")
            image_id = _run(run, ["docker", "image", "inspect", "--format", "{{.Id}}", local_tag], "docker inspect")
            digest = image_id.strip().split(":")[-1][:16]
            remote = f"{uri}:{res}-{cont}-{digest}".lower()
            _run(run, ["docker", "tag", local_tag, remote], "docker tag")
            say(f"pushing {remote}")
            _run(run, ["docker", "push", remote], f"pushing {res}/{cont}")
            out[param] = remote
    return out


def _run(run: Runner, cmd: list[str], what: str, stdin: str | None = None) -> str:
    try:
        done = run(cmd, capture_output=True, text=True, input=stdin)
    except OSError as exc:
        raise AwsProblem(f"{what}: cannot run {cmd[0]}: {exc.strerror}") from None
    if done.returncode != 0:
        tail = "\n".join(((done.stderr or "") + (done.stdout or "")).strip().splitlines()[-15:])
        raise AwsProblem(f"{what} failed (exit code {done.returncode}):\n{tail}")
    return done.stdout or ""
