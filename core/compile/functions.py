"""Functions → AWS Lambda: the function, its role and logs, code parameters, concurrency, URL and triggers.

Code: the deploy step builds (or zips) the package and uploads it, so the template takes its
location as two parameters per function, ``<Name>CodeBucket`` and ``<Name>CodeKey``;
``ctx.artifacts['<Name>Code']`` tells the deploy step which function they belong to, how to
build the package and which handler the template expects in it. The key must change whenever
the package does (a content hash), or CloudFormation sees nothing to update.

Each function gets an explicit name (``<stack>-<name>``) so its log group can be created
beforehand with the configured retention (`/aws/lambda/<function name>`), and a role of its
own: basic logging (none when logging is disabled), VPC access with `joinDefaultVpc`, and one
inline policy gathered from `iamRoleStatements`, the triggers (reading a queue or stream) and
connectTo hooks once they have all run.

With `provisionedConcurrency` a version is published on every change and the alias ``live``
keeps the warm instances; every trigger then invokes the alias, so requests meet those
instances. A version is immutable, so its description carries a digest of the function's
configuration and code key: any change replaces it.

Triggers are wired after every resource is compiled (gateways and load balancers exist then).
HTTP API routes and load-balancer rules go on the resources ``ingress`` compiles, through its
state and helpers, so routes, authorizers and rule priorities are shared with container
workloads. `s3` events cannot be compiled here: S3 notifications live in the bucket's own
configuration, which the bucket compiler owns.
"""

from __future__ import annotations

import hashlib
import json
import math
import posixpath
import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from troposphere import (
    GetAtt,
    Join,
    Ref,
    Select,
    Split,
    Sub,
    Tags,
    awslambda,
    ec2,
    events,
    iam,
    kinesis,
    logs,
    sns,
)
from troposphere import apigatewayv2 as apigw
from troposphere import elasticloadbalancingv2 as elb

from core.compile.context import FINISH_ORDER, HOOK_ORDER, SHARED
from core.compile.directives import DirectiveProblem, is_intrinsic, known_now, text
from core.compile.errors import Problem
from core.compile.policies import allow, role_policy, role_statements, service_may_send, service_trust
from core.compile.registry import compiler, params
from core.compile.vpc import network
from core.compile.workload_hooks import ParamAbsent, _connect

FUNCTION_ID = "Function"  # <Name>Function: the id ingress.function_arn and deployments expect
ALIAS_NAME = "live"
MAX_FUNCTION_NAME = 64
HTTP_API_TIMEOUT = 30  # seconds API Gateway waits for an integration
MAX_SQS_BATCH_WITHOUT_WINDOW = 10
MAX_FIFO_BATCH = 10
RESERVED_ENV = frozenset((
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
))  # fmt: skip
_ENV_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]+")
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
_CONSUMER_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")
_LOG_GROUP_ARN = re.compile(r"arn:[^:]+:logs:[^:]*:[^:]*:log-group:([^:]+)(?::\*)?")

# --- languages and runtimes ------------------------------------------------------------------------

LANGUAGE_OF_EXTENSION = {
    **dict.fromkeys((".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"), "node"),
    ".py": "python", ".rb": "ruby",
    **dict.fromkeys((".java", ".kt", ".scala", ".groovy"), "java"),
    ".go": "go", ".rs": "rust", ".cs": "dotnet", ".fs": "dotnet", ".php": "php",
}  # fmt: skip
LANGUAGE_OF_RUNTIME = (("nodejs", "node"), ("python", "python"), ("ruby", "ruby"), ("java", "java"),
                       ("dotnet", "dotnet"), ("provided", "native"))
DEFAULT_RUNTIMES = {
    "node": "nodejs22.x", "python": "python3.13", "ruby": "ruby3.3", "java": "java21", "go": "provided.al2023",
    "rust": "provided.al2023", "dotnet": "dotnet8",
}
NODE_RUNTIME_VERSIONS = (16, 18, 20, 22, 24)
PYTHON_RUNTIME_VERSIONS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
JAVA_RUNTIMES = {8: "java8.al2", 11: "java11", 17: "java17", 21: "java21"}
DEFAULT_HANDLER_FUNCTION = {"node": "handler", "python": "handler", "ruby": "handler", "java": "handleRequest"}
_JAVA_SOURCE_ROOT = re.compile(r"(?:^|/)src/main/(?:java|kotlin|scala|groovy)/")


def runtime_language(runtime: str) -> str | None:
    for prefix, lang in LANGUAGE_OF_RUNTIME:
        if runtime.startswith(prefix):
            return lang
    return None


def _same_language(lang: str, runtime_lang: str | None) -> bool:
    return runtime_lang == lang or (lang in ("go", "rust") and runtime_lang == "native")


@dataclass
class Package:
    runtime: str
    handler: str
    language: str


def _stem(path: str) -> str:
    path = posixpath.normpath(str(path).replace("\\", "/"))
    path = path[2:] if path.startswith("./") else path.lstrip("/")
    return posixpath.splitext(path)[0]


def _handler(lang: str, stem: str, function: str | None) -> str | None:
    """The Lambda handler for a function named ``function`` in the source file ``stem`` (no extension)."""
    if lang in ("go", "rust", "native"):
        return "bootstrap"  # a custom runtime starts the `bootstrap` executable of the package
    if lang == "dotnet":
        return function if function and "::" in function else None
    fn = function or DEFAULT_HANDLER_FUNCTION.get(lang, "handler")
    if lang == "python":
        return f"{stem.replace('/', '.')}.{fn}"
    if lang == "java":
        if "::" in fn or "." in fn:
            return fn
        cls = _JAVA_SOURCE_ROOT.split(stem)[-1].replace("/", ".")
        return f"{cls}::{fn}"
    return f"{stem}.{fn}"


def _buildpack_runtime(ctx, lang: str, lsc, where: str) -> str | None:
    """The runtime the buildpack builds for, from languageSpecificConfig (or the language's current default)."""
    chosen = lsc.model_fields_set if lsc is not None else set()
    if lang == "node" and "nodeVersion" in chosen:
        v = int(ctx.static(lsc.nodeVersion, f"{where}.nodeVersion", 22))
        if v not in NODE_RUNTIME_VERSIONS:
            ctx.invalid(f"{where}.nodeVersion", f"Lambda has no Node.js {v} runtime; use one of"
                                                f" {', '.join(map(str, NODE_RUNTIME_VERSIONS))}")
            return None
        return f"nodejs{v}.x"
    if lang == "python" and lsc is not None and lsc.pythonVersion is not None:
        v = text(ctx.static(lsc.pythonVersion, f"{where}.pythonVersion", 3.13))
        v = {"3.1": "3.10"}.get(v, v)
        if v not in PYTHON_RUNTIME_VERSIONS:
            ctx.invalid(f"{where}.pythonVersion", f"Lambda has no Python {v} runtime for new functions; use one of"
                                                  f" {', '.join(PYTHON_RUNTIME_VERSIONS)}")
            return None
        return f"python{v}"
    if lang == "java" and lsc is not None and lsc.javaVersion is not None:
        v = int(ctx.static(lsc.javaVersion, f"{where}.javaVersion", 21))
        if v not in JAVA_RUNTIMES:
            ctx.invalid(f"{where}.javaVersion", f"Lambda has no Java {v} runtime; use one of"
                                                f" {', '.join(map(str, JAVA_RUNTIMES))}")
            return None
        return JAVA_RUNTIMES[v]
    if lang == "ruby" and lsc is not None and lsc.rubyVersion is not None:
        return f"ruby{text(ctx.static(lsc.rubyVersion, f'{where}.rubyVersion', 3.3))}"
    if lang == "dotnet" and lsc is not None and lsc.dotnetVersion is not None:
        return f"dotnet{text(ctx.static(lsc.dotnetVersion, f'{where}.dotnetVersion', 8))}"
    return DEFAULT_RUNTIMES.get(lang)


def package_of(ctx, name: str, props) -> Package | None:
    """Runtime and handler from `packaging` and `runtime` (None when they cannot be known; problems recorded)."""
    where = f"resources.{name}.properties"
    pkg = props.packaging
    ppath = f"{where}.packaging.properties"
    runtime = text(ctx.static(props.runtime, f"{where}.runtime", "")) if props.runtime is not None else None
    runtime_lang = runtime_language(runtime) if runtime else None
    if pkg.type == "stacktape-lambda-buildpack":
        p = pkg.properties
        entry = text(ctx.static(p.entryfilePath, f"{ppath}.entryfilePath", ""))
        ext = posixpath.splitext(entry)[1].lower()
        lang = LANGUAGE_OF_EXTENSION.get(ext)
        if lang is None or lang == "php":
            why = "PHP has no Lambda runtime" if lang == "php" else f"stp does not know how to build '{ext or entry}' files"
            ctx.invalid(f"{ppath}.entryfilePath", f"{why}; package the code yourself (custom-artifact) with a runtime"
                                                  " or a layer that runs it")
            return None
        if runtime is None:
            runtime = _buildpack_runtime(ctx, lang, p.languageSpecificConfig, f"{ppath}.languageSpecificConfig")
            if runtime is None:
                return None
        elif not _same_language(lang, runtime_lang):
            ctx.invalid(f"{where}.runtime", f"runtime '{runtime}' cannot run '{entry}'; leave runtime out to use the"
                                            " one that fits the entry file")
            return None
        fn = text(ctx.static(p.handlerFunction, f"{ppath}.handlerFunction", "")) if p.handlerFunction else None
        handler = _handler(lang, _stem(entry), fn)
        if handler is None:
            ctx.invalid(f"{ppath}.handlerFunction", "a .NET handler names assembly, type and method: set handlerFunction"
                                                    " to 'Assembly::Namespace.Class::Method'")
            return None
        return Package(runtime, handler, lang)
    p = pkg.properties  # custom-artifact
    written = text(ctx.static(p.handler, f"{ppath}.handler", "")) if p.handler is not None else None
    file, fn = None, None
    if written and "::" not in written and ":" in written:
        file, _, fn = written.partition(":")
    if runtime is None and file is not None:
        lang = LANGUAGE_OF_EXTENSION.get(posixpath.splitext(file)[1].lower())
        runtime = DEFAULT_RUNTIMES.get(lang) if lang not in (None, "go", "rust") else None
        runtime_lang = runtime_language(runtime) if runtime else None
    if runtime is None:
        ctx.invalid(f"{where}.runtime", "a custom artifact needs its runtime, e.g. runtime: nodejs22.x or"
                                        " python3.13 (or provided.al2023 for compiled code)")
        return None
    if written is None:
        handler = "bootstrap" if runtime_lang == "native" else None
    elif file is not None:
        handler = _handler(runtime_lang or "node", _stem(file), fn)
    else:
        handler = written
    if handler is None:
        ctx.invalid(f"{ppath}.handler", "say what Lambda calls: handler: '<file in the package>:<function>', e.g."
                                        " 'index.js:handler'")
        return None
    return Package(runtime, handler, runtime_lang or "native")


# --- the compiled function, as hooks see it ----------------------------------------------------------


@dataclass
class CompiledFunction:
    """The Lambda of a `function`, shaped like CompiledWorkload where connect hooks look.

    Hooks may append IAM statements to ``task_statements`` (they go into the function's role),
    add environment variables with ``add_environment`` (the container name is ignored: a function
    has one environment) and admit ``security_group`` (None unless the function joins the VPC)
    into what it connects to. There is no ECS service, cluster or task definition.
    """

    spec: Any
    function: Any
    role: Any
    security_group: Any
    log_group: Any
    target: Any  # ARN that triggers invoke: the function, or its alias with provisioned concurrency
    private: bool  # runs in the VPC's private subnets
    alias: Any = None
    version: Any = None
    task_statements: list = field(default_factory=list)
    integrations: dict = field(default_factory=dict)  # (gateway, payload format) → Integration
    gateway_permissions: set = field(default_factory=set)
    alb_target_groups: dict = field(default_factory=dict)  # load balancer → TargetGroup
    launch_type: str = "LAMBDA"
    cluster: Any = None
    service: Any = None
    task_definition: Any = None
    events: list = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def task_role(self):
        return self.role

    @property
    def execution_role(self):
        return self.role

    @property
    def execution_statements(self) -> list:
        return self.task_statements

    @property
    def containers(self) -> dict:
        return {self.name: self.function}

    @property
    def log_groups(self) -> dict:
        return {self.name: self.log_group} if self.log_group is not None else {}

    def add_environment(self, container: str, name: str, value) -> None:
        env = self.function.properties.get("Environment")
        if env is None:
            env = self.function.Environment = awslambda.Environment(Variables={})
        env.properties.setdefault("Variables", {})[name] = value

    def allow(self, actions, resource) -> None:
        allow(self, actions, resource)


def functions(ctx) -> dict:
    """Compiled functions by name."""
    return ctx.extra.setdefault("functions", {})


def function_name(ctx, name: str) -> str:
    """The Lambda function name: ``<stack>-<name>`` (shortened with a hash past 64 characters)."""
    full = _NAME_CHARS.sub("-", f"{ctx.stack_name}-{name}")
    if len(full) <= MAX_FUNCTION_NAME:
        return full
    digest = hashlib.sha1(full.encode()).hexdigest()[:8]
    return f"{full[:MAX_FUNCTION_NAME - 9]}-{digest}"


def _managed(policy: str):
    return Sub(f"arn:${{AWS::Partition}}:iam::aws:policy/service-role/{policy}")


ENI_ACTIONS = [
    "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
]  # fmt: skip


def gateway_endpoints(ctx, net) -> None:
    """Free S3 and DynamoDB gateway endpoints on the private route tables (functions in the VPC have no internet)."""
    for lid, service in (("VpcS3Endpoint", "s3"), ("VpcDynamoDbEndpoint", "dynamodb")):
        if lid in ctx.ids:
            continue
        ctx.add(SHARED, ec2.VPCEndpoint(
            lid, VpcId=net.vpc, VpcEndpointType="Gateway", ServiceName=Sub(f"com.amazonaws.${{AWS::Region}}.{service}"),
            RouteTableIds=[Ref(rt) for rt in net.private_route_tables],
        ))


# --- the function ---------------------------------------------------------------------------------


@compiler("function")
def compile_function(ctx, name: str, model) -> None:
    props = model.properties
    where = f"resources.{name}.properties"
    st = lambda value, key, default=None: ctx.static(value, f"{where}.{key}", default)
    pkg = package_of(ctx, name, props)
    if pkg is None:
        return
    add = lambda r: ctx.add(name, r)
    fname = function_name(ctx, name)

    logging = props.logging
    log_disabled = logging is not None and bool(st(logging.disabled, "logging.disabled", False))
    in_vpc = bool(st(props.joinDefaultVpc, "joinDefaultVpc", False))

    managed = []
    if not log_disabled:
        managed.append(_managed("AWSLambdaBasicExecutionRole"))
    if in_vpc and not log_disabled:
        managed.append(_managed("AWSLambdaVPCAccessExecutionRole"))
    role = iam.Role(ctx.id(name, "Role"), AssumeRolePolicyDocument=service_trust("lambda.amazonaws.com", this_account_only=False))
    if managed:
        role.ManagedPolicyArns = managed
    add(role)

    bucket = ctx.parameter(name, ctx.id(name, "CodeBucket"), Type="String", MinLength=1,
                           Description=f"S3 bucket holding the code package of function {name} (uploaded by the deploy step)")
    key = ctx.parameter(name, ctx.id(name, "CodeKey"), Type="String", MinLength=1,
                        Description=f"S3 key of the code package of function {name} (changes with its content)")
    arch = st(props.architecture, "architecture", "x86_64")
    ctx.artifacts[ctx.id(name, "Code")] = {
        "kind": "lambda-package", "resource": name, "packaging": props.packaging.type,
        "bucketParameter": bucket.title, "keyParameter": key.title,
        "runtime": pkg.runtime, "handler": pkg.handler, "architecture": arch,
    }

    fn = awslambda.Function(
        ctx.id(name, FUNCTION_ID), FunctionName=fname, Runtime=pkg.runtime, Handler=pkg.handler,
        Code=awslambda.Code(S3Bucket=Ref(bucket), S3Key=Ref(key)), Role=GetAtt(role, "Arn"),
        Architectures=["arm64" if arch == "arm64" else "x86_64"],
        Timeout=int(st(props.timeout, "timeout", 10)),
        EphemeralStorage=awslambda.EphemeralStorage(Size=int(st(props.storage, "storage", 512))),
    )
    if props.memory is not None:
        fn.MemorySize = int(st(props.memory, "memory", 128))

    lg = None
    if not log_disabled:
        days = int(st(logging.retentionDays, "logging.retentionDays", 180)) if logging is not None else 180
        lg = add(logs.LogGroup(ctx.id(name, "LogGroup"), LogGroupName=f"/aws/lambda/{fname}", RetentionInDays=days,
                               DeletionPolicy="Delete", UpdateReplacePolicy="Delete"))
        fn.LoggingConfig = awslambda.LoggingConfig(LogGroup=Ref(lg))
        if logging is not None and logging.logForwarding is not None:
            forward = ctx.hook("log-forwarding", logging.logForwarding.type)
            if forward is None:
                ctx.unsupported(f"{where}.logging.logForwarding",
                                f"log forwarding to {logging.logForwarding.type} is not compiled yet")
            else:  # the hook reads the owner's name and the log source's name, id part, path and logging
                source = SimpleNamespace(name=name, id_part="", path=where, logging=logging)
                ctx.defer(lambda: forward(ctx, source, source, lg), HOOK_ORDER)

    sg = None
    if in_vpc:
        net = network(ctx)
        sg = add(ec2.SecurityGroup(
            ctx.id(name, "SecurityGroup"), GroupDescription=f"Function {name} in {ctx.stack_name}", VpcId=net.vpc,
            SecurityGroupEgress=[ec2.SecurityGroupRule(IpProtocol="-1", CidrIp="0.0.0.0/0", Description="any outbound")],
            Tags=Tags(Name=f"{ctx.stack_name}-{name}"),
        ))
        fn.VpcConfig = awslambda.VPCConfig(SubnetIds=list(net.private_subnets), SecurityGroupIds=[Ref(sg)])
        gateway_endpoints(ctx, net)

    env = {}
    for i, e in enumerate(props.environment or ()):
        key_name = str(e.name)
        epath = f"{where}.environment[{i}]"
        if key_name in RESERVED_ENV:
            ctx.invalid(epath, f"Lambda sets {key_name} itself; pick another variable name")
            continue
        if not _ENV_NAME.fullmatch(key_name):
            ctx.invalid(epath, f"'{key_name}' cannot be a Lambda environment variable name: use at least two letters,"
                               " digits and underscores, starting with a letter")
            continue
        env[key_name] = ctx.text(e.value, f"{epath}.value")
    if env:
        fn.Environment = awslambda.Environment(Variables=env)
    if props.layers:
        fn.Layers = [ctx.resolve(layer, f"{where}.layers") for layer in props.layers]
    if props.reservedConcurrency is not None:
        fn.ReservedConcurrentExecutions = int(st(props.reservedConcurrency, "reservedConcurrency", 0))
    if props.tags:
        fn.Tags = Tags({str(t.name): ctx.text(t.value, f"{where}.tags") for t in props.tags})
    add(fn)

    provisioned = int(st(props.provisionedConcurrency, "provisionedConcurrency", 0) or 0) \
        if props.provisionedConcurrency is not None else 0
    spec = SimpleNamespace(name=name, type="function", props=props, containers=[], deployment=None)
    cf = CompiledFunction(spec=spec, function=fn, role=role, security_group=sg, log_group=lg,
                          target=GetAtt(fn, "Arn"), private=in_vpc)
    if in_vpc and log_disabled:
        cf.allow(ENI_ACTIONS, "*")
    if provisioned > 0:
        cf.version = add(awslambda.Version(ctx.id(name, "Version"), FunctionName=Ref(fn)))
        cf.alias = add(awslambda.Alias(
            ctx.id(name, "Alias"), FunctionName=Ref(fn), FunctionVersion=GetAtt(cf.version, "Version"), Name=ALIAS_NAME,
            ProvisionedConcurrencyConfig=awslambda.ProvisionedConcurrencyConfiguration(
                ProvisionedConcurrentExecutions=provisioned),
        ))
        cf.target = Ref(cf.alias)  # the alias ARN
        ctx.defer(lambda: _describe_version(ctx, cf, key), FINISH_ORDER + 1)
    functions(ctx)[name] = cf

    _role_statements(ctx, cf, props, where)
    _destinations(ctx, cf, props, where)
    _url(ctx, cf, props, where)
    for feature, what in (("deployment", "gradual deployment of a function (canary / linear) is"),
                          ("cdn", "a CDN in front of a function URL is"), ("alarms", "alarms on a function are")):
        if getattr(props, feature):
            ctx.unsupported(f"{where}.{feature}", f"{what} not compiled yet")
    if props.volumeMounts:
        try:
            _volume_mounts(ctx, cf, props.volumeMounts, f"{where}.volumeMounts")
        except DirectiveProblem as exc:
            ctx.problems.append(Problem(f"{where}.volumeMounts", str(exc), exc.kind))

    ctx.output(name, "functionName", ctx.id(name, "FunctionName"), Ref(fn), f"Lambda function of {name}")
    ctx.output(name, "arn", ctx.id(name, "FunctionArn"), GetAtt(fn, "Arn"), f"ARN of the Lambda function of {name}")
    if lg is not None:
        ctx.output(name, "logGroup", ctx.id(name, "LogGroupName"), Ref(lg), f"Log group of function {name}")
    _hand_over(ctx, cf, props, where)
    ctx.defer(lambda: _attach_policy(ctx, cf), FINISH_ORDER)


EFS_USER = "1000"  # the POSIX user a function acts as on its file system (Lambda runs code as an unnamed user)


def _volume_mounts(ctx, cf, mounts, where: str) -> None:
    """An EFS file system mounted through an access point (Lambda mounts one file system, under /mnt/)."""
    from troposphere import efs

    from core.compile.storage import efs_access, mount_target_id

    if cf.security_group is None:
        ctx.invalid(where, "volume mounts are reached through the VPC: set joinDefaultVpc: true")
        return
    if len(mounts) > 1:
        ctx.invalid(where, "Lambda mounts one file system per function; keep one volume mount")
        return
    mp = mounts[0].properties
    mpath = f"{where}[0].properties"
    if mounts[0].type != "efs":
        ctx.unsupported(mpath, "S3 Files mounts of functions are not compiled yet")
        return
    fs = text(ctx.static(mp.efsFilesystemName, f"{mpath}.efsFilesystemName", ""))
    if ctx.type_of(fs) != "efs-filesystem":
        ctx.invalid(mpath, f"efsFilesystemName '{fs}' is not an efs-filesystem of this stack")
        return
    root = text(ctx.static(mp.rootDirectory, f"{mpath}.rootDirectory", "/"))
    if not root.startswith("/"):
        ctx.invalid(mpath, f"rootDirectory '{root}' must be an absolute folder of the file system, e.g. /data")
        return
    directory = efs.RootDirectory(Path=root)
    if root != "/":  # created on first use, owned by the function's user
        directory.CreationInfo = efs.CreationInfo(OwnerUid=EFS_USER, OwnerGid=EFS_USER, Permissions="755")
    ap = ctx.add(cf.name, efs.AccessPoint(
        ctx.id(cf.name, fs, "AccessPoint"), FileSystemId=ctx.resource_param(fs, "id"),
        PosixUser=efs.PosixUser(Uid=EFS_USER, Gid=EFS_USER), RootDirectory=directory,
        AccessPointTags=Tags(Name=f"{ctx.stack_name}-{cf.name}"),
    ))
    cf.function.FileSystemConfigs = [awslambda.FileSystemConfig(
        Arn=GetAtt(ap, "Arn"), LocalMountPath=text(ctx.static(mp.mountPath, f"{mpath}.mountPath", "")))]
    efs_access(ctx, cf, fs)
    # the function can mount only once the file system is reachable in its subnets
    depends = cf.function.resource.get("DependsOn", [])
    cf.function.DependsOn = list(depends) + [mount_target_id(ctx, fs, n) for n in range(len(network(ctx).private_subnets))]


def _describe_version(ctx, cf, code_key) -> None:
    """Publish a new version whenever the function's configuration or code changes (a version is immutable)."""
    body = json.dumps(cf.function.to_dict(), sort_keys=True, default=str)
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    cf.version.Description = Join("", [f"stp configuration {digest}, code ", Ref(code_key)])


def _role_statements(ctx, cf, props, where: str) -> None:
    cf.task_statements.extend(role_statements(ctx, props.iamRoleStatements, where))


def _attach_policy(ctx, cf) -> None:
    if cf.task_statements:
        cf.role.Policies = [role_policy(f"{ctx.stack_name}-{cf.name}", cf.task_statements)]
    elif "Policies" in cf.role.properties:
        del cf.role.properties["Policies"]


DESTINATION_ACTIONS = ["sqs:SendMessage", "sns:Publish", "events:PutEvents", "lambda:InvokeFunction"]


def _destinations(ctx, cf, props, where: str) -> None:
    d = props.destinations
    if d is None or (d.onSuccess is None and d.onFailure is None):
        return
    config = awslambda.DestinationConfig()
    for attr, cls in (("onSuccess", awslambda.OnSuccess), ("onFailure", awslambda.OnFailure)):
        value = getattr(d, attr)
        if value is None:
            continue
        arn = ctx.resolve(value, f"{where}.destinations.{attr}")
        setattr(config, attr[0].upper() + attr[1:], cls(Destination=arn))
        cf.allow(DESTINATION_ACTIONS, arn)  # the ARN says which of them applies
    invoke = awslambda.EventInvokeConfig(
        ctx.id(cf.name, "EventInvokeConfig"), FunctionName=Ref(cf.function),
        Qualifier=ALIAS_NAME if cf.alias is not None else "$LATEST", DestinationConfig=config,
    )
    if cf.alias is not None:
        invoke.DependsOn = [cf.alias.title]
    ctx.add(cf.name, invoke)


def _url(ctx, cf, props, where: str) -> None:
    u = props.url
    if u is None or not ctx.static(u.enabled, f"{where}.url.enabled", False):
        return
    upath = f"{where}.url"
    auth = ctx.static(u.authMode, f"{upath}.authMode", "NONE")
    url = awslambda.Url(ctx.id(cf.name, "Url"), AuthType=auth, TargetFunctionArn=Ref(cf.function),
                        InvokeMode="RESPONSE_STREAM" if ctx.static(u.responseStreamEnabled,
                                                                   f"{upath}.responseStreamEnabled", False) else "BUFFERED")
    if cf.alias is not None:
        url.Qualifier = ALIAS_NAME
        url.DependsOn = [cf.alias.title]
    cors = _url_cors(ctx, u.cors, f"{upath}.cors")
    if cors is not None:
        url.Cors = cors
    ctx.add(cf.name, url)
    if auth == "NONE":  # anyone may call: both permissions a public function URL needs
        ctx.add(cf.name, awslambda.Permission(
            ctx.id(cf.name, "UrlPermission"), Action="lambda:InvokeFunctionUrl", FunctionName=cf.target, Principal="*",
            FunctionUrlAuthType="NONE",
        ))
        ctx.add(cf.name, awslambda.Permission(
            ctx.id(cf.name, "UrlInvokePermission"), Action="lambda:InvokeFunction", FunctionName=cf.target,
            Principal="*", InvokedViaFunctionUrl=True,
        ))
    ctx.output(cf.name, "url", ctx.id(cf.name, "FunctionUrl"), GetAtt(url, "FunctionUrl"), f"URL of function {cf.name}")


def _url_cors(ctx, cors, where: str):
    if cors is None or not ctx.static(cors.enabled, f"{where}.enabled", False):
        return None
    kw: dict = {
        "AllowOrigins": [text(ctx.static(o, f"{where}.allowedOrigins")) for o in cors.allowedOrigins or ["*"]],
        "AllowMethods": [text(m) for m in cors.allowedMethods] if cors.allowedMethods else ["*"],
        "AllowHeaders": [text(ctx.static(h, f"{where}.allowedHeaders")) for h in cors.allowedHeaders]
        if cors.allowedHeaders else ["*"],
    }
    if cors.exposedResponseHeaders:
        kw["ExposeHeaders"] = [text(ctx.static(h, f"{where}.exposedResponseHeaders")) for h in cors.exposedResponseHeaders]
    if cors.maxAge is not None:
        kw["MaxAge"] = int(ctx.static(cors.maxAge, f"{where}.maxAge", 0))
    if cors.allowCredentials is not None:
        kw["AllowCredentials"] = bool(ctx.static(cors.allowCredentials, f"{where}.allowCredentials", False))
        if kw["AllowCredentials"] and "*" in kw["AllowOrigins"]:
            ctx.invalid(where, "allowCredentials needs the allowed origins spelled out: browsers refuse credentials"
                               " when any origin ('*') is allowed")
    return awslambda.Cors(**kw)


# --- parameters ------------------------------------------------------------------------------------


@params("function")
def function_param(ctx, name: str, param: str):
    props = ctx.analysis.resources[name].model.properties
    if param == "arn":
        return GetAtt(ctx.id(name, FUNCTION_ID), "Arn")
    if param == "logGroupArn":
        if props.logging is not None and known_now(ctx, props.logging.disabled, False):
            raise ParamAbsent(f"function '{name}' has logging disabled, so it has no log group")
        return GetAtt(ctx.id(name, "LogGroup"), "Arn")
    if param == "url":
        if props.url is None or not known_now(ctx, props.url.enabled, False):
            raise ParamAbsent(f"function '{name}' has no URL; set url.enabled: true")
        return GetAtt(ctx.id(name, "Url"), "FunctionUrl")
    return None


# --- connectTo and events --------------------------------------------------------------------------


def _hand_over(ctx, cf, props, where: str) -> None:
    for i, target in enumerate(props.connectTo or ()):
        target = str(ctx.static(target, f"{where}.connectTo[{i}]", ""))
        key = target if target.startswith("aws:") else ctx.type_of(target)
        if key is None:
            ctx.invalid(cf.name, f"connectTo names '{target}', which is not a resource of this config")
            continue
        fn = ctx.hook("connect", key)
        if fn is None:
            what = target if target.startswith("aws:") else f"{key} '{target}'"
            ctx.unsupported(cf.name, f"connectTo {what} (permissions and network access) is not compiled yet")
        else:
            ctx.defer(lambda fn=fn, target=target: _connect_function(ctx, cf, fn, target), HOOK_ORDER)
    for i, ev in enumerate(props.events or ()):
        epath = f"{where}.events[{i}].properties"
        handler = EVENT_HANDLERS.get(ev.type)
        if handler is None:
            ctx.unsupported(f"{where}.events[{i}]", UNSUPPORTED_EVENTS.get(ev.type, f"{ev.type} events are not compiled yet"))
            continue
        if ev.type == "http-api-gateway":
            timeout = known_now(ctx, props.timeout, 10)
            if isinstance(timeout, int) and timeout > HTTP_API_TIMEOUT:
                ctx.warn(epath, f"the HTTP API answers 503 after {HTTP_API_TIMEOUT} seconds, while the function may run"
                                f" {timeout}")
        ctx.defer(lambda handler=handler, ev=ev, i=i, epath=epath: _run_event(ctx, cf, handler, ev, i, epath), HOOK_ORDER)


def _connect_function(ctx, cf, fn, target: str) -> None:
    try:
        _connect(ctx, cf, fn, target)
    except AttributeError as exc:
        ctx.unsupported(cf.name, f"connectTo '{target}' from a function is not compiled yet: its connect hook handles"
                                 f" container workloads only ({exc})")


def _run_event(ctx, cf, handler, ev, i: int, where: str) -> None:
    try:
        handler(ctx, cf, ev.properties, i, where)
    except DirectiveProblem as exc:
        ctx.problems.append(Problem(where, str(exc), exc.kind))


def _event_id(cf, i: int, *parts: str) -> str:
    from core.compile.naming import logical_id

    return logical_id(cf.name, f"Event{i + 1}", *parts)


def _permission(ctx, cf, lid: str, principal: str, source_arn=None, source_account: bool = False):
    perm = awslambda.Permission(lid, Action="lambda:InvokeFunction", FunctionName=cf.target, Principal=principal)
    if source_arn is not None:
        perm.SourceArn = source_arn
    if source_account:
        perm.SourceAccount = Ref("AWS::AccountId")
    return ctx.add(cf.name, perm)


def _named_or_arn(ctx, name_value, arn_value, rtype: str, where: str, name_key: str, arn_key: str):
    """ARN of a resource given by name (of this stack) or by ARN."""
    if name_value is not None:
        target = text(ctx.static(name_value, f"{where}.{name_key}", ""))
        if ctx.type_of(target) != rtype:
            ctx.invalid(where, f"{name_key} '{target}' is not a {rtype} of this stack")
            return None, None
        return ctx.resource_param(target, "arn"), target
    return ctx.resolve(arn_value, f"{where}.{arn_key}", None), None


def _window(ctx, value, where: str, *, default_ms: float | None = None):
    """Whole seconds of a batching window (None: Lambda's default)."""
    if value is None:
        return None
    seconds = ctx.static(value, f"{where}.maxBatchWindowSeconds", None)
    if seconds is None or (default_ms is not None and seconds == default_ms):
        return None
    if float(seconds) != math.floor(float(seconds)):
        ctx.invalid(f"{where}.maxBatchWindowSeconds", f"Lambda batches in whole seconds; {text(seconds)} is not one")
        return None
    return int(seconds)


# http-api-gateway


def _named_front(ctx, compiled: dict, p, key: str, rtype: str, where: str):
    """The compiled gateway or load balancer (from ``compiled``) that event ``p`` names in ``key``. None when that
    is no ``rtype`` of the config (reported) or it failed to compile (reported already)."""
    name = text(ctx.static(getattr(p, key), f"{where}.{key}", ""))
    front = compiled.get(name)
    if front is None and ctx.type_of(name) != rtype:
        ctx.invalid(where, f"'{name}' is not an {rtype} of this config")
    return front


def _http_api_event(ctx, cf, p, i: int, where: str) -> None:
    from core.compile import ingress

    gw = _named_front(ctx, ingress.state(ctx).gateways, p, "httpApiGatewayName", "http-api-gateway", where)
    if gw is None:
        return
    method = ctx.static(p.method, f"{where}.method", "*")
    path = ctx.static(p.path, f"{where}.path", "*")
    route_key = ingress._route_key(ctx, method, path, where)
    if route_key is None:
        return
    if route_key in gw.routes:
        ctx.invalid(where, f"route {route_key} of gateway '{gw.key}' is already taken by {gw.routes[route_key]}")
        return
    gw.routes[route_key] = f"function '{cf.name}'"
    fmt = text(ctx.static(p.payloadFormat, f"{where}.payloadFormat", "1.0"))
    integration = cf.integrations.get((gw.key, fmt))
    if integration is None:
        integration = cf.integrations[(gw.key, fmt)] = ctx.add(cf.name, apigw.Integration(
            ctx.id(cf.name, gw.ref_part, "Integration" if fmt == "1.0" else "IntegrationV2"), ApiId=Ref(gw.api),
            IntegrationType="AWS_PROXY", IntegrationUri=cf.target, PayloadFormatVersion=fmt,
        ))
    if gw.key not in cf.gateway_permissions:
        cf.gateway_permissions.add(gw.key)
        _permission(ctx, cf, ctx.id(cf.name, gw.ref_part, "Permission"), "apigateway.amazonaws.com",
                    Sub(f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{gw.api.title}}}/*"))
    route = apigw.Route(
        ingress._unique_id(ctx, ctx.id(cf.name, gw.ref_part, ingress._route_slug(route_key), "Route"), route_key),
        ApiId=Ref(gw.api), RouteKey=route_key, Target=Join("/", ["integrations", Ref(integration)]),
    )
    if p.authorizer is not None:
        got = ingress._authorizer(ctx, gw, p.authorizer, f"{where}.authorizer.properties")
        if got is None:
            return
        route.AuthorizationType, authorizer = got
        route.AuthorizerId = Ref(authorizer)
    ctx.add(cf.name, route)


# application-load-balancer


def _alb_event(ctx, cf, p, i: int, where: str) -> None:
    from core.compile import ingress

    alb = _named_front(ctx, ingress.state(ctx).albs, p, "loadBalancerName", "application-load-balancer", where)
    if alb is None:
        return
    port = ingress.rule_port(ctx, alb, p, where)
    if port is None or port not in alb.listeners:
        return  # reported (here, or where the listener failed to compile)
    conditions = ingress.rule_conditions(ctx, p, where)
    if conditions is None:
        return
    wanted = int(ctx.static(p.priority, f"{where}.priority", 0))
    first = ingress._reserve_priorities(ctx).get((alb.key, port, wanted))
    if first is not None and first[0] is not p and getattr(first[0], "properties", None) is not p:
        ctx.invalid(where, f"priority {wanted} on listener {port} of load balancer '{alb.key}' is already used by"
                           f" {first[1]}")
        return
    priority = ingress.take_priority(ctx, alb, port, f"function '{cf.name}'", wanted, where)
    if priority is None:
        return
    tg = cf.alb_target_groups.get(alb.key)
    if tg is None:
        # the target group registers the function at creation, so the load balancer must be allowed to invoke it
        # first; the permission cannot name the target group (that would be a cycle), so it names the account's
        perm = _permission(ctx, cf, ctx.id(cf.name, alb.ref_part, "Permission"), "elasticloadbalancing.amazonaws.com",
                           Sub("arn:${AWS::Partition}:elasticloadbalancing:${AWS::Region}:${AWS::AccountId}:targetgroup/*"),
                           source_account=True)
        tg = cf.alb_target_groups[alb.key] = ctx.add(cf.name, elb.TargetGroup(
            ctx.id(cf.name, alb.ref_part, "TargetGroup"), TargetType="lambda",
            Targets=[elb.TargetDescription(Id=cf.target)], Tags=Tags(Name=f"{ctx.stack_name}-{cf.name}"),
            DependsOn=[perm.title],
        ))
    ctx.add(cf.name, elb.ListenerRule(
        ctx.id(cf.name, alb.ref_part, f"Listener{port}Rule{priority}"), ListenerArn=Ref(alb.listeners[port]),
        Priority=priority, Conditions=conditions,
        Actions=[elb.ListenerRuleAction(Type="forward", TargetGroupArn=Ref(tg))],
    ))


# sqs


def _sqs_event(ctx, cf, p, i: int, where: str) -> None:
    arn, queue = _named_or_arn(ctx, p.sqsQueueName, p.sqsQueueArn, "sqs-queue", where, "sqsQueueName", "sqsQueueArn")
    if arn is None:
        return
    batch = int(ctx.static(p.batchSize, f"{where}.batchSize", 10))
    window = _window(ctx, p.maxBatchWindowSeconds, where)
    if batch > MAX_SQS_BATCH_WITHOUT_WINDOW and not window:
        ctx.invalid(f"{where}.batchSize", f"batches of more than {MAX_SQS_BATCH_WITHOUT_WINDOW} messages need a batching"
                                          " window: set maxBatchWindowSeconds to 1 or more")
        return
    if queue is not None and not _queue_fits(ctx, cf, queue, batch, where):
        return
    mapping = awslambda.EventSourceMapping(_event_id(cf, i, "EventSourceMapping"), EventSourceArn=arn,
                                           FunctionName=cf.target, BatchSize=batch)
    if window:
        mapping.MaximumBatchingWindowInSeconds = window
    ctx.add(cf.name, mapping)
    cf.allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"], arn)


def _queue_fits(ctx, cf, queue: str, batch: int, where: str) -> bool:
    """The queue of this stack hides messages long enough for the function, and a FIFO one takes the batch size."""
    entry = ctx.analysis.resources.get(queue)
    qprops = entry.model.properties if entry is not None and entry.model is not None else None
    visibility = known_now(ctx, qprops.visibilityTimeoutSeconds, None) if qprops is not None else 30
    timeout = known_now(ctx, cf.spec.props.timeout, None)
    if isinstance(visibility, int) and isinstance(timeout, int) and visibility < timeout:
        ctx.invalid(where, f"queue '{queue}' hides a received message for {visibility} seconds"
                           f" (visibilityTimeoutSeconds), less than the function's timeout of {timeout} seconds: messages"
                           f" would be handed out again while still being processed; raise visibilityTimeoutSeconds to at"
                           f" least {timeout}")
        return False
    fifo = known_now(ctx, qprops.fifoEnabled, False) if qprops is not None else False
    if fifo and batch > MAX_FIFO_BATCH:
        ctx.invalid(f"{where}.batchSize", f"queue '{queue}' is FIFO, and Lambda reads at most {MAX_FIFO_BATCH} messages"
                                          " at a time from a FIFO queue")
        return False
    return True


# kinesis-stream and dynamo-db-stream


def _stream_mapping(ctx, cf, p, i: int, where: str, source, default_batch: int):
    mapping = awslambda.EventSourceMapping(
        _event_id(cf, i, "EventSourceMapping"), EventSourceArn=source, FunctionName=cf.target,
        BatchSize=int(ctx.static(p.batchSize, f"{where}.batchSize", default_batch)),
        StartingPosition=ctx.static(p.startingPosition, f"{where}.startingPosition", "TRIM_HORIZON"),
    )
    window = _window(ctx, p.maxBatchWindowSeconds, where)
    if window is not None:
        mapping.MaximumBatchingWindowInSeconds = window
    if p.maximumRetryAttempts is not None:
        mapping.MaximumRetryAttempts = int(ctx.static(p.maximumRetryAttempts, f"{where}.maximumRetryAttempts", -1))
    if p.parallelizationFactor is not None:
        mapping.ParallelizationFactor = int(ctx.static(p.parallelizationFactor, f"{where}.parallelizationFactor", 1))
    if p.bisectBatchOnFunctionError is not None:
        mapping.BisectBatchOnFunctionError = bool(
            ctx.static(p.bisectBatchOnFunctionError, f"{where}.bisectBatchOnFunctionError", False))
    if p.onFailure is not None:
        dest = ctx.resolve(p.onFailure.arn, f"{where}.onFailure.arn")
        kind = ctx.static(p.onFailure.type, f"{where}.onFailure.type", "sqs")
        mapping.DestinationConfig = awslambda.DestinationConfig(OnFailure=awslambda.OnFailure(Destination=dest))
        cf.allow(["sqs:SendMessage"] if kind == "sqs" else ["sns:Publish"], dest)
    return ctx.add(cf.name, mapping)


KINESIS_READ = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
                "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:ListStreams"]


def _kinesis_event(ctx, cf, p, i: int, where: str) -> None:
    arn, _ = _named_or_arn(ctx, p.kinesisStreamName, p.streamArn, "kinesis-stream", where, "kinesisStreamName",
                           "streamArn")
    if arn is None:
        return
    source = arn
    cf.allow(KINESIS_READ, arn)
    if p.consumerArn is not None:
        source = ctx.resolve(p.consumerArn, f"{where}.consumerArn")
        cf.allow(["kinesis:SubscribeToShard", "kinesis:DescribeStreamConsumer"], source)
    elif ctx.static(p.autoCreateConsumer, f"{where}.autoCreateConsumer", False):
        consumer = ctx.add(cf.name, kinesis.StreamConsumer(
            _event_id(cf, i, "StreamConsumer"), StreamARN=arn,
            ConsumerName=_CONSUMER_CHARS.sub("-", f"{ctx.stack_name}-{cf.name}-{i + 1}")[:128],
        ))
        source = GetAtt(consumer, "ConsumerARN")
        cf.allow(["kinesis:SubscribeToShard", "kinesis:DescribeStreamConsumer"], source)
    _stream_mapping(ctx, cf, p, i, where, source, 10)


def _dynamo_event(ctx, cf, p, i: int, where: str) -> None:
    arn = ctx.resolve(p.streamArn, f"{where}.streamArn", None)
    if arn is None:
        return
    cf.allow(["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"], arn)
    _stream_mapping(ctx, cf, p, i, where, arn, 100)


# kafka-topic

KAFKA_MTLS = (("clientCertificate", "CLIENT_CERTIFICATE_TLS_AUTH"), ("serverRootCaCertificate", "SERVER_ROOT_CA_CERTIFICATE"))


def _kafka_event(ctx, cf, p, i: int, where: str) -> None:
    cfg = p.customKafkaConfiguration
    if cfg is None:
        ctx.invalid(where, "say which Kafka cluster to read with customKafkaConfiguration (bootstrapServers, topicName,"
                           " authentication)")
        return
    cpath = f"{where}.customKafkaConfiguration"
    auth = cfg.authentication
    apath = f"{cpath}.authentication.properties"
    access = []
    if auth.type == "MTLS":
        for attr, kind in KAFKA_MTLS:
            value = getattr(auth.properties, attr)
            if value is not None:
                access.append(awslambda.SourceAccessConfiguration(Type=kind, URI=ctx.resolve(value, f"{apath}.{attr}")))
    else:
        access.append(awslambda.SourceAccessConfiguration(
            Type=auth.type, URI=ctx.resolve(auth.properties.authenticationSecretArn, f"{apath}.authenticationSecretArn")))
    mapping = awslambda.EventSourceMapping(
        _event_id(cf, i, "EventSourceMapping"), FunctionName=cf.target,
        Topics=[ctx.text(cfg.topicName, f"{cpath}.topicName")],
        SelfManagedEventSource=awslambda.SelfManagedEventSource(Endpoints=awslambda.Endpoints(
            KafkaBootstrapServers=[ctx.text(s, f"{cpath}.bootstrapServers") for s in cfg.bootstrapServers])),
        SourceAccessConfigurations=access, StartingPosition="TRIM_HORIZON",
        BatchSize=int(ctx.static(p.batchSize, f"{where}.batchSize", 100)),
    )
    window = _window(ctx, p.maxBatchWindowSeconds, where, default_ms=0.5)
    if window is not None:
        mapping.MaximumBatchingWindowInSeconds = window
    ctx.add(cf.name, mapping)
    cf.allow(["secretsmanager:GetSecretValue"], [a.properties["URI"] for a in access])


# sns


def _sns_event(ctx, cf, p, i: int, where: str) -> None:
    from core.compile import messaging

    topic_arn, _ = _named_or_arn(ctx, p.snsTopicName, p.snsTopicArn, "sns-topic", where, "snsTopicName", "snsTopicArn")
    if topic_arn is None:
        return
    perm = _permission(ctx, cf, _event_id(cf, i, "Permission"), "sns.amazonaws.com", topic_arn)
    sub = sns.SubscriptionResource(_event_id(cf, i, "Subscription"), Protocol="lambda", Endpoint=cf.target,
                                   TopicArn=topic_arn, DependsOn=[perm.title])
    if p.filterPolicy is not None:
        sub.FilterPolicy = ctx.resolve(p.filterPolicy, f"{where}.filterPolicy", {})
    failure = p.onDeliveryFailure
    if failure is not None:
        dlq_arn, dlq = _named_or_arn(ctx, failure.sqsQueueName, failure.sqsQueueArn, "sqs-queue",
                                     f"{where}.onDeliveryFailure", "sqsQueueName", "sqsQueueArn")
        if dlq_arn is None:
            return
        sub.RedrivePolicy = {"deadLetterTargetArn": dlq_arn}
        if dlq is not None:  # SNS may send into the stack's queue, for this topic only
            messaging.queue_policy(ctx, dlq).append(
                service_may_send("sns.amazonaws.com", "sqs:SendMessage", dlq_arn, topic_arn))
    ctx.add(cf.name, sub)


# schedule, event-bus, cloudwatch-alarm: EventBridge rules


def _target_id(cf) -> str:
    return _NAME_CHARS.sub("-", cf.name)[:64]


def _schedule_event(ctx, cf, p, i: int, where: str) -> None:
    from core.compile import messaging

    target = events.Target(Arn=cf.target, Id=_target_id(cf))
    if not messaging.target_input(ctx, target, p, where):
        return
    rule = ctx.add(cf.name, events.Rule(
        _event_id(cf, i, "Schedule"), ScheduleExpression=ctx.text(p.scheduleRate, f"{where}.scheduleRate"),
        State="ENABLED", Targets=[target],
    ))
    _permission(ctx, cf, _event_id(cf, i, "Permission"), "events.amazonaws.com", GetAtt(rule, "Arn"))


def _event_bus_event(ctx, cf, p, i: int, where: str) -> None:
    from core.compile import messaging

    rule = messaging.event_rule(ctx, cf.name, _event_id(cf, i, "Rule"), p, where, cf.target, target_id=cf.name)
    if rule is not None:
        _permission(ctx, cf, _event_id(cf, i, "Permission"), "events.amazonaws.com", GetAtt(rule, "Arn"))


def _alarm_event(ctx, cf, p, i: int, where: str) -> None:
    alarm = ctx.text(p.alarmName, f"{where}.alarmName")
    rule = ctx.add(cf.name, events.Rule(
        _event_id(cf, i, "Rule"), State="ENABLED",
        EventPattern={"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"],
                      "detail": {"alarmName": [alarm]}},
        Targets=[events.Target(Arn=cf.target, Id=_target_id(cf))],
    ))
    _permission(ctx, cf, _event_id(cf, i, "Permission"), "events.amazonaws.com", GetAtt(rule, "Arn"))


# cloudwatch-log


def _log_event(ctx, cf, p, i: int, where: str) -> None:
    arn = ctx.resolve(p.logGroupArn, f"{where}.logGroupArn", None)
    if arn is None:
        return
    if is_intrinsic(arn):
        if cf.log_group is not None and arn.to_dict() == GetAtt(cf.log_group, "Arn").to_dict():
            ctx.invalid(where, "a function cannot receive its own log group: each invocation would log and invoke it again")
            return
        group = Select(6, Split(":", arn))  # arn:<partition>:logs:<region>:<account>:log-group:<name>:*
        source = arn
    else:
        m = _LOG_GROUP_ARN.fullmatch(str(arn))
        if m is None:
            ctx.invalid(f"{where}.logGroupArn", f"'{arn}' is not the ARN of a log group"
                                                " (arn:aws:logs:<region>:<account>:log-group:<name>)")
            return
        group = m.group(1)
        source = f"{str(arn).removesuffix(':*')}:*"
        if cf.log_group is not None and group == cf.log_group.LogGroupName:
            ctx.invalid(where, "a function cannot receive its own log group: each invocation would log and invoke it again")
            return
    perm = _permission(ctx, cf, _event_id(cf, i, "Permission"), "logs.amazonaws.com", source, source_account=True)
    filt = logs.SubscriptionFilter(
        _event_id(cf, i, "SubscriptionFilter"), LogGroupName=group, DestinationArn=cf.target,
        FilterPattern=ctx.text(p.filter, f"{where}.filter") if p.filter is not None else "", DependsOn=[perm.title],
    )
    ctx.add(cf.name, filt)


EVENT_HANDLERS = {
    "http-api-gateway": _http_api_event,
    "application-load-balancer": _alb_event,
    "sqs": _sqs_event,
    "kinesis-stream": _kinesis_event,
    "dynamo-db-stream": _dynamo_event,
    "kafka-topic": _kafka_event,
    "sns": _sns_event,
    "schedule": _schedule_event,
    "event-bus": _event_bus_event,
    "cloudwatch-alarm": _alarm_event,
    "cloudwatch-log": _log_event,
}
UNSUPPORTED_EVENTS = {
    "s3": "s3 events are not compiled yet: S3 sends them through the bucket's own notification configuration, which"
          " belongs to the bucket (and to buckets outside the stack), not to the function",
}
