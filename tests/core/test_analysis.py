"""Schema validation as a user sees it: exact places, clear words, no false alarms."""

from core.analysis import analyze
from tests.conftest import yaml

WORKER = """\
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
        memory: 512
"""


def errors(text):
    return [d for d in analyze(text, strict=True).diagnostics if d.severity == "error"]


def test_valid_worker_has_no_errors():
    assert errors(WORKER) == []


def test_unknown_resource_type_suggests_the_closest_name():
    [d] = errors(yaml("""
        resources:
          api:
            type: web-servce
        """))
    assert d.code == "unknown-resource-type"
    assert "Did you mean 'web-service'?" in d.message
    assert (d.span.line, d.span.col) == (2, 10)


def test_known_but_unmodelled_type_is_only_a_note():
    a = analyze(yaml("""
        resources:
          fw:
            type: web-app-firewall
            properties:
              anything: goes
        """))
    assert [(d.code, d.severity) for d in a.diagnostics] == [("unmodelled-resource-type", "information")]


def test_errors_are_reported_against_the_resource_own_model_only():
    text = WORKER.replace("image: busybox", "imag: busybox")
    errs = errors(text)
    assert {d.code for d in errs} == {"unknown-property", "missing-property"}
    unknown = next(d for d in errs if d.code == "unknown-property")
    assert "Did you mean 'image'?" in unknown.message
    assert unknown.span.line == 7
    assert "schemas" not in " ".join(d.message for d in errs)


def test_wrong_union_tag_names_the_alternatives_at_the_type_value():
    [d] = errors(WORKER.replace("type: prebuilt-image", "type: prebuilt-imag"))
    assert d.code == "invalid-type-name"
    assert "Did you mean 'prebuilt-image'?" in d.message
    assert d.span.line == 5
    assert d.path == ("resources", "worker", "properties", "packaging", "type")


def test_quoted_number_gets_an_actionable_message():
    [d] = errors(WORKER.replace("memory: 512", "memory: '512'"))
    assert d.code == "invalid-type" and "Remove the quotes" in d.message
    assert d.span.line == 10


def test_enum_error_lists_allowed_values_and_the_closest():
    [d] = errors(WORKER.replace("cpu: 0.25", "cpu: 0.3"))
    assert d.code == "invalid-value"
    assert "0.25" in d.message and "16" in d.message


def test_directives_are_accepted_where_numbers_and_booleans_are_expected():
    text = WORKER.replace("memory: 512", "memory: $Var('memory')") + "variables:\n  memory: 512\n"
    assert errors(text) == []


def test_malformed_directive_is_an_error_at_its_place():
    text = WORKER.replace("image: busybox", "image: $Secret('img'")
    [d] = errors(text)
    assert d.code == "directive-syntax" and d.span.line == 7
    assert "never closed" in d.message


def test_unknown_directive_and_wrong_arity():
    text = WORKER.replace("image: busybox", "image: $Secrett('img')")
    [d] = errors(text)
    assert d.code == "unknown-directive" and "$Secret()" in d.message
    [d] = errors(WORKER.replace("image: busybox", "image: $Secret('a', 'b')"))
    assert d.code == "directive-arguments" and "takes 1 argument" in d.message


def test_user_directives_declared_under_directives_are_known():
    text = WORKER.replace("image: busybox", "image: $MyImage('x')") + yaml("""
        directives:
          - name: MyImage
            filePath: directives.ts:getImage
        """)
    assert [d for d in errors(text) if d.code == "unknown-directive"] == []


def test_resource_param_checks_target_and_parameter():
    base = WORKER + "  files:\n    type: bucket\n"
    ok = base.replace("image: busybox", "image: $ResourceParam('files', 'arn')")
    assert [d for d in errors(ok) if d.code in ("unknown-reference", "unknown-resource-param")] == []
    bad_target = base.replace("image: busybox", "image: $ResourceParam('filez', 'arn')")
    [d] = [d for d in errors(bad_target) if d.code == "unknown-reference"]
    assert "Did you mean 'files'?" in d.message
    # the range covers exactly the name inside the directive
    line = bad_target.splitlines()[d.span.line]
    assert line[d.span.col:d.span.end_col] == "filez"
    bad_param = base.replace("image: busybox", "image: $ResourceParam('files', 'url')")
    [d] = [d for d in errors(bad_param) if d.code == "unknown-resource-param"]
    assert "'name'" in d.message and "'arn'" in d.message


def test_connect_to_names_existing_connectable_resources():
    text = WORKER + "      connectTo:\n        - jobs\n        - aws:ses\n        - aws:sess\n  jobz:\n    type: sqs-queue\n"
    errs = [d for d in errors(text) if d.code == "unknown-reference"]
    assert len(errs) == 2
    assert "Did you mean 'jobz'?" in errs[0].message and errs[0].span.line == 12
    assert "aws:ses" in errs[1].message


def test_reference_to_wrong_resource_type():
    text = yaml("""
        resources:
          gw:
            type: sqs-queue
          api:
            type: multi-container-workload
            properties:
              resources: {cpu: 0.25, memory: 512}
              containers:
                - name: web
                  packaging: {type: prebuilt-image, properties: {image: nginx}}
                  events:
                    - type: http-api-gateway
                      properties: {httpApiGatewayName: gw, containerPort: 80, path: /, method: GET}
        """)
    [d] = [d for d in errors(text) if d.code == "wrong-reference-type"]
    assert "'gw' is an sqs-queue" in d.message and d.span.line == 12


def test_resource_names_must_be_alphanumeric():
    [d] = errors(WORKER.replace("  worker:", "  my-worker:"))
    assert d.code == "resource-name" and d.span.line == 1 and "myWorker" in d.message


def test_symbols_index_definitions_and_references():
    text = yaml("""
        resources:
          jobs:
            type: sqs-queue
          worker:
            type: worker-service
            properties:
              packaging: {type: prebuilt-image, properties: {image: busybox}}
              resources: {cpu: 0.25, memory: 512}
              connectTo: [jobs]
              environment:
                - name: URL
                  value: $ResourceParam('jobs', 'url')
        """)
    a = analyze(text)
    jobs = a.symbols.resources["jobs"]
    refs = a.symbols.references_to(jobs)
    assert sorted((r.span.line, r.via) for r in refs) == [(8, "property"), (11, "directive")]
    assert a.symbols.at(8, 19).name == "jobs"


def test_empty_and_non_map_documents():
    assert analyze("").diagnostics == []
    [d] = analyze("- a\n- b\n").diagnostics
    assert d.code == "invalid-type"


def test_rule_errors_show_alongside_schema_errors_in_the_same_resource():
    text = yaml("""
        resources:
          api:
            type: worker-service
            properties:
              packaging:
                type: prebuilt-image
                properties:
                  image: nginx
              resources:
                cpu: 0.25
                memory: 512
              scaling:
                minInstances: 5
                maxInstances: 2
                scalingPolicy:
                  keepAvgCpuUtilizaton: 70
    """)
    found = {(d.span.line + 1, d.code) for d in analyze(text).errors}
    assert found == {(14, "scaling-instances"), (16, "unknown-property")}


def test_a_bad_value_does_not_also_trigger_rules_about_its_default():
    text = yaml("""
        resources:
          api:
            type: worker-service
            properties:
              packaging:
                type: prebuilt-image
                properties:
                  image: nginx
              resources:
                cpu: 0.25
                memory: 512
              scaling:
                minInstances: 3
                maxInstances: lots
    """)
    assert [(d.span.line + 1, d.code) for d in analyze(text).errors] == [(14, "invalid-type")]


def test_each_resource_param_in_a_nested_directive_is_reported_where_it_stands():
    text = yaml("""
        resources:
          db:
            type: sqs-queue
          w:
            type: worker-service
            properties:
              packaging: {type: prebuilt-image, properties: {image: x}}
              resources: {cpu: 0.25, memory: 512}
              environment:
                - name: A
                  value: $Format('{}-{}', $ResourceParam('dbx', 'url'), $ResourceParam('dbx','arn'))
    """)
    line = text.splitlines()[10]
    spans = [(d.span.line, d.span.col, d.span.end_col) for d in analyze(text).errors]
    first = line.index("'dbx'") + 1
    second = line.index("'dbx'", first) + 1
    assert spans == [(10, first, first + 3), (10, second, second + 3)]


def test_hooks_name_scripts_that_exist():
    text = yaml("""
        scripts:
          migrate:
            type: local-script
            properties:
              executeCommand: echo hi
        hooks:
          beforeDeploy:
            - scriptName: migrat
          afterDeploy:
            - scriptName: migrate
        resources: {}
    """)
    a = analyze(text)
    assert [(d.span.line + 1, d.message) for d in a.errors] == [
        (8, "No script named 'migrat' under 'scripts:'. Did you mean 'migrate'?")
    ]
    definition = a.symbols.scripts["migrate"]
    assert [r.span.line + 1 for r in a.symbols.references_to(definition)] == [10]


def test_enum_values_keep_their_own_order_in_messages():
    from core.model.base import OneOf, StpModel

    class Probe(StpModel):
        first: OneOf("GET", "POST") = "GET"
        second: OneOf("POST", "GET") = "POST"

    assert Probe.model_json_schema()["properties"]["second"]["anyOf"][0]["enum"] == ["POST", "GET"]
    assert Probe.model_json_schema()["properties"]["first"]["anyOf"][0]["enum"] == ["GET", "POST"]


def test_unknown_resource_param_underlines_the_parameter_and_names_it():
    text = yaml("""
        resources:
          db:
            type: sqs-queue
          w:
            type: worker-service
            properties:
              packaging: {type: prebuilt-image, properties: {image: x}}
              resources: {cpu: 0.25, memory: 512}
              environment:
                - name: A
                  value: $ResourceParam('db', 'urll')
    """)
    (d,) = analyze(text).errors
    line = text.splitlines()[10]
    assert (d.code, d.span.line, d.span.col, d.span.end_col) == ("unknown-resource-param", 10, line.index("urll"),
                                                                line.index("urll") + 4)
    assert d.message.startswith("An sqs-queue has no parameter 'urll'. Did you mean 'url'?")
    assert d.data["param"] == "urll" and d.data["replace_with"] == ["url"]


def test_a_directive_written_with_escapes_is_underlined_whole_not_at_a_shifted_place():
    text = yaml(r"""
        resources:
          db:
            type: sqs-queue
          w:
            type: worker-service
            properties:
              packaging: {type: prebuilt-image, properties: {image: x}}
              resources: {cpu: 0.25, memory: 512}
              environment:
                - name: A
                  value: "$ResourceParam('\x64bx', 'url')"
    """)
    (d,) = analyze(text).errors
    line = text.splitlines()[10]
    assert d.code == "unknown-reference" and "'dbx'" in d.message
    assert (d.span.line, d.span.col, d.span.end_col) == (10, line.index('"'), len(line))
