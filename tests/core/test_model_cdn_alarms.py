"""CDN and alarm models as a user meets them: real configs analyse clean, mistakes land on the right key."""

from __future__ import annotations

import textwrap


from core.analysis import analyze
from core.model.alarms import (
    AlbAlarm,
    FunctionAlarm,
    HttpApiGatewayAlarm,
    RelationalDatabaseAlarm,
    SqsQueueAlarm,
    WebServiceAlarm,
)
from core.model.cdn import AlbCdnConfig, BucketCdnConfig, CdnConfig
from tests.conftest import yaml
from tests.core.model_support import analysis_errors, validation_errors

SERVICE = """\
resources:
  api:
    type: web-service
    properties:
      packaging:
        type: prebuilt-image
        properties:
          image: nginx
      resources:
        cpu: 0.25
        memory: 512
"""

FULL = SERVICE + """\
      cdn:
        enabled: true
        cloudfrontPriceClass: PriceClass_100
        defaultRoutePrefix: /app
        errorDocument: /error.html
        disableInvalidationAfterDeploy: true
        useFirewall: edgeWaf
        customDomains:
          - domainName: www.example.com
        cachingOptions:
          cacheMethods: [GET, HEAD]
          minTTL: 0
          defaultTTL: 60
          maxTTL: 3600
          cacheKeyParameters:
            cookies:
              none: true
            headers:
              whitelist: [Accept-Language]
            queryString:
              all: true
        forwardingOptions:
          allowedMethods: [GET, HEAD, OPTIONS, PUT, PATCH, POST, DELETE]
          customRequestHeaders:
            - headerName: X-From-Cdn
              value: $Secret('cdn.marker')
          headers:
            allViewerAndWhitelistCloudFront: [CloudFront-Viewer-Country]
        edgeFunctions:
          onRequest: authAtEdge
        routeRewrites:
          - path: /static/*
            routeTo:
              type: bucket
              properties:
                bucketName: assets
          - path: /legacy/*
            routePrefix: /v1
            routeTo:
              type: custom-origin
              properties:
                domainName: legacy.example.com
          - path: /reports/*
            cachingOptions:
              cachePolicyId: 658327ea-f89d-4fab-a63d-7e88639e58f6
      alarms:
        - description: Too many failed requests
          trigger:
            type: http-api-gateway-error-rate
            properties:
              thresholdPercent: 5
          evaluation:
            period: 300
            evaluationPeriods: 5
            breachedPeriods: 3
          notificationTargets:
            - type: slack
              properties:
                conversationId: C0123456789
                accessToken: $Secret('slack.token')
            - type: email
              properties:
                sender: alerts@example.com
                recipient: oncall@example.com
            - type: webhook
              properties:
                url: https://hooks.example.com/alarm
                headers:
                  X-Team: platform
        - trigger:
            type: http-api-gateway-latency
            properties:
              thresholdMilliseconds: $Var('latencyMs')
              statistic: p95
          includeInHistory: false
  assets:
    type: bucket
  authAtEdge:
    type: edge-lambda-function
    properties: {}
  edgeWaf:
    type: web-app-firewall
    properties:
      scope: cdn
      defaultAction: Allow
      rules: []
variables:
  latencyMs: 800
"""


def _at(text: str, line_text: str):
    """Errors reported on the first line holding ``line_text``."""
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line_text in line)
    return [d for d in analysis_errors(text) if d.span.line == index]


def _service_with(extra: str) -> str:
    """SERVICE with more properties (written at any indentation) added to the web-service."""
    return SERVICE + textwrap.indent(yaml(extra), " " * 6)


def _model_errors(model, body) -> list[tuple[tuple, str]]:
    return [(tuple(step for step in e["loc"] if not (isinstance(step, str) and "-" in step)), e["type"])
            for e in validation_errors(model, body)]


# --- valid configs ------------------------------------------------------------------------------


def test_web_service_with_cdn_and_alarms_analyses_clean():
    analysis = analyze(FULL, strict=True)
    assert analysis.errors == []
    assert {d.code for d in analysis.diagnostics} <= {"unmodelled-resource-type"}


def test_defaults_are_filled_in():
    cdn = CdnConfig.model_validate({"enabled": True})
    assert cdn.cloudfrontPriceClass == "PriceClass_All"
    assert cdn.indexDocument == "/index.html"
    assert cdn.errorDocument is None  # only a bucket falls back to /404.html
    assert BucketCdnConfig.model_validate({"enabled": True}).errorDocument == "/404.html"
    alarm = RelationalDatabaseAlarm.model_validate(
        {"trigger": {"type": "database-free-storage", "properties": {"thresholdMB": 2048}}, "evaluation": {}}
    )
    assert alarm.includeInHistory is True
    assert (alarm.evaluation.period, alarm.evaluation.evaluationPeriods, alarm.evaluation.breachedPeriods) == (60, 1, 1)
    # free space is judged by its minimum and alarms when it falls below the threshold
    assert alarm.trigger.properties.statistic == "min"
    assert alarm.trigger.properties.comparisonOperator == "LessThanThreshold"
    cpu = RelationalDatabaseAlarm.model_validate({"trigger": {"type": "database-cpu-utilization", "properties": {"thresholdPercent": 80}}})
    assert (cpu.trigger.properties.statistic, cpu.trigger.properties.comparisonOperator) == ("avg", "GreaterThanThreshold")


def test_every_alarm_family_accepts_its_own_triggers():
    cases = [
        (HttpApiGatewayAlarm, {"type": "http-api-gateway-latency", "properties": {"thresholdMilliseconds": 300}}),
        (AlbAlarm, {"type": "application-load-balancer-unhealthy-targets",
                    "properties": {"thresholdPercent": 50, "onlyIncludeTargets": ["api"]}}),
        (AlbAlarm, {"type": "application-load-balancer-custom",
                    "properties": {"metric": "TargetResponseTime", "threshold": 1.5, "statistic": "p99"}}),
        (SqsQueueAlarm, {"type": "sqs-queue-not-empty"}),
        (SqsQueueAlarm, {"type": "sqs-queue-received-messages-count", "properties": {"thresholdCount": 1000}}),
        (FunctionAlarm, {"type": "lambda-error-rate", "properties": {"thresholdPercent": 1}}),
        (FunctionAlarm, {"type": "lambda-duration", "properties": {"thresholdMilliseconds": 5000}}),
        (RelationalDatabaseAlarm, {"type": "database-read-latency", "properties": {"thresholdSeconds": 0.05}}),
        (RelationalDatabaseAlarm, {"type": "database-connection-count", "properties": {"thresholdCount": 90}}),
        (WebServiceAlarm, {"type": "application-load-balancer-error-rate", "properties": {"thresholdPercent": 2}}),
    ]
    for model, trigger in cases:
        assert _model_errors(model, {"trigger": trigger}) == [], trigger["type"]


def test_alb_and_bucket_cdn_extras():
    alb = AlbCdnConfig.model_validate({"enabled": True, "listenerPort": 8443, "originDomainName": "lb.example.com"})
    assert alb.listenerPort == 8443
    bucket = BucketCdnConfig.model_validate({"enabled": True, "rewriteRoutesForSinglePageApp": True})
    assert bucket.rewriteRoutesForSinglePageApp is True and bucket.disableUrlNormalization is False
    assert ("listenerPort",) in [loc for loc, _ in _model_errors(CdnConfig, {"enabled": True, "listenerPort": 80})]
    assert ("rewriteRoutesForSinglePageApp",) in [
        loc for loc, _ in _model_errors(AlbCdnConfig, {"enabled": True, "rewriteRoutesForSinglePageApp": True})
    ]


def test_alb_service_takes_load_balancer_alarms_and_cdn():
    text = _service_with(
        """
              loadBalancing:
                type: application-load-balancer
              cdn:
                enabled: true
              alarms:
                - trigger:
                    type: application-load-balancer-unhealthy-targets
                    properties:
                      thresholdPercent: 50
        """
    )
    assert analysis_errors(text) == []


# --- mistakes, reported where they are ---------------------------------------------------------------


def test_wrong_price_class_is_reported_with_a_suggestion():
    text = FULL.replace("PriceClass_100", "PriceClass_101")
    [d] = _at(text, "cloudfrontPriceClass")
    assert d.code == "invalid-value" and "PriceClass_100" in d.message
    assert d.path == ("resources", "api", "properties", "cdn", "cloudfrontPriceClass")


def test_unknown_cdn_key_is_reported_with_a_suggestion():
    text = FULL.replace("disableInvalidationAfterDeploy", "disableInvalidation")
    [d] = _at(text, "disableInvalidation:")
    assert d.code == "unknown-property" and "disableInvalidationAfterDeploy" in d.message


def test_trigger_of_another_resource_type_is_an_unknown_trigger_type():
    text = FULL.replace("type: http-api-gateway-error-rate", "type: lambda-error-rate")
    [d] = _at(text, "type: lambda-error-rate")
    assert d.code == "invalid-type-name"
    assert d.path == ("resources", "api", "properties", "alarms", 0, "trigger", "type")
    assert "http-api-gateway-error-rate" in d.data["allowed"] and "lambda-error-rate" not in d.data["allowed"]


def test_misspelt_trigger_type_gets_a_suggestion():
    text = FULL.replace("type: http-api-gateway-latency", "type: http-api-gateway-latancy")
    [d] = _at(text, "http-api-gateway-latancy")
    assert d.data["replace_with"] == ["http-api-gateway-latency"]


def test_trigger_must_fit_what_fronts_the_service():
    text = FULL.replace("type: http-api-gateway-error-rate", "type: application-load-balancer-error-rate")
    [d] = _at(text, "type: application-load-balancer-error-rate")
    assert "HTTP API Gateway" in d.message and "http-api-gateway-error-rate" in d.message


def test_network_load_balancer_takes_neither_cdn_nor_alarms():
    text = _service_with(
        """
              loadBalancing:
                type: network-load-balancer
                properties:
                  ports: [{port: 443}]
              cdn:
                enabled: true
              alarms:
                - trigger:
                    type: http-api-gateway-latency
                    properties:
                      thresholdMilliseconds: 500
        """
    )
    paths = {d.path[-1]: d.message for d in analysis_errors(text)}
    assert set(paths) == {"cdn", "alarms"}
    assert "network load balancer" in paths["cdn"]
    assert analysis_errors(text.replace("enabled: true", "enabled: false").split("      alarms:")[0]) == []


def test_trigger_threshold_and_properties_are_checked():
    text = FULL.replace("thresholdPercent: 5", "thresholdPercent: 150")
    [d] = _at(text, "thresholdPercent: 150")
    assert "at most 100" in d.message
    text = FULL.replace("thresholdPercent: 5", "threshold: 5")
    kinds = {d.code for d in analysis_errors(text)}
    assert kinds == {"unknown-property", "missing-property"}
    assert _model_errors(SqsQueueAlarm, {"trigger": {"type": "sqs-queue-not-empty", "properties": {}}}) == [
        (("trigger", "properties"), "extra_forbidden")
    ]
    bad_metric = {"type": "application-load-balancer-custom", "properties": {"metric": "CPUUtilization", "threshold": 1}}
    assert _model_errors(AlbAlarm, {"trigger": bad_metric}) == [(("trigger", "properties", "metric"), "literal_error")]


def test_evaluation_period_and_breached_periods():
    text = FULL.replace("period: 300", "period: 90")
    [d] = _at(text, "period: 90")
    assert "multiple of 60" in d.message
    text = FULL.replace("breachedPeriods: 3", "breachedPeriods: 6")
    [d] = _at(text, "breachedPeriods: 6")
    assert d.path[-1] == "breachedPeriods" and "evaluationPeriods" in d.message
    assert analysis_errors(FULL.replace("period: 300", "period: $Var('latencyMs')")) == []  # directives are not judged


def test_notification_targets_are_a_union_on_type():
    text = FULL.replace("- type: slack", "- type: pagerduty")
    [d] = _at(text, "type: pagerduty")
    assert d.code == "invalid-type-name" and "ms-teams" in d.data["allowed"]
    text = FULL.replace("                recipient: oncall@example.com\n", "")
    [d] = [d for d in analysis_errors(text) if d.code == "missing-property"]
    assert d.data["missing"] == "recipient"


def test_behaviour_selectors_take_exactly_one_key():
    text = FULL.replace("              none: true", "              none: true\n              all: true")
    [d] = _at(text, "              all: true")
    assert d.path[-1] == "all" and "'none' is already set" in d.message
    errs = _model_errors(CdnConfig, {"enabled": True, "forwardingOptions": {"queryString": {}}})
    assert errs == [(("forwardingOptions", "queryString"), "value_error")]


def test_ttls_and_ready_made_policies():
    text = FULL.replace("defaultTTL: 60", "defaultTTL: 7200")
    [d] = _at(text, "defaultTTL: 7200")
    assert "maxTTL" in d.message
    body = {"enabled": True, "cachingOptions": {"cachePolicyId": "abc", "maxTTL": 10, "disableCompression": True}}
    assert _model_errors(CdnConfig, body) == [(("cachingOptions", "maxTTL"), "invalid_setting")]
    body = {"enabled": True, "forwardingOptions": {"originRequestPolicyId": "abc", "cookies": {"all": True}}}
    assert _model_errors(CdnConfig, body) == [(("forwardingOptions", "cookies"), "invalid_setting")]


def test_cloudfront_method_sets():
    def errs(caching, forwarding):
        return _model_errors(CdnConfig, {"enabled": True, "cachingOptions": caching, "forwardingOptions": forwarding})

    assert errs({"cacheMethods": ["GET", "HEAD"]}, {"allowedMethods": ["GET", "HEAD"]}) == []
    assert errs({}, {"allowedMethods": ["GET", "POST"]}) == [(("forwardingOptions", "allowedMethods"), "invalid_setting")]
    assert errs({"cacheMethods": ["GET"]}, {}) == [(("cachingOptions", "cacheMethods"), "invalid_setting")]
    assert errs({"cacheMethods": ["GET", "HEAD", "OPTIONS"]}, {"allowedMethods": ["GET", "HEAD"]}) == [
        (("cachingOptions", "cacheMethods"), "invalid_setting")
    ]
    assert errs({}, {"allowedMethods": ["GET", "HEAD", "TRACE"]}) == [(("forwardingOptions", "allowedMethods", 2), "literal_error")]


def test_route_rewrite_targets_are_checked():
    text = FULL.replace("bucketName: assets", "bucketName: asets")
    [d] = _at(text, "bucketName: asets")
    assert d.code == "unknown-reference" and "assets" in d.message
    text = FULL.replace("type: custom-origin", "type: website")
    [d] = _at(text, "type: website")
    assert d.code == "invalid-type-name" and "custom-origin" in d.data["allowed"]
    text = FULL.replace("      - path: /static/*", "      - pattern: /static/*")
    codes = {d.code for d in _at(text, "pattern: /static/*")}
    assert "unknown-property" in codes


def test_edge_function_and_firewall_names_are_references():
    text = FULL.replace("onRequest: authAtEdge", "onRequest: assets")
    [d] = _at(text, "onRequest: assets")
    assert d.code == "wrong-reference-type" and "edge-lambda-function" in d.message
    text = FULL.replace("useFirewall: edgeWaf", "useFirewall: edgeWAF")
    [d] = _at(text, "useFirewall: edgeWAF")
    assert d.code == "unknown-reference"


def test_database_alarms_reject_other_families():
    body = {"trigger": {"type": "lambda-duration", "properties": {"thresholdMilliseconds": 10}}}
    assert _model_errors(RelationalDatabaseAlarm, body) == [(("trigger",), "union_tag_invalid")]
    assert _model_errors(RelationalDatabaseAlarm, {"trigger": {"type": "database-free-memory", "properties": {}}}) == [
        (("trigger", "properties", "thresholdMB"), "missing")
    ]
