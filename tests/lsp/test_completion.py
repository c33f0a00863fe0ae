"""Completion over stdio, for VS Code and Neovim: what the user sees in the list and what choosing inserts."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.lsp_support import (
    CLIENTS,
    apply_edits,
    change_doc,
    close_doc,
    diagnostics,
    doc_id,
    open_doc,
    start_server,
    stop_server,
    units,
    yaml,
)

CURSOR = "‸"

CONFIG = yaml("""
    # the shop
    resources:
      jobs:
        type: sqs-queue
      uploads:
        type: bucket
      web:
        type: application-load-balancer
      tcp:
        type: network-load-balancer
        properties:
          listeners:
            - port: 5432
              protocol: TCP
      gateway:
        type: http-api-gateway
      check:
        type: function
        properties:
          packaging: {type: stacktape-lambda-buildpack, properties: {entryfilePath: check.py}}
      api:
        type: multi-container-workload
        properties:
          resources: {cpu: 0.25, memory: 512}
          connectTo:
            - jobs
            - uploads
          deployment:
            strategy: Canary10Percent5Minutes
            beforeAllowTrafficFunction: check
          containers:
            - name: app
              packaging: {type: prebuilt-image, properties: {image: shop}}
              dependsOn:
                - containerName: cache
                  condition: START
              environment:
                - name: QUEUE_URL
                  value: $ResourceParam('jobs', 'url')
              events:
                - type: application-load-balancer
                  properties:
                    loadBalancerName: web
                    containerPort: 80
                    priority: 1
                - type: network-load-balancer
                  properties:
                    loadBalancerName: tcp
                    containerPort: 5432
                    listenerPort: 5432
                - type: http-api-gateway
                  properties:
                    httpApiGatewayName: gateway
                    containerPort: 80
                    path: /
                    method: GET
            - name: worker
              packaging: {type: prebuilt-image, properties: {image: worker}}
            - name: cache
              packaging: {type: prebuilt-image, properties: {image: redis}}
    scripts:
      migrate:
        type: local-script
        properties:
          executeCommand: npm run migrate
    hooks:
      afterDeploy:
        - scriptName: migrate
""")


def at(text: str, old: str, new: str) -> str:
    """``text`` with the first ``old`` replaced by ``new`` (which holds the cursor mark)."""
    assert old in text, old
    return text.replace(old, new, 1)


def cursor(client: LanguageClient, marked: str) -> tuple[str, types.Position]:
    i = marked.index(CURSOR)
    text = marked[:i] + marked[i + 1:]
    line = text.count("\n", 0, i)
    start = text.rfind("\n", 0, i) + 1
    return text, types.Position(line=line, character=units(text[start:i], client.encoding))


async def complete(client: LanguageClient, marked: str, trigger: str | None = None, name: str = "stacktape.yml"):
    """Open ``marked`` (the cursor at ``‸``), ask for completion there, close it; (text, items)."""
    text, position = cursor(client, marked)
    uri = open_doc(client, text, name=name)
    context = (types.CompletionContext(trigger_kind=types.CompletionTriggerKind.TriggerCharacter, trigger_character=trigger)
               if trigger else types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked))
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc_id(uri), position=position, context=context))
    close_doc(client, uri)
    items = result.items if isinstance(result, types.CompletionList) else (result or [])
    return text, sorted(items, key=lambda i: (i.sort_text or i.label, i.label))


def labels(items) -> list[str]:
    return [i.label for i in items]


def chosen(client: LanguageClient, text: str, items, label: str) -> str:
    """The text after accepting the item ``label`` (its textEdit applied)."""
    [item] = [i for i in items if i.label == label]
    return apply_edits(text, [item.text_edit], client.encoding)


def item(items, label: str) -> types.CompletionItem:
    [found] = [i for i in items if i.label == label]
    return found


# --- keys ---------------------------------------------------------------------------------------------


async def test_empty_file_offers_the_top_level_keys(client: LanguageClient):
    text, items = await complete(client, CURSOR)
    assert labels(items)[0] == "resources"  # the one that matters comes first
    assert {"scripts", "hooks", "variables", "stackConfig", "deploymentConfig"} <= set(labels(items))
    res = item(items, "resources")
    assert res.kind == types.CompletionItemKind.Property and res.detail.startswith("required")
    after = chosen(client, text, items, "resources")
    assert after == "resources:\n  $1"  # a snippet: the cursor lands where the first resource goes
    assert res.insert_text_format == types.InsertTextFormat.Snippet


async def test_keys_of_a_resource_required_first_and_not_the_ones_already_there(client: LanguageClient):
    marked = at(CONFIG, "  check:\n    type: function\n    properties:\n",
                "  check:\n    type: function\n    properties:\n      " + CURSOR + "\n")
    _, items = await complete(client, marked)
    names = labels(items)
    assert "packaging" not in names  # already written
    assert names[:1] == ["resources"] or "handler" not in names
    assert {"environment", "memory", "timeout", "connectTo", "events"} <= set(names)
    timeout = item(items, "timeout")
    assert timeout.detail == "whole number · default 10"
    assert "seconds" in timeout.documentation.value.lower()  # the field's description


async def test_half_typed_key_under_a_container_is_completed_in_broken_yaml(client: LanguageClient):
    marked = at(CONFIG, "        - name: worker\n",
                "        - name: extra\n          env" + CURSOR + "\n        - name: worker\n")
    text, items = await complete(client, marked)
    names = labels(items)
    assert names[0] == "packaging"  # required, and not written in this container yet
    assert "name" not in names  # already there
    assert {"environment", "essential", "dependsOn", "events"} <= set(names)
    env = item(items, "environment")
    # replaces the half-typed word, and inserts the key with a list item below it
    line = text.split("\n").index("          env")
    assert env.text_edit.range == types.Range(start=types.Position(line=line, character=10),
                                              end=types.Position(line=line, character=13))
    after = chosen(client, text, items, "environment")
    assert "          environment:\n" in after
    assert env.text_edit.new_text.startswith("environment:\n")


async def test_key_after_a_dash_and_at_the_column_of_a_list(client: LanguageClient):
    marked = at(CONFIG, "              condition: START\n",
                "              condition: START\n            - " + CURSOR + "\n")
    _, items = await complete(client, marked)
    assert labels(items) == ["containerName", "condition"]
    marked = at(CONFIG, "              condition: START\n",
                "              condition: START\n            " + CURSOR + "\n")
    _, items = await complete(client, marked)
    assert labels(items) == ["containerName", "condition"]
    assert item(items, "containerName").text_edit.new_text.startswith("- containerName: ")


async def test_editing_a_key_that_has_its_colon_inserts_the_name_only(client: LanguageClient):
    marked = at(CONFIG, "  connectTo:\n", "  conn" + CURSOR + "ectTo:\n")
    text, items = await complete(client, marked)
    ct = item(items, "connectTo")  # the key being edited is offered even though it is "there"
    assert ct.text_edit.new_text == "connectTo"
    assert "  connectTo:\n        - jobs" in chosen(client, text, items, "connectTo")


# --- values -------------------------------------------------------------------------------------------


async def test_resource_types_on_an_empty_type_line_of_a_new_resource(client: LanguageClient):
    marked = at(CONFIG, "  gateway:\n", "  queue:\n    type: " + CURSOR + "\n  gateway:\n")
    text, items = await complete(client, marked)
    names = labels(items)
    assert {"sqs-queue", "web-service", "function", "relational-database", "nextjs-web"} <= set(names)
    assert len(names) == 44
    assert item(items, "sqs-queue").text_edit.new_text == "sqs-queue"  # nothing else required
    after = chosen(client, text, items, "sqs-queue")
    assert "  queue:\n    type: sqs-queue\n  gateway:" in after


async def test_resource_type_brings_its_required_properties_as_a_snippet(client: LanguageClient):
    marked = yaml("""
        resources:
          fn:
            type: ‸
    """)
    _, items = await complete(client, marked)
    fn = item(items, "function")
    assert fn.insert_text_format == types.InsertTextFormat.Snippet
    if client.client_name == "visual-studio-code":  # asIs: the lines carry their own indentation
        assert fn.insert_text_mode == types.InsertTextMode.AsIs
        assert fn.text_edit.new_text == (
            "function\n    properties:\n      packaging:\n"
            "        type: ${1|stacktape-lambda-buildpack,custom-artifact|}")
    else:  # Neovim indents a snippet's lines by the line's own indentation
        assert fn.text_edit.new_text == (
            "function\nproperties:\n  packaging:\n"
            "    type: ${1|stacktape-lambda-buildpack,custom-artifact|}")


async def test_skeleton_items_under_a_new_resource(client: LanguageClient):
    marked = yaml("""
        resources:
          db:
            ‸
    """)
    _, items = await complete(client, marked)
    names = labels(items)
    assert names[:3] == ["type", "properties", "overrides"]
    assert "type: relational-database" in names
    sk = item(items, "type: relational-database")
    assert sk.kind == types.CompletionItemKind.Snippet
    assert sk.text_edit.new_text.startswith("type: relational-database\n")
    assert "masterUserPassword: $1" in sk.text_edit.new_text


async def test_enum_values_booleans_and_union_types(client: LanguageClient):
    _, items = await complete(client, at(CONFIG, "condition: START", "condition: " + CURSOR))
    assert labels(items) == ["START", "COMPLETE", "SUCCESS", "HEALTHY"]
    assert "has started" in item(items, "START").documentation.value  # the value's meaning
    _, items = await complete(client, at(CONFIG, "          packaging: {type: prebuilt-image, properties: {image: shop}}\n",
                                         "          packaging: {type: prebuilt-image, properties: {image: shop}}\n"
                                         "          essential: " + CURSOR + "\n"))
    assert labels(items) == ["true", "false"]
    _, items = await complete(client, at(CONFIG, "- type: network-load-balancer", "- type: " + CURSOR))
    assert labels(items) == ["http-api-gateway", "application-load-balancer", "network-load-balancer",
                             "workload-internal", "service-connect"]


async def test_value_right_after_the_colon_gets_a_space(client: LanguageClient):
    text, items = await complete(client, at(CONFIG, "condition: START", "condition:" + CURSOR), trigger=":")
    assert item(items, "HEALTHY").text_edit.new_text == " HEALTHY"
    assert "condition: HEALTHY\n" in chosen(client, text, items, "HEALTHY")


async def test_number_enum_inside_quotes_replaces_the_quotes(client: LanguageClient):
    text, items = await complete(client, at(CONFIG, "resources: {cpu: 0.25, memory: 512}",
                                            "resources:\n        cpu: '" + CURSOR + "'\n        memory: 512"), trigger="'")
    assert labels(items)[:3] == ["0.25", "0.5", "1"]
    assert "        cpu: 0.5\n" in chosen(client, text, items, "0.5")


async def test_inside_a_flow_mapping(client: LanguageClient):
    text, items = await complete(client, at(CONFIG, "{image: worker}", "{" + CURSOR + "}"))
    assert labels(items)[0] == "image" and "command" in labels(items)
    assert "properties: {image: }}" in chosen(client, text, items, "image")
    _, items = await complete(client, at(CONFIG, "{type: prebuilt-image, properties: {image: worker}}",
                                         "{type: " + CURSOR + "}"))
    assert "prebuilt-image" in labels(items) and "stacktape-image-buildpack" in labels(items)


# --- references ---------------------------------------------------------------------------------------


async def test_connect_to_offers_connectable_resources_and_aws_services(client: LanguageClient):
    text, items = await complete(client, at(CONFIG, "    - uploads\n", "    - uploads\n        - " + CURSOR + "\n"))
    # not the load balancers or the gateway, not `api` itself, not what is listed already
    assert labels(items) == ["check", "aws:ses"]
    assert item(items, "check").detail == "function"
    text, items = await complete(client, at(CONFIG, "    - uploads\n", "    - u" + CURSOR + "\n"))
    assert "        - check\n" in chosen(client, text, items, "check")
    text, items = await complete(client, at(CONFIG, "    - uploads\n", "    - uploads\n        -" + CURSOR + "\n"), trigger="-")
    assert item(items, "check").text_edit.new_text == " check"  # right after the dash: a space first


async def test_load_balancer_names_are_of_the_right_kind(client: LanguageClient):
    _, items = await complete(client, at(CONFIG, "loadBalancerName: web", "loadBalancerName: " + CURSOR))
    assert labels(items) == ["web"]  # an application load balancer event: not `tcp`
    _, items = await complete(client, at(CONFIG, "loadBalancerName: tcp", "loadBalancerName: " + CURSOR))
    assert labels(items) == ["tcp"]
    _, items = await complete(client, at(CONFIG, "httpApiGatewayName: gateway", "httpApiGatewayName: " + CURSOR))
    assert labels(items) == ["gateway"]


async def test_depends_on_offers_the_other_containers_only(client: LanguageClient):
    _, items = await complete(client, at(CONFIG, "containerName: cache", "containerName: " + CURSOR))
    assert labels(items) == ["cache", "worker"]  # not `app`, the container being edited
    assert item(items, "worker").detail == "container of api"


async def test_hook_functions_and_script_names(client: LanguageClient):
    _, items = await complete(client, at(CONFIG, "beforeAllowTrafficFunction: check", "beforeAllowTrafficFunction: " + CURSOR))
    assert labels(items) == ["check"]
    _, items = await complete(client, at(CONFIG, "scriptName: migrate", "scriptName: " + CURSOR))
    assert labels(items) == ["migrate"]


async def test_resource_param_in_an_unclosed_quote(client: LanguageClient):
    marked = at(CONFIG, "value: $ResourceParam('jobs', 'url')", "value: $ResourceParam('" + CURSOR)
    text, items = await complete(client, marked, trigger="'")
    assert set(labels(items)) == {"jobs", "uploads", "web", "tcp", "gateway", "check", "api"}
    assert item(items, "jobs").text_edit.new_text == "jobs'"  # closes the quote
    assert "value: $ResourceParam('jobs'\n" in chosen(client, text, items, "jobs")
    # then the second argument: the parameters of that resource
    marked = at(CONFIG, "value: $ResourceParam('jobs', 'url')", "value: $ResourceParam('jobs', '" + CURSOR + "')")
    text, items = await complete(client, marked, trigger="'")
    assert labels(items) == ["arn", "name", "url"]
    assert item(items, "url").text_edit.new_text == "url"
    assert "STP_JOBS_URL" in item(items, "url").documentation.value
    assert "$ResourceParam('jobs', 'url')" in chosen(client, text, items, "url")


async def test_positions_after_non_ascii_text_in_each_encoding(client: LanguageClient):
    marked = at(CONFIG, "            - name: QUEUE_URL\n              value: $ResourceParam('jobs', 'url')\n",
                "            - {name: 'Ünïcødé 😀', value: $ResourceParam('j" + CURSOR + "')}\n")
    text, items = await complete(client, marked)
    assert "jobs" in labels(items)
    assert "            - {name: 'Ünïcødé 😀', value: $ResourceParam('jobs')}\n" in chosen(client, text, items, "jobs")


async def test_directive_names_after_a_dollar(client: LanguageClient):
    marked = at(CONFIG, "value: $ResourceParam('jobs', 'url')", "value: $" + CURSOR)
    text, items = await complete(client, marked, trigger="$")
    assert labels(items)[0] == "$ResourceParam" and {"$Secret", "$Var", "$Format", "$Stage"} <= set(labels(items))
    rp = item(items, "$ResourceParam")
    assert rp.text_edit.new_text == "\\$ResourceParam('$1', '$2')"
    assert "value: $ResourceParam('$1', '$2')" not in chosen(client, text, items, "$Stage")
    assert "value: \\$Stage()" in chosen(client, text, items, "$Stage")  # a snippet: the client unescapes `\\$`


# --- what the client can take ---------------------------------------------------------------------------


def _no_snippets(caps: types.ClientCapabilities) -> types.ClientCapabilities:
    caps.text_document.completion.completion_item.snippet_support = False
    return caps


@pytest.mark.slow  # starts its own server
@pytest.mark.parametrize("client_name", CLIENTS)
async def test_plain_text_for_clients_without_snippets(client_name):
    plain = await start_server(client_name, capabilities=_no_snippets)
    try:
        marked = yaml("""
            resources:
              fn:
                type: ‸
        """)
        text, items = await complete(plain, marked)
        fn = item(items, "function")
        assert fn.insert_text_format == types.InsertTextFormat.PlainText
        assert "$" not in fn.text_edit.new_text
        after = chosen(plain, text, items, "function")
        assert after == "resources:\n  fn:\n    type: function\n    properties:\n      packaging:\n        type: \n"
        _, items = await complete(plain, "resources:\n  api:\n    type: web-service\n    properties:\n      " + CURSOR)
        assert item(items, "resources").text_edit.new_text == "resources:\n        cpu: \n        memory: "
        _, items = await complete(plain, "resources:\n  api:\n    type: web-service\n    properties:\n"
                                         "      environment:\n        - value: $" + CURSOR)
        assert item(items, "$ResourceParam").text_edit.new_text == "$ResourceParam('"
    finally:
        await stop_server(plain)


async def test_broken_file_uses_the_last_version_that_parsed(client: LanguageClient):
    good = yaml("""
        resources:
          jobs: {type: sqs-queue,
                 properties: {}}
          api:
            type: worker-service
            properties:
              connectTo:
                - jobs
    """)
    uri = open_doc(client, good)
    await diagnostics(client, uri, version=1)
    # an unclosed quote elsewhere: nothing parses now, and the queue is written in a flow over two lines
    broken, position = cursor(client, "bad: 'unclosed\n" + good.replace("        - jobs\n", "        - " + CURSOR + "\n"))
    change_doc(client, uri, 2, broken)
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc_id(uri), position=position))
    assert [i.label for i in result.items] == ["jobs", "aws:ses"]
    close_doc(client, uri)


async def test_files_stp_does_not_attach_to_get_nothing(client: LanguageClient):
    _, items = await complete(client, "resources:\n  " + CURSOR, name="docker-compose.yml")
    assert items == []


async def test_nothing_inside_comments_and_block_scalars(client: LanguageClient):
    _, items = await complete(client, at(CONFIG, "# the shop", "# the " + CURSOR))
    assert items == []
    marked = at(CONFIG, "      executeCommand: npm run migrate\n",
                "      executeCommand: |\n        npm run " + CURSOR + "\n")
    _, items = await complete(client, marked)
    assert items == []
