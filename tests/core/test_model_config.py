"""The top-level model of stacktape.yml (everything but the insides of resources)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.model.config import (
    SCRIPT_TYPES,
    TOP_LEVEL_KEYS,
    BastionScript,
    LocalScript,
    LocalScriptWithBastionTunneling,
    StacktapeConfig,
)
from core.source import compose, to_data
from tests.conftest import yaml


def load(text: str):
    return to_data(compose(text).root).data


def validate(text: str) -> StacktapeConfig:
    return StacktapeConfig.model_validate(load(yaml(text)))


def errors(text: str) -> list[dict]:
    with pytest.raises(ValidationError) as info:
        validate(text)
    return info.value.errors(include_url=False)


FULL = """
serviceName: shop-api
providerConfig:
  mongoDbAtlas:
    publicKey: abc
    privateKey: $Secret('atlas.private')
    organizationId: 5f1e9b2c4a7d3e0011223344
    accessibility:
      accessibilityMode: scoping-workloads-in-vpc
      whitelistedIps: [203.0.113.7/32]
  upstash:
    accountEmail: ops@example.com
    apiKey: $Secret('upstash.key')
variables:
  appPort: 3000
  nested: {a: [1, 2, {b: true}]}
budgetControl:
  limit: 250
  notifications:
    - budgetType: FORECASTED
      thresholdPercentage: 80
      emails: [ops@example.com]
hooks:
  beforeDeploy:
    - scriptName: build
      skipOnLocal: true
  afterDeploy:
    - scriptName: migrate
  beforeDelete:
    - scriptName: backup
      skipOnCI: true
  afterDelete: []
  beforeBucketSync: [{scriptName: build}]
  afterBucketSync: [{scriptName: build}]
  beforeDev: [{scriptName: build}]
  afterDev: [{scriptName: build}]
scripts:
  build:
    type: local-script
    properties:
      executeCommands: [npm ci, npm run build]
      cwd: ./web
      pipeStdio: false
      environment:
        - name: NODE_ENV
          value: production
  migrate:
    type: local-script-with-bastion-tunneling
    properties:
      executeScript: scripts/migrate.ts
      connectTo: [mainDb]
      bastionResource: jump
      assumeRoleOfResource: api
  backup:
    type: bastion-script
    properties:
      executeCommand: pg_dump > /tmp/dump.sql
      cwd: /tmp
      connectTo: [mainDb]
directives:
  - name: getSize
    filePath: directives.ts:getSize
deploymentConfig:
  terminationProtection: true
  cloudformationRoleArn: arn:aws:iam::123456789012:role/cfn
  triggerRollbackOnAlarms: [api-errors]
  monitoringTimeAfterDeploymentInMinutes: 10
  disableAutoRollback: false
  publishEventsToArn: ['arn:aws:sns:eu-west-1:123456789012:events']
  previousVersionsToKeep: 5
  disableS3TransferAcceleration: true
stackConfig:
  outputs:
    - name: apiUrl
      value: $ResourceParam('api', 'url')
      description: Public URL of the API
      export: true
  tags:
    - name: team
      value: payments
  disableStackInfoSaving: true
  stackInfoDirectory: ./info
  vpc:
    reuseVpc:
      projectName: network
      stage: production
    nat:
      availabilityZones: 3
resources:
  api:
    type: web-service
    properties: {anything: goes here}
cloudformationResources:
  RawTopic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: raw-topic
    DependsOn: [OtherThing]
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Condition: IsProduction
    Metadata: {note: hand-written}
"""


def test_a_full_top_level_validates_and_keeps_its_structure():
    cfg = validate(FULL)
    assert isinstance(cfg.scripts["build"], LocalScript)
    assert isinstance(cfg.scripts["migrate"], LocalScriptWithBastionTunneling)
    assert isinstance(cfg.scripts["backup"], BastionScript)
    assert cfg.scripts["migrate"].properties.bastionResource == "jump"
    assert cfg.scripts["build"].properties.environment[0].name == "NODE_ENV"
    assert [h.scriptName for h in cfg.hooks.beforeDeploy] == ["build"]
    assert cfg.hooks.beforeDeploy[0].skipOnLocal is True and cfg.hooks.beforeDeploy[0].skipOnCI is False
    assert cfg.providerConfig.mongoDbAtlas.accessibility.accessibilityMode == "scoping-workloads-in-vpc"
    assert cfg.deploymentConfig.previousVersionsToKeep == 5
    assert cfg.stackConfig.outputs[0].export is True
    assert cfg.stackConfig.vpc.nat.availabilityZones == 3
    assert cfg.cloudformationResources["RawTopic"].DependsOn == ["OtherThing"]
    assert cfg.resources["api"]["properties"] == {"anything": "goes here"}  # left for the resource models
    assert cfg.variables["nested"]["a"][2] == {"b": True}


def test_defaults_of_optional_settings():
    cfg = validate(
        """
        deploymentConfig: {}
        stackConfig: {}
        scripts:
          s:
            type: local-script
            properties:
              executeCommand: echo hi
        """
    )
    assert cfg.deploymentConfig.previousVersionsToKeep == 10
    assert cfg.deploymentConfig.terminationProtection is False
    assert cfg.stackConfig.stackInfoDirectory == ".stacktape-stack-info/"
    assert cfg.scripts["s"].properties.pipeStdio is True
    assert cfg.hooks is None and cfg.resources is None


def test_top_level_keys_list_every_section():
    assert set(TOP_LEVEL_KEYS) == set(StacktapeConfig.model_fields)
    for key in ("serviceName", "providerConfig", "variables", "hooks", "scripts", "directives",
                "deploymentConfig", "stackConfig", "resources", "cloudformationResources", "budgetControl"):
        assert key in TOP_LEVEL_KEYS
    assert SCRIPT_TYPES == ("local-script", "local-script-with-bastion-tunneling", "bastion-script")


def test_directives_are_accepted_where_numbers_and_booleans_are_expected():
    cfg = validate(
        """
        deploymentConfig:
          terminationProtection: $Var('protect')
          previousVersionsToKeep: $Var('keep')
        hooks:
          afterDeploy:
            - scriptName: migrate
              skipOnCI: $Var('skip')
        """
    )
    assert cfg.deploymentConfig.previousVersionsToKeep == "$Var('keep')"


def test_unknown_top_level_key_is_rejected():
    errs = errors(
        """
        servicName: shop
        resources: {}
        """
    )
    assert [(e["type"], e["loc"]) for e in errs] == [("extra_forbidden", ("servicName",))]


def test_unknown_key_inside_a_section_is_rejected():
    errs = errors(
        """
        deploymentConfig:
          terminationProtections: true
        """
    )
    assert [(e["type"], e["loc"]) for e in errs] == [("extra_forbidden", ("deploymentConfig", "terminationProtections"))]


def test_wrong_script_type_is_rejected():
    errs = errors(
        """
        scripts:
          badScript:
            type: local-scipt
            properties:
              executeCommand: echo hello
        """
    )
    assert len(errs) == 1
    assert errs[0]["type"] == "union_tag_invalid"
    assert errs[0]["loc"] == ("scripts", "badScript")
    assert errs[0]["ctx"]["tag"] == "local-scipt"


def test_script_without_type_is_rejected():
    errs = errors(
        """
        scripts:
          s:
            properties:
              executeCommand: echo hello
        """
    )
    assert errs[0]["type"] == "union_tag_not_found"


@pytest.mark.parametrize(
    "props",
    [
        "{}",  # nothing to run
        "{executeCommand: a, executeCommands: [b]}",  # two things to run
        "{executeScript: a.ts, executeScripts: [b.ts]}",
    ],
)
def test_local_script_needs_exactly_one_thing_to_run(props):
    errs = errors(
        f"""
        scripts:
          s:
            type: local-script
            properties: {props}
        """
    )
    assert errs[0]["type"] == "value_error"
    assert errs[0]["loc"] == ("scripts", "s", "local-script", "properties")


def test_bastion_script_cannot_run_local_files():
    errs = errors(
        """
        scripts:
          s:
            type: bastion-script
            properties:
              executeScript: seed.ts
        """
    )
    assert ("extra_forbidden", ("scripts", "s", "bastion-script", "properties", "executeScript")) in {
        (e["type"], e["loc"]) for e in errs
    }


def test_script_properties_are_strict():
    errs = errors(
        """
        scripts:
          s:
            type: local-script
            properties:
              executeCommand: npm test
              workingDir: ./app
              connectTo: mainDb
        """
    )
    found = {(e["type"], e["loc"][-1]) for e in errs}
    assert ("extra_forbidden", "workingDir") in found
    assert ("list_type", "connectTo") in found


@pytest.mark.parametrize(
    "hooks,etype,loc",
    [
        ("beforeDeploy:\n    - build", "model_type", ("hooks", "beforeDeploy", 0)),  # bare name instead of a map
        ("beforeDeploy:\n    - skipOnCI: true", "missing", ("hooks", "beforeDeploy", 0, "scriptName")),
        ("beforeDeploy:\n    - scriptName: build\n      skipOnCi: true", "extra_forbidden",
         ("hooks", "beforeDeploy", 0, "skipOnCi")),
        ("beforeDeploy:\n    - scriptName: build\n      skipOnCI: 'yes'", "bool_type",
         ("hooks", "beforeDeploy", 0, "skipOnCI")),
        ("beforeDeploy:\n    scriptName: build", "list_type", ("hooks", "beforeDeploy")),  # not a list
        ("afterDeployment:\n    - scriptName: build", "extra_forbidden", ("hooks", "afterDeployment")),
    ],
)
def test_malformed_hooks_are_rejected(hooks, etype, loc):
    errs = errors("hooks:\n  " + hooks + "\n")
    assert (etype, loc) in {(e["type"], e["loc"]) for e in errs}


def test_cloudformation_resources_need_a_real_type():
    errs = errors(
        """
        cloudformationResources:
          Topic:
            Properties: {TopicName: x}
          Queue:
            Type: sqs-queue
          Bucket:
            Type: AWS::S3::Bucket
            DeletionPolicy: Keep
        """
    )
    found = {(e["type"], e["loc"]) for e in errs}
    assert ("missing", ("cloudformationResources", "Topic", "Type")) in found
    assert ("value_error", ("cloudformationResources", "Queue", "Type")) in found
    assert ("literal_error", ("cloudformationResources", "Bucket", "DeletionPolicy")) in found
    assert len(found) == 3


def test_custom_cloudformation_types_and_directive_types_are_allowed():
    cfg = validate(
        """
        cloudformationResources:
          Thing:
            Type: Custom::Thing
            Properties:
              ServiceToken: $CfResourceParam('Fn', 'Arn')
          Other:
            Type: $Var('cfType')
        """
    )
    assert cfg.cloudformationResources["Thing"].Type == "Custom::Thing"


def test_service_name_shape_is_checked():
    assert validate("serviceName: my-app-2").serviceName == "my-app-2"
    errs = errors("serviceName: 2-my_app")
    assert errs[0]["type"] == "value_error" and errs[0]["loc"] == ("serviceName",)


def test_other_sections_are_typed():
    found = {
        (e["type"], e["loc"])
        for e in errors(
            """
            directives:
              - name: getSize
            stackConfig:
              outputs:
                - name: url
                  value: x
                  exported: true
              vpc:
                nat:
                  availabilityZones: 4
            providerConfig:
              aws:
                region: eu-west-1
              upstash:
                apiKey: k
            variables: [a, b]
            """
        )
    }
    assert ("missing", ("directives", 0, "filePath")) in found
    assert ("extra_forbidden", ("stackConfig", "outputs", 0, "exported")) in found
    assert ("literal_error", ("stackConfig", "vpc", "nat", "availabilityZones")) in found
    assert ("extra_forbidden", ("providerConfig", "aws")) in found
    assert ("missing", ("providerConfig", "upstash", "accountEmail")) in found
    assert ("dict_type", ("variables",)) in found


def test_every_corpus_config_has_a_valid_top_level(shared):
    files = sorted((shared / "corpus" / "starters").glob("*.yml")) + sorted(
        (shared / "corpus" / "test-stacks").glob("*.yml")
    )
    assert files
    failures = {}
    for path in files:
        try:
            StacktapeConfig.model_validate(load(path.read_text()))
        except ValidationError as exc:
            failures[path.name] = exc.errors(include_url=False)
    assert failures == {}


def test_corpus_misspelt_script_type_fails(shared):
    data = load((shared / "corpus" / "config-errors" / "06-multiple-resources-errors.yml").read_text())
    with pytest.raises(ValidationError) as info:
        StacktapeConfig.model_validate(data)
    errs = info.value.errors(include_url=False)
    assert [(e["type"], e["loc"]) for e in errs] == [("union_tag_invalid", ("scripts", "badScript"))]


def test_analysis_reports_top_level_mistakes_with_suggestions():
    from core.analysis.analyze import analyze

    result = analyze(
        yaml(
            """
            scripts:
              build:
                type: local-scipt
                properties:
                  executeCommand: npm run build
            hook:
              beforeDeploy:
                - scriptName: build
            resources: {}
            """
        )
    )
    by_code = {d.code: d for d in result.diagnostics}
    assert "'local-script'" in by_code["invalid-type-name"].message
    assert by_code["invalid-type-name"].span.line == 2
    assert "Did you mean 'hooks'?" in by_code["unknown-property"].message
