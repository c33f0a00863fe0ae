"""Quick fixes over stdio, for VS Code and Neovim: the titles offered and the text after applying one."""

from __future__ import annotations

from lsprotocol import types
from pytest_lsp import LanguageClient

from core.analysis import analyze
from tests.lsp.lsp_support import (
    apply_edits,
    change_doc,
    close_doc,
    diagnostics,
    doc_id,
    open_doc,
    workspace_edits,
    yaml,
)

BROKEN = yaml("""
    # the shop's stack
    resources:
      jobs:
        type: sqs-queu   # where orders wait
      files:
        type: bucket
      worker:
        type: worker-service
        properties:
          packaging: {type: prebuilt-image, properties: {image: worker}}
          resources: {cpu: 0.25, memory: 512}
          connectTo: [uploads]
      api:
        type: multi-container-workload
        properties:
          resources: {cpu: 0.25, memory: 512}
          conectTo:  # typo
            - jobs
          containers:
            - name: app
              packaging: {type: prebuilt-image, properties: {image: shop}}
              dependsOn:
                - containerName: cahce
                  condition: STRT
                - containerName: cache
              environment:
                - name: BUCKET
                  value: $ResourceParam('files', 'nam')
                - name: DB_URL
                  value: $ResourceParam('db', 'connectionString')
              events:
                - type: application-load-balancer
                  properties:
                    loadBalancerName: lb
                    containerPort: 80
                    priority: 1
            - name: cache
              packaging: {type: prebuilt-image, properties: {image: redis}}
              logs:
                retentionDays: 7
                # keep a week
              essential: false

    scripts:
      migrate:
        type: local-script
        properties:
          executeCommand: npm run migrate
""")


async def open_with_diagnostics(client: LanguageClient, text: str):
    uri = open_doc(client, text)
    return uri, await diagnostics(client, uri, version=1)


async def actions(client: LanguageClient, uri: str, diag: types.Diagnostic, only=None) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=doc_id(uri), range=diag.range,
        context=types.CodeActionContext(diagnostics=[diag], only=only)))
    return list(result or [])


def the(diags, code: str, containing: str = "") -> types.Diagnostic:
    found = [d for d in diags if d.code == code and containing in d.message]
    assert len(found) == 1, [(d.code, d.message) for d in diags]
    return found[0]


def applied(client: LanguageClient, text: str, uri: str, action: types.CodeAction) -> str:
    return apply_edits(text, workspace_edits(action.edit, uri), client.encoding)


def titled(acts, title: str) -> types.CodeAction:
    found = [a for a in acts if a.title == title]
    assert found, [a.title for a in acts]
    return found[0]


async def fix(client, uri, text, diag, title) -> str:
    action = titled(await actions(client, uri, diag), title)
    assert action.kind == types.CodeActionKind.QuickFix and list(action.diagnostics) == [diag]
    return applied(client, text, uri, action)


# --- did you mean ---------------------------------------------------------------------------------------


async def test_did_you_mean_a_key_keeps_the_comment(client: LanguageClient):
    uri, diags = await open_with_diagnostics(client, BROKEN)
    diag = the(diags, "unknown-property", "'conectTo'")
    acts = await actions(client, uri, diag)
    assert [a.title for a in acts] == ["Change 'conectTo' to 'connectTo'", "Remove 'conectTo'"]
    assert acts[0].is_preferred
    after = applied(client, BROKEN, uri, acts[0])
    assert after == BROKEN.replace("      conectTo:  # typo", "      connectTo:  # typo")
    # VS Code takes versioned document changes, Neovim's default capabilities plain changes
    if client.client_name == "visual-studio-code":
        assert acts[0].edit.document_changes[0].text_document.version == 1
    else:
        assert acts[0].edit.changes is not None and acts[0].edit.document_changes is None
    close_doc(client, uri)


async def test_did_you_mean_a_type_an_enum_value_and_names(client: LanguageClient):
    uri, diags = await open_with_diagnostics(client, BROKEN)
    after = await fix(client, uri, BROKEN, the(diags, "unknown-resource-type"), "Change 'sqs-queu' to 'sqs-queue'")
    assert "    type: sqs-queue   # where orders wait\n" in after
    after = await fix(client, uri, BROKEN, the(diags, "invalid-value", "STRT"), "Change 'STRT' to 'START'")
    assert "              condition: START\n" in after
    after = await fix(client, uri, BROKEN, the(diags, "unknown-reference", "cahce"), "Change 'cahce' to 'cache'")
    assert "            - containerName: cache\n              condition: STRT" in after
    after = await fix(client, uri, BROKEN, the(diags, "unknown-resource-param"), "Change 'nam' to 'name'")
    assert "value: $ResourceParam('files', 'name')\n" in after
    close_doc(client, uri)


async def test_misnamed_resource_is_renamed_everywhere(client: LanguageClient):
    text = yaml("""
        resources:
          my-queue:
            type: sqs-queue
          worker:
            type: worker-service
            properties:
              packaging: {type: prebuilt-image, properties: {image: w}}
              resources: {cpu: 0.25, memory: 512}
              connectTo: [my-queue]
              environment:
                - name: Q
                  value: $ResourceParam('my-queue', 'url')
    """)
    uri, diags = await open_with_diagnostics(client, text)
    after = await fix(client, uri, text, the(diags, "resource-name"), "Rename 'my-queue' to 'myQueue' (and every reference)")
    assert "my-queue" not in after and after.count("myQueue") == 3
    assert analyze(after).ok
    close_doc(client, uri)


# --- missing properties ---------------------------------------------------------------------------------


async def test_add_missing_required_properties_at_the_right_indentation(client: LanguageClient):
    uri, diags = await open_with_diagnostics(client, BROKEN)
    after = await fix(client, uri, BROKEN, the(diags, "missing-property", "'condition'"), "Add missing 'condition'")
    assert "            - containerName: cache\n              condition: \n          environment:" in after
    close_doc(client, uri)
    text = yaml("""
        resources:
          api:
            type: web-service
            properties:
              resources:
                cpu: 0.25
                memory: 512
              # the image is built from ./app
              port: 3000
          jobs:
            properties: {}
    """)
    uri, diags = await open_with_diagnostics(client, text)
    after = await fix(client, uri, text, the(diags, "missing-property", "'packaging'"), "Add missing 'packaging'")
    assert after == text.replace("      port: 3000\n", "      port: 3000\n      packaging:\n        type: \n")
    after = await fix(client, uri, text, the(diags, "missing-property", "'jobs' has no 'type'"), "Add missing 'type'")
    assert after == text.replace("  jobs:\n    properties: {}", "  jobs:\n    type: \n    properties: {}")
    close_doc(client, uri)


# --- creating what a reference names --------------------------------------------------------------------


async def test_create_a_missing_resource_of_a_fitting_type(client: LanguageClient):
    uri, diags = await open_with_diagnostics(client, BROKEN)
    acts = await actions(client, uri, the(diags, "unknown-reference", "'lb'"))
    assert [a.title for a in acts] == ["Create application-load-balancer 'lb'"]
    after = applied(client, BROKEN, uri, acts[0])
    # appended after the last resource, before the blank line and `scripts:`
    assert "      essential: false\n  lb:\n    type: application-load-balancer\n\nscripts:" in after
    acts = await actions(client, uri, the(diags, "unknown-reference", "'uploads'"))
    # connectable, and the name says bucket; then the existing resources it could have meant
    assert [a.title for a in acts] == ["Create bucket 'uploads'", "Create sqs-queue 'uploads'",
                                       "Create relational-database 'uploads'", "Change 'uploads' to 'files'",
                                       "Change 'uploads' to 'api'"]  # (`jobs` has no valid type yet)
    acts = await actions(client, uri, the(diags, "unknown-reference", "'db'"))
    assert acts[0].title == "Create relational-database 'db'"  # it has a connectionString
    after = applied(client, BROKEN, uri, acts[0])
    assert ("  db:\n    type: relational-database\n    properties:\n      credentials:\n"
            "        masterUserPassword: \n      engine:\n        type: \n") in after
    assert analyze(after).locator is not None
    close_doc(client, uri)


# --- removing an unknown key ----------------------------------------------------------------------------


async def test_remove_an_unknown_key_with_its_whole_block(client: LanguageClient):
    uri, diags = await open_with_diagnostics(client, BROKEN)
    after = await fix(client, uri, BROKEN, the(diags, "unknown-property", "'logs'"), "Remove 'logs'")
    assert after == BROKEN.replace("          logs:\n            retentionDays: 7\n            # keep a week\n", "")
    close_doc(client, uri)


async def test_remove_the_first_key_of_a_list_item(client: LanguageClient):
    text = yaml("""
        resources:
          api:
            type: multi-container-workload
            properties:
              resources: {cpu: 0.25, memory: 512}
              containers:
                - image: nginx
                  name: web
                  packaging: {type: prebuilt-image, properties: {image: nginx}}
    """)
    uri, diags = await open_with_diagnostics(client, text)
    after = await fix(client, uri, text, the(diags, "unknown-property", "'image'"), "Remove 'image'")
    assert "        - name: web\n          packaging:" in after
    assert analyze(after).ok
    close_doc(client, uri)


# --- the request itself ---------------------------------------------------------------------------------


async def test_only_other_kinds_get_nothing(client: LanguageClient):
    uri, diags = await open_with_diagnostics(client, BROKEN)
    assert await actions(client, uri, the(diags, "unknown-resource-type"), only=[types.CodeActionKind.Source]) == []
    assert await actions(client, uri, the(diags, "unknown-resource-type"), only=[types.CodeActionKind.QuickFix])
    close_doc(client, uri)


async def test_a_diagnostic_from_an_older_version_is_matched_by_its_path(client: LanguageClient):
    uri, diags = await open_with_diagnostics(client, BROKEN)
    diag = the(diags, "unknown-resource-type")
    edited = "# a new first line\n" + BROKEN
    change_doc(client, uri, 2, edited)
    acts = await actions(client, uri, diag)  # the client still shows the version-1 range
    assert [a.title for a in acts] == ["Change 'sqs-queu' to 'sqs-queue'"]
    assert "    type: sqs-queue   # where orders wait\n" in applied(client, edited, uri, acts[0])
    close_doc(client, uri)
