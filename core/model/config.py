"""The top level of stacktape.yml: everything around the individual resources.

`resources` is kept loose here (``dict[str, AnyValue]``): each resource is
validated on its own by the model registered for its type (see
``registry.py``), so an error in one resource never hides another.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, Field, model_validator

from core.model.base import AnyValue, Bool, F, Int, Num, OneOf, StpModel, Str
from core.model.common import EnvironmentVar, Tag


def _shaped(regex: str, problem: str):
    """A string that must fully match ``regex``; text holding a directive (`$...`) is left alone."""
    rx = re.compile(regex)

    def check(value: str) -> str:
        if "$" in value or rx.fullmatch(value):
            return value
        raise ValueError(problem.format(value=value))

    return AfterValidator(check)


CfResourceType = Annotated[
    Str,
    _shaped(
        r"[A-Za-z0-9]+(::[A-Za-z0-9_]+)+",
        "'{value}' is not a CloudFormation resource type; those look like 'AWS::SNS::Topic' or 'Custom::Name'",
    ),
]
ServiceName = Annotated[
    Str,
    _shaped(
        r"[a-zA-Z][-a-zA-Z0-9]*",
        "'{value}' cannot be a service name: use letters, digits and dashes, starting with a letter",
    ),
]


# --- providerConfig ---------------------------------------------------------------------------


class MongoDbAtlasAccessibility(StpModel):
    accessibilityMode: OneOf("internet", "vpc", "scoping-workloads-in-vpc", "whitelisted-ips-only") = F(
        "Who may open connections to the Atlas clusters of the stack. `internet` (default): anyone with credentials;"
        " `vpc`: only from the stack's VPC (plus `whitelistedIps`); `scoping-workloads-in-vpc`: only from VPC"
        " workloads that list the cluster in `connectTo`; `whitelisted-ips-only`: only the listed addresses."
    )
    whitelistedIps: list[Str] | None = F(
        "Extra IP addresses or CIDR ranges (e.g. `203.0.113.7/32`) allowed to connect, such as your office or CI runner.",
        None,
    )


class MongoDbAtlasProvider(StpModel):
    publicKey: Str | None = F("Public half of a MongoDB Atlas organization API key.", None)
    privateKey: Str | None = F(
        "Private half of the Atlas API key. Keep it out of the file with `$Secret('...')`.", None
    )
    organizationId: Str | None = F("Id of the MongoDB Atlas organization the project and clusters are created in.", None)
    accessibility: MongoDbAtlasAccessibility | None = F(
        "Network access rules shared by every `mongo-db-atlas-cluster` of the stack.", None
    )


class UpstashProvider(StpModel):
    accountEmail: Str = F("E-mail address of the Upstash account that owns the databases.")
    apiKey: Str = F("Upstash management API key of that account. Prefer `$Secret('...')`.")


class ProviderConfig(StpModel):
    mongoDbAtlas: MongoDbAtlasProvider | None = F(
        "Credentials and network settings for MongoDB Atlas; needed when the stack has a `mongo-db-atlas-cluster`.",
        None,
    )
    upstash: UpstashProvider | None = F(
        "Credentials for Upstash; needed when the stack has an `upstash-redis` resource.", None
    )


# --- budgetControl (legacy) ---------------------------------------------------------------------


class BudgetNotification(StpModel):
    budgetType: OneOf("ACTUAL", "FORECASTED") = F(
        "Compare the threshold with what was really spent this month (`ACTUAL`, default) or with AWS's forecast"
        " for the whole month (`FORECASTED`).",
        "ACTUAL",
    )
    thresholdPercentage: Num = F("Send the e-mail once spending reaches this percentage of the limit. Default: 100.", 100)
    emails: list[Str] = F("Addresses that receive the notification.")


class BudgetControl(StpModel):
    limit: Num = F("Monthly spending limit of the stack in US dollars.")
    notifications: list[BudgetNotification] | None = F(
        "E-mails sent when actual or forecast spending crosses a share of the limit.", None
    )


# --- hooks --------------------------------------------------------------------------------------


class ScriptHook(StpModel):
    scriptName: Str = F(
        "Name of a script defined under the top-level `scripts` section to run at this point.", ref="script"
    )
    skipOnCI: Bool = F("Do not run the script when the command runs in a CI environment. Default: false.", False)
    skipOnLocal: Bool = F(
        "Do not run the script when the command runs on a developer machine (outside CI). Default: false.", False
    )


class Hooks(StpModel):
    beforeDeploy: list[ScriptHook] | None = F(
        "Scripts run, in order, before the stack is deployed (e.g. builds, code generation).", None
    )
    afterDeploy: list[ScriptHook] | None = F(
        "Scripts run, in order, after a successful deployment (e.g. database migrations, seeding).", None
    )
    beforeDelete: list[ScriptHook] | None = F("Scripts run before the stack is deleted (e.g. backups).", None)
    afterDelete: list[ScriptHook] | None = F("Scripts run after the stack has been deleted (e.g. cleanup).", None)
    beforeBucketSync: list[ScriptHook] | None = F(
        "Scripts run before files are uploaded to a bucket with `stacktape bucket:sync`.", None
    )
    afterBucketSync: list[ScriptHook] | None = F(
        "Scripts run after files have been uploaded to a bucket with `stacktape bucket:sync`.", None
    )
    beforeDev: list[ScriptHook] | None = F("Scripts run before dev mode starts.", None)
    afterDev: list[ScriptHook] | None = F("Scripts run after dev mode ends.", None)


# --- scripts ------------------------------------------------------------------------------------


class _ScriptEnv(StpModel):
    connectTo: list[Str] | None = F(
        "Resources of the stack the script needs. Their connection details (URLs, names, credentials) are passed"
        " to it as `STP_<RESOURCE>_<PARAM>` environment variables.",
        None,
        ref="connectable",
    )
    environment: list[EnvironmentVar] | None = F("Extra environment variables the script runs with.", None)
    assumeRoleOfResource: Str | None = F(
        "Run the script with the AWS permissions of this resource's IAM role (a function, container workload or"
        " batch job of the stack), so it can do exactly what that resource can.",
        None,
        ref="*",
    )


_ONE_OF_LOCAL = ("executeCommand", "executeCommands", "executeScript", "executeScripts")
_ONE_OF_BASTION = ("executeCommand", "executeCommands")


def _exactly_one(props: StpModel, names: tuple[str, ...]) -> None:
    given = [n for n in names if getattr(props, n) is not None]
    if len(given) != 1:
        wanted = ", ".join(f"'{n}'" for n in names)
        found = f" (found {', '.join(repr(n) for n in given)})" if given else ""
        raise ValueError(f"A script needs exactly one of {wanted}{found}")


class LocalScriptProps(_ScriptEnv):
    executeCommand: Str | None = F(
        "One shell command to run, e.g. `npx prisma migrate deploy`. Use exactly one of `executeCommand`,"
        " `executeCommands`, `executeScript` and `executeScripts`.",
        None,
    )
    executeCommands: list[Str] | None = F(
        "Shell commands run one after another; the script stops at the first that fails.", None
    )
    executeScript: Str | None = F(
        "Path of a JavaScript, TypeScript or Python file to run, relative to the project root, e.g. `scripts/seed.ts`.",
        None,
    )
    executeScripts: list[Str] | None = F("Paths of several script files run one after another.", None)
    cwd: Str | None = F(
        "Directory the commands run in, relative to the project root. Default: the directory Stacktape was started from.",
        None,
    )
    pipeStdio: Bool = F(
        "Show the script's standard output and error in the terminal. Default: true.", True
    )

    @model_validator(mode="after")
    def _one_action(self):
        _exactly_one(self, _ONE_OF_LOCAL)
        return self


class LocalScript(StpModel):
    type: Literal["local-script"] = F(
        "Run on the machine that runs Stacktape (your computer or the CI runner)."
    )
    properties: LocalScriptProps = F("What to run and with which environment.")


class LocalScriptWithBastionTunnelingProps(LocalScriptProps):
    bastionResource: Str | None = F(
        "Name of the `bastion` resource to tunnel through. Needed only when the stack has more than one bastion.",
        None,
        ref="bastion",
    )


class LocalScriptWithBastionTunneling(StpModel):
    type: Literal["local-script-with-bastion-tunneling"] = F(
        "Run locally, but reach VPC-only resources from `connectTo` (private databases, Redis) through a tunnel"
        " over a bastion host; their addresses in the injected variables point at the tunnel."
    )
    properties: LocalScriptWithBastionTunnelingProps = F("What to run, which resources to tunnel to and through which bastion.")


class BastionScriptProps(_ScriptEnv):
    bastionResource: Str | None = F(
        "Name of the `bastion` resource to run on. Needed only when the stack has more than one bastion.",
        None,
        ref="bastion",
    )
    executeCommand: Str | None = F(
        "One shell command run on the bastion host. Use exactly one of `executeCommand` and `executeCommands`.", None
    )
    executeCommands: list[Str] | None = F(
        "Shell commands run on the bastion host one after another; stops at the first that fails.", None
    )
    cwd: Str | None = F("Directory on the bastion host the commands run in. Default: `/`.", None)

    @model_validator(mode="after")
    def _one_action(self):
        _exactly_one(self, _ONE_OF_BASTION)
        return self


class BastionScript(StpModel):
    type: Literal["bastion-script"] = F(
        "Run shell commands remotely on the stack's bastion host, inside the VPC."
    )
    properties: BastionScriptProps = F("Which commands to run on the bastion and with which environment.")


Script = Annotated[
    Union[LocalScript, LocalScriptWithBastionTunneling, BastionScript],
    Field(discriminator="type"),
]
SCRIPT_TYPES = ("local-script", "local-script-with-bastion-tunneling", "bastion-script")


# --- directives ---------------------------------------------------------------------------------


class DirectiveDefinition(StpModel):
    name: Str = F(
        "Name the directive is used by in the config: `name: getSize` makes `$getSize(...)` available."
    )
    filePath: Str = F(
        "JavaScript, TypeScript or Python file that computes the value, relative to the project root. Add"
        " `:functionName` to pick an exported function other than the default, e.g. `directives.ts:getSize`."
    )


# --- deploymentConfig ---------------------------------------------------------------------------


class DeploymentConfig(StpModel):
    terminationProtection: Bool = F(
        "Refuse to delete the stack until this is turned off again (and deployed). Default: false.", False
    )
    cloudformationRoleArn: Str | None = F(
        "ARN of an IAM role CloudFormation assumes to create, change and delete the stack's resources. Default:"
        " the credentials of whoever deploys.",
        None,
    )
    triggerRollbackOnAlarms: list[Str] | None = F(
        "Names or ARNs of CloudWatch alarms; if any fires during the deployment or the monitoring period after it,"
        " the deployment is rolled back.",
        None,
    )
    monitoringTimeAfterDeploymentInMinutes: Num = F(
        "Minutes, after all resources are updated, during which the alarms in `triggerRollbackOnAlarms` can still"
        " roll the deployment back (0-180). Default: 0.",
        0,
    )
    disableAutoRollback: Bool = F(
        "Keep a failed deployment's partial changes instead of rolling back, so you can inspect or fix them and"
        " continue. Default: false.",
        False,
    )
    publishEventsToArn: list[Str] | None = F(
        "ARNs of SNS topics that receive every CloudFormation event of the stack.", None
    )
    previousVersionsToKeep: Int = F(
        "How many earlier deployments' artifacts (code packages, images, templates) are kept for rollback; older"
        " ones are deleted. Default: 10.",
        10,
    )
    disableS3TransferAcceleration: Bool = F(
        "Upload deployment artifacts without S3 Transfer Acceleration (slower from far away, but works where the"
        " accelerated endpoint is blocked). Default: false.",
        False,
    )


# --- stackConfig --------------------------------------------------------------------------------


class StackOutput(StpModel):
    name: Str = F("Name of the output, shown by `stack-info` and saved with the stack's information.")
    value: Str = F(
        "Value of the output, usually a directive such as `$ResourceParam('api', 'url')`."
    )
    description: Str | None = F("Short human-readable explanation of the output.", None)
    export: Bool = F(
        "Also export the output from the CloudFormation stack so other stacks can import it. Default: false.", False
    )


class VpcReuseConfig(StpModel):
    projectName: Str | None = F(
        "Project whose stack's VPC to use (together with `stage`). Alternative to `vpcId`.", None
    )
    stage: Str | None = F("Stage of that project whose VPC to use (together with `projectName`).", None)
    vpcId: Str | None = F("Id of an existing VPC to deploy into, e.g. `vpc-0abc...`. Alternative to projectName/stage.", None)


class NatSettings(StpModel):
    availabilityZones: OneOf(1, 2, 3) = F(
        "In how many availability zones a NAT gateway is created for private subnets: 1, 2 (default) or 3. More"
        " zones survive a zone outage but each gateway costs extra.",
        2,
    )


class VpcSettings(StpModel):
    reuseVpc: VpcReuseConfig | None = F(
        "Deploy into an existing VPC (of another Stacktape stack or by id) instead of creating one.", None
    )
    nat: NatSettings | None = F("NAT gateways used by resources in private subnets.", None)


class StackConfig(StpModel):
    outputs: list[StackOutput] | None = F("Your own named values published with the stack (URLs, names, ARNs...).", None)
    tags: list[Tag] | None = F(
        "Tags put on the stack and on every AWS resource in it that supports tags (at most 45).", None
    )
    disableStackInfoSaving: Bool = F(
        "Do not write the stack's information (outputs, resource details) to a local file after a deployment."
        " Default: false.",
        False,
    )
    stackInfoDirectory: Str = F(
        "Directory the stack-information file is written to. Default: `.stacktape-stack-info/`.",
        ".stacktape-stack-info/",
    )
    vpc: VpcSettings | None = F("The VPC the stack's resources run in and its NAT gateways.", None)


# --- cloudformationResources --------------------------------------------------------------------


class CloudformationResource(StpModel):
    Type: CfResourceType = F("CloudFormation resource type, e.g. `AWS::SNS::Topic` or `Custom::MyThing`.")
    Properties: dict[str, AnyValue] | None = F(
        "Properties of the resource exactly as CloudFormation expects them; intrinsic functions and"
        " `$CfResourceParam(...)`/`$ResourceParam(...)` directives are allowed.",
        None,
    )
    DependsOn: Str | list[Str] | None = F(
        "Logical id(s) of CloudFormation resources that must be created before this one.", None
    )
    Condition: Str | None = F("Name of a template condition; the resource is created only when it is true.", None)
    DeletionPolicy: OneOf("Delete", "Retain", "RetainExceptOnDelete", "Snapshot") | None = F(
        "What happens to the real resource when it leaves the stack: `Delete` (default for most types), `Retain`,"
        " `RetainExceptOnDelete` or `Snapshot` (databases and volumes).",
        None,
    )
    UpdateReplacePolicy: OneOf("Delete", "Retain", "Snapshot") | None = F(
        "What happens to the old physical resource when an update replaces it: `Delete` (default), `Retain` or `Snapshot`.",
        None,
    )
    Metadata: dict[str, AnyValue] | None = F("Free-form metadata attached to the resource in the template.", None)
    CreationPolicy: dict[str, AnyValue] | None = F(
        "CloudFormation creation policy (e.g. `ResourceSignal`): wait for signals before marking the resource created.",
        None,
    )
    UpdatePolicy: dict[str, AnyValue] | None = F(
        "CloudFormation update policy (auto-scaling group rolling updates, Lambda alias CodeDeploy updates...).", None
    )


# --- the whole file -----------------------------------------------------------------------------


class StacktapeConfig(StpModel):
    """Top level of stacktape.yml. ``resources`` is validated per resource elsewhere."""

    serviceName: ServiceName | None = F(
        "Deprecated: give the project name on the command line (`--projectName`) instead. The stack is named"
        " `<serviceName>-<stage>`; letters, digits and dashes, starting with a letter.",
        None,
    )
    providerConfig: ProviderConfig | None = F(
        "Accounts of third-party providers the stack creates resources in (MongoDB Atlas, Upstash).", None
    )
    variables: dict[str, AnyValue] | None = F(
        "Your own named values, reused anywhere in the file with `$Var('name')` (or `$Var().name`). Any YAML"
        " value is allowed.",
        None,
    )
    budgetControl: BudgetControl | None = F(
        "Legacy: a monthly cost limit with e-mail alerts. Newer Stacktape versions set budget alerts in the console"
        " instead.",
        None,
    )
    hooks: Hooks | None = F(
        "Scripts from `scripts` run automatically before or after deploy, delete, bucket sync and dev mode.", None
    )
    scripts: dict[str, Script] | None = F(
        "Named scripts you can run with `stacktape script:run` or from `hooks`. Each has a `type`: `local-script`,"
        " `local-script-with-bastion-tunneling` or `bastion-script`.",
        None,
    )
    directives: list[DirectiveDefinition] | None = F(
        "Your own directives: functions in a code file that compute config values while the config is loaded.", None
    )
    deploymentConfig: DeploymentConfig | None = F(
        "How deployments behave: termination protection, automatic rollback, alarms watched after deploying and how"
        " many old artifacts are kept.",
        None,
    )
    stackConfig: StackConfig | None = F("Settings of the stack as a whole: outputs, tags, stack-info file and VPC.", None)
    resources: dict[str, AnyValue] | None = F(
        "The infrastructure of the stack: resource names (letters and digits) mapped to resources, each with a"
        " `type` and its `properties`.",
        None,
    )
    cloudformationResources: dict[str, CloudformationResource] | None = F(
        "Plain CloudFormation resources added to the stack's template as they are, keyed by logical id. For AWS"
        " services Stacktape has no resource type for.",
        None,
    )


TOP_LEVEL_KEYS: tuple[str, ...] = tuple(StacktapeConfig.model_fields)
