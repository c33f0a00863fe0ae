"""Hover: field docs on keys, meanings of values, type summaries, directives, names and cost."""

from __future__ import annotations

from lsprotocol import types
from pytest_lsp import LanguageClient

from core.model.workloads import (
    ContainerDependency,
    HttpApiEvent,
    WorkloadResources,
    WorkloadScaling,
)
from tests.lsp.lsp_support import (
    close_doc,
    doc_id,
    open_doc,
    open_example,
    pos,
    rng,
    yaml,
)

CONFIG = yaml("""
    variables:
      region: eu-west-1
    resources:
      jobs:
        type: sqs-queue
        properties:
          visibilityTimeoutSeconds: 60
      api:
        type: web-service
        properties:
          packaging:
            type: prebuilt-image
            properties:
              image: nginx
          resources:
            cpu: 1
            memory: 2048
          scaling:
            minInstances: 2
            maxInstances: 2
          connectTo:
            - jobs
          environment:
            - name: QUEUE
              value: $ResourceParam('jobs', 'url')
            - name: TOKEN
              value: $Secret('api.token')
            - name: WHERE
              value: $Var('region')
          sideContainers:
            - name: agent
              containerType: always-running
              packaging:
                type: prebuilt-image
                properties:
                  image: datadog/agent
      batch:
        type: worker-service
        properties:
          packaging: {type: prebuilt-image, properties: {image: worker}}
          resources:
            instanceTypes: [c5.large]
""")


async def hover_at(client: LanguageClient, uri: str, position: types.Position) -> types.Hover | None:
    return await client.text_document_hover_async(types.HoverParams(text_document=doc_id(uri), position=position))


async def hover_text(client, uri, text, needle, nth=0, offset=1) -> tuple[str, types.Range]:
    h = await hover_at(client, uri, pos(client, text, needle, nth, offset))
    assert h is not None, f"no hover on {needle!r}"
    assert h.contents.kind == types.MarkupKind.Markdown
    return h.contents.value, h.range


async def test_key_shows_field_description_type_and_requiredness(client: LanguageClient):
    uri = open_doc(client, CONFIG)
    text, r = await hover_text(client, uri, CONFIG, "memory")
    assert text.startswith("**memory** · whole number · optional")
    assert WorkloadResources.model_fields["memory"].description in text
    assert r == rng(client, CONFIG, "memory")

    text, _ = await hover_text(client, uri, CONFIG, "cpu")
    assert "one of `0.25`, `0.5`, `1`, `2`, `4`, `8`, `16`" in text.splitlines()[0]

    text, _ = await hover_text(client, uri, CONFIG, "maxInstances")
    assert WorkloadScaling.model_fields["maxInstances"].description in text

    text, _ = await hover_text(client, uri, CONFIG, "image:")
    assert text.startswith("**image** ·") and "required" in text.splitlines()[0]
    close_doc(client, uri)


async def test_enum_value_shows_its_meaning_and_the_allowed_values(client: LanguageClient):
    example_uri, example = open_example(client, "api-with-sidecar")
    text, r = await hover_text(client, example_uri, example, "START")
    assert r == rng(client, example, "START")
    assert "`START` once the other has started." in text
    assert "Allowed values: **`START`**, `COMPLETE`, `SUCCESS`, `HEALTHY`" in text
    assert "`START`" in ContainerDependency.model_fields["condition"].description

    # a union's `type:` value: what that variant is
    text, _ = await hover_text(client, example_uri, example, "http-api-gateway", nth=1)
    assert HttpApiEvent.model_fields["type"].description in text
    assert "**`http-api-gateway`**" in text and "`workload-internal`" in text
    close_doc(client, example_uri)


async def test_resource_type_value_summarises_the_type(client: LanguageClient):
    uri = open_doc(client, CONFIG)
    text, r = await hover_text(client, uri, CONFIG, "sqs-queue")
    assert r == rng(client, CONFIG, "sqs-queue")
    assert text.startswith("**sqs-queue** · resource type")
    assert "Parameters (for `$ResourceParam`" in text
    assert "- `url` ✓: Queue URL, used to send and receive messages." in text
    close_doc(client, uri)


async def test_container_workload_shows_estimated_fargate_cost(client: LanguageClient):
    uri = open_doc(client, CONFIG)
    # on the name: 1 vCPU, 2 GB, 2 instances
    text, r = await hover_text(client, uri, CONFIG, "api:")
    assert r == rng(client, CONFIG, "api")
    assert text.startswith("**api** · `web-service` — line 8")
    per_hour = 1 * 0.04048 + 2 * 0.004445
    assert f"**Estimated Fargate cost:** {per_hour * 730:,.2f} USD/month per instance (1 vCPU, 2 GB)" in text
    assert "2 instances: **72.08 USD/month**" in text
    assert "us-east-1, Linux/x86, 0.04048 USD per vCPU-hour and 0.004445 USD per GB-hour, 730 hours a month" in text
    # on the type, too
    text, _ = await hover_text(client, uri, CONFIG, "web-service")
    assert "**Estimated Fargate cost:** 36.04 USD/month per instance" in text
    # EC2 capacity: no Fargate price
    text, _ = await hover_text(client, uri, CONFIG, "batch:")
    assert "Runs on EC2 instances (`instanceTypes`), so the Fargate price does not apply." in text
    close_doc(client, uri)


async def test_example_workload_cost_over_its_scaling_range(client: LanguageClient):
    uri, example = open_example(client, "api-with-sidecar")
    text, _ = await hover_text(client, uri, example, "api:")
    # 0.5 vCPU × 0.04048 + 1 GB × 0.004445 = 0.024685 USD/h → 18.02 USD a month, 1 to 3 instances
    assert "18.02 USD/month per instance (0.5 vCPU, 1 GB)" in text
    assert "1–3 instances: **18.02 USD – 54.06 USD/month**" in text
    assert "0.5 × 0.04048 + 1 × 0.004445 = 0.024685 USD per instance-hour" in text
    close_doc(client, uri)


async def test_references_show_the_target_resource(client: LanguageClient):
    uri = open_doc(client, CONFIG)
    text, r = await hover_text(client, uri, CONFIG, "- jobs", offset=3)
    assert r == rng(client, CONFIG, "jobs", nth=1)
    assert text.startswith("**jobs** · `sqs-queue` — line 4")
    assert "- `visibilityTimeoutSeconds`: 60" in text

    example_uri, example = open_example(client, "canary-alb")
    text, _ = await hover_text(client, example_uri, example, "loadBalancerName: loadBalancer", offset=20)
    assert text.startswith("**loadBalancer** · `application-load-balancer` — line 7")
    close_doc(client, example_uri)

    example_uri, example = open_example(client, "api-with-sidecar")
    text, r = await hover_text(client, example_uri, example, "containerName: cache", offset=16)
    assert r == rng(client, example, "cache", within="containerName: cache")
    assert text.startswith("**cache** · container of `api` — line 49")
    assert "- packaging: prebuilt-image `public.ecr.aws/docker/library/redis:7-alpine`" in text
    assert "- event: workload-internal → port 6379" in text
    close_doc(client, example_uri)
    close_doc(client, uri)


async def test_directives(client: LanguageClient):
    uri = open_doc(client, CONFIG)
    text, r = await hover_text(client, uri, CONFIG, "$Secret")
    assert r == rng(client, CONFIG, "$Secret")
    assert text.startswith("**$Secret(secret name, optionally with a JSON key: 'name.key')** · directive")
    assert "AWS Secrets Manager" in text

    text, _ = await hover_text(client, uri, CONFIG, "$ResourceParam")
    assert text.startswith("**$ResourceParam(resource name, parameter name)** · directive")

    # first argument: the resource; second: the parameter
    text, r = await hover_text(client, uri, CONFIG, "'jobs'", offset=2)
    assert r == rng(client, CONFIG, "jobs", nth=2)
    assert text.startswith("**jobs** · `sqs-queue` — line 4")
    text, r = await hover_text(client, uri, CONFIG, "'url'", offset=2)
    assert r == rng(client, CONFIG, "url", nth=0)
    assert text == ("**url** · parameter of `jobs` (sqs-queue)\n\nQueue URL, used to send and receive messages."
                    "\n\nAlso injected by `connectTo` as `STP_JOBS_URL`.")

    text, _ = await hover_text(client, uri, CONFIG, "'region'", offset=2)
    assert text == "**region** · variable — line 2\n\nValue: `eu-west-1`"
    close_doc(client, uri)


async def test_nothing_to_say(client: LanguageClient):
    text = yaml("""
        resources:
          api:
            type: web-service
            properties:
              colour: blue
    """)
    uri = open_doc(client, text)
    assert await hover_at(client, uri, pos(client, text, "colour")) is None  # unknown key: the diagnostic says it
    assert await hover_at(client, uri, pos(client, text, "    type", offset=1)) is None  # indentation
    close_doc(client, uri)


def test_plain_text_for_clients_without_markdown():
    from core.analysis import analyze
    from stp_lsp.documents import ClientInfo, Snapshot
    from stp_lsp.hover import hover

    snap = Snapshot("file:///w/stacktape.yml", 1, 0, CONFIG, analyze(CONFIG), client=ClientInfo(markdown=False))
    line = CONFIG.splitlines().index("        memory: 2048")
    h = hover(snap, types.HoverParams(text_document=doc_id(snap.uri), position=types.Position(line=line, character=9)))
    assert h.contents.kind == types.MarkupKind.PlainText
    assert h.contents.value.startswith("memory · whole number · optional\n\nMemory in MiB")


async def test_enum_items_of_lists_and_values_that_are_not_allowed(client: LanguageClient):
    text = yaml("""
        resources:
          gw:
            type: http-api-gateway
            properties:
              cors:
                enabled: true
                allowedMethods: [GET, PUTT]
    """)
    uri = open_doc(client, text)
    value, r = await hover_text(client, uri, text, "GET")
    assert r == rng(client, text, "GET")
    assert value.startswith("**allowedMethods**: `GET`") and "**`GET`**" in value
    value, _ = await hover_text(client, uri, text, "PUTT")
    assert "`PUTT` is not one of the allowed values." in value and "`PUT`" in value
    close_doc(client, uri)
