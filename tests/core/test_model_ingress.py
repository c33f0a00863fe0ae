"""http-api-gateway, application-load-balancer and network-load-balancer models."""

from __future__ import annotations

import copy

import pytest

from core.analysis import analyze
from core.model.base import ref_types
from core.model.ingress import (
    RESOURCES,
    AlbListener,
    ApplicationLoadBalancer,
    ApplicationLoadBalancerProps,
    HttpApiGateway,
    NetworkLoadBalancer,
)
from core.model.registry import model_for
from core.source.directives import Directive
from tests.conftest import yaml
from tests.core.corpus_support import assert_marked_lines_fail, corpus_resources
from tests.core.model_support import load, validation_errors

INGRESS_TYPES = tuple(RESOURCES)


def _errors(model, body) -> list[tuple[tuple, str]]:
    """(location, error type) of every problem; [] when the body is valid."""
    return [(tuple(e["loc"]), e["type"]) for e in validation_errors(model, body)]


def _nlb(**props) -> dict:
    body = {"type": "network-load-balancer", "properties": {"listeners": [{"port": 8080, "protocol": "TCP"}]}}
    body["properties"].update(copy.deepcopy(props))
    return body


def _alb(**props) -> dict:
    return {"type": "application-load-balancer", "properties": copy.deepcopy(props)}


def _api(**props) -> dict:
    return {"type": "http-api-gateway", "properties": copy.deepcopy(props)}


# --- registration ----------------------------------------------------------------------------------


def test_the_three_types_are_registered():
    assert set(INGRESS_TYPES) == {"http-api-gateway", "application-load-balancer", "network-load-balancer"}
    for rtype, model in RESOURCES.items():
        assert model_for(rtype) is model


# --- the real-world corpus -------------------------------------------------------------------------


@pytest.mark.parametrize("body", corpus_resources(INGRESS_TYPES) or [pytest.param(None, id="no-corpus")])
def test_corpus_ingress_resources_validate(shared, body):
    assert _errors(RESOURCES[body["type"]], body) == []


def test_broken_custom_domain_file_fails_on_every_marked_line(shared):
    assert_marked_lines_fail((shared / "corpus" / "config-errors" / "11-invalid-custom-domain.yml").read_text())


# --- http-api-gateway ------------------------------------------------------------------------------


def test_bare_http_api_gateway_is_valid():
    gw = HttpApiGateway.model_validate({"type": "http-api-gateway"})
    assert gw.properties is None


def test_full_http_api_gateway_validates_with_defaults():
    body = load(
        """
        type: http-api-gateway
        properties:
          payloadFormat: '2.0'
          cors:
            enabled: true
            allowedOrigins: ['https://app.example.com']
            allowedMethods: [GET, POST]
            allowCredentials: true
            maxAge: 600
          customDomains:
            - domainName: api.example.com
            - domainName: $Format('{}.example.com', $Stage())
              disableDnsRecordCreation: true
          logging:
            format: CSV
            logForwarding:
              type: datadog
              properties:
                apiKey: $Secret('datadog.key')
          disabledGlobalAlarms: [api-latency]
        overrides:
          HttpApi:
            Description: patched
        """
    )
    gw = HttpApiGateway.model_validate(body)
    props = gw.properties
    assert props.payloadFormat == "2.0"
    assert props.cors.enabled is True and props.cors.allowedMethods == ["GET", "POST"]
    assert props.logging.format == "CSV"
    assert props.logging.retentionDays == 30  # the gateway's own default, not the 90 days of container logs
    assert props.logging.disabled is False
    assert props.logging.logForwarding.type == "datadog"
    assert isinstance(body["properties"]["customDomains"][1]["domainName"], Directive)
    assert props.customDomains[1].domainName == "$Format('{}.example.com', $Stage())"  # left for deploy time
    assert gw.overrides == {"HttpApi": {"Description": "patched"}}


def test_http_api_logging_defaults_to_json():
    gw = HttpApiGateway.model_validate(_api(logging={"retentionDays": 7}))
    assert gw.properties.logging.format == "JSON"


@pytest.mark.parametrize(
    "props,loc,kind",
    [
        ({"payloadFormat": "3.0"}, ("properties", "payloadFormat"), "literal_error"),
        ({"payloadFormat": 2.0}, ("properties", "payloadFormat"), "literal_error"),
        ({"logging": {"format": "YAML"}}, ("properties", "logging", "format"), "literal_error"),
        ({"logging": {"retentionDays": 31}}, ("properties", "logging", "retentionDays"), "literal_error"),
        ({"cors": {"enabled": True, "allowedOrigins": "*"}}, ("properties", "cors", "allowedOrigins"), "list_type"),
        ({"cors": {"enabled": "yes"}}, ("properties", "cors", "enabled"), "bool_type"),
        ({"useFirewall": "waf"}, ("properties", "useFirewall"), "extra_forbidden"),
        ({"listeners": []}, ("properties", "listeners"), "extra_forbidden"),
        ({"customDomains": [{"domainNme": "api.example.com"}]}, ("properties", "customDomains", 0, "domainName"), "missing"),
        ({"customDomains": [{"domainName": "123.456.789"}]}, ("properties", "customDomains", 0, "domainName"), "invalid_domain_name"),
        ({"customDomains": [{"domainName": "-bad-.example.com"}]}, ("properties", "customDomains", 0, "domainName"), "invalid_domain_name"),
    ],
)
def test_http_api_gateway_rejects(props, loc, kind):
    assert (loc, kind) in _errors(HttpApiGateway, _api(**props))


def test_log_forwarding_variant_is_checked():
    body = _api(logging={"logForwarding": {"type": "highlight", "properties": {}}})
    locs = [loc for loc, kind in _errors(HttpApiGateway, body) if kind == "missing"]
    assert ("properties", "logging", "logForwarding", "highlight", "properties", "projectId") in locs
    bad_tag = _api(logging={"logForwarding": {"type": "splunk", "properties": {}}})
    assert [kind for _, kind in _errors(HttpApiGateway, bad_tag)] == ["union_tag_invalid"]


# --- application-load-balancer ---------------------------------------------------------------------


def test_bare_alb_is_valid_and_public():
    alb = ApplicationLoadBalancer.model_validate({"type": "application-load-balancer"})
    assert alb.properties is None
    assert ApplicationLoadBalancer.model_validate(_alb()).properties.interface == "internet"


def test_full_alb_validates():
    body = load(
        """
        type: application-load-balancer
        properties:
          interface: internal
          customDomains:
            - domainName: lb.example.com
              customCertificateArn: arn:aws:acm:eu-west-1:123456789012:certificate/abc
          listeners:
            - port: 443
              protocol: HTTPS
              customCertificateArns: ['arn:aws:acm:eu-west-1:123456789012:certificate/abc']
              whitelistIps: [203.0.113.0/24]
            - port: 80
              protocol: HTTP
              defaultAction:
                type: redirect
                properties:
                  statusCode: HTTP_301
                  protocol: HTTPS
                  port: 443
                  host: '#{host}'
                  path: /#{path}
                  query: '#{query}'
          useFirewall: appFirewall
          disabledGlobalAlarms: [alb-5xx]
        """
    )
    alb = ApplicationLoadBalancer.model_validate(body)
    redirect = alb.properties.listeners[1].defaultAction
    assert redirect.type == "redirect" and redirect.properties.statusCode == "HTTP_301"
    assert alb.properties.interface == "internal"


def test_alb_port_accepts_a_directive_but_not_quoted_text():
    ok = load(
        """
        type: application-load-balancer
        properties:
          listeners:
            - port: $Var('port')
              protocol: HTTP
        """
    )
    assert _errors(ApplicationLoadBalancer, ok) == []
    bad = _alb(listeners=[{"port": "443", "protocol": "HTTPS"}])
    assert (("properties", "listeners", 0, "port"), "int_type") in _errors(ApplicationLoadBalancer, bad)


@pytest.mark.parametrize(
    "props,loc,kind",
    [
        ({"interface": "public"}, ("properties", "interface"), "literal_error"),
        ({"listeners": [{"port": 443, "protocol": "TLS"}]}, ("properties", "listeners", 0, "protocol"), "literal_error"),
        ({"listeners": [{"protocol": "HTTPS"}]}, ("properties", "listeners", 0, "port"), "missing"),
        ({"listeners": [{"port": 80}]}, ("properties", "listeners", 0, "protocol"), "missing"),
        (
            {"listeners": [{"port": 80, "protocol": "HTTP", "defaultAction": {"type": "redirect", "properties": {"statusCode": "HTTP_307"}}}]},
            ("properties", "listeners", 0, "defaultAction", "properties", "statusCode"),
            "literal_error",
        ),
        (
            {"listeners": [{"port": 80, "protocol": "HTTP", "defaultAction": {"type": "redirect", "properties": {"host": "x.example.com"}}}]},
            ("properties", "listeners", 0, "defaultAction", "properties", "statusCode"),
            "missing",
        ),
        (
            {"listeners": [{"port": 80, "protocol": "HTTP", "defaultAction": {"type": "fixed-response", "properties": {"statusCode": "HTTP_301"}}}]},
            ("properties", "listeners", 0, "defaultAction", "type"),
            "literal_error",
        ),
        ({"cors": {"enabled": True}}, ("properties", "cors"), "extra_forbidden"),
        ({"payloadFormat": "2.0"}, ("properties", "payloadFormat"), "extra_forbidden"),
    ],
)
def test_alb_rejects(props, loc, kind):
    assert (loc, kind) in _errors(ApplicationLoadBalancer, _alb(**props))


def test_alb_rejects_other_type_tag():
    assert ((("type",), "literal_error")) in _errors(ApplicationLoadBalancer, {"type": "network-load-balancer"})


def test_alb_firewall_is_a_reference():
    assert ref_types(ApplicationLoadBalancerProps.model_fields["useFirewall"]) == ("web-app-firewall",)
    assert AlbListener.model_fields["port"].is_required()


# --- network-load-balancer -------------------------------------------------------------------------


def test_nlb_validates_with_defaults():
    nlb = NetworkLoadBalancer.model_validate(
        _nlb(
            listeners=[
                {"port": 5432, "protocol": "TCP", "whitelistIps": ["10.0.0.0/8"]},
                {"port": 443, "protocol": "TLS", "customCertificateArns": ["arn:aws:acm:us-east-1:123456789012:certificate/x"]},
            ],
            customDomains=[{"domainName": "tcp.example.com"}],
        )
    )
    assert nlb.properties.interface == "internet"
    assert [listener.protocol for listener in nlb.properties.listeners] == ["TCP", "TLS"]


def test_nlb_needs_properties_and_listeners():
    assert ((("properties",), "missing")) in _errors(NetworkLoadBalancer, {"type": "network-load-balancer"})
    no_listeners = {"type": "network-load-balancer", "properties": {"interface": "internal"}}
    assert ((("properties", "listeners"), "missing")) in _errors(NetworkLoadBalancer, no_listeners)


@pytest.mark.parametrize(
    "props,loc,kind",
    [
        ({"listeners": [{"port": 80, "protocol": "HTTP"}]}, ("properties", "listeners", 0, "protocol"), "literal_error"),
        ({"listeners": [{"port": 80, "protocol": "UDP"}]}, ("properties", "listeners", 0, "protocol"), "literal_error"),
        ({"listeners": [{"port": 80, "protocol": "TCP", "defaultAction": {}}]}, ("properties", "listeners", 0, "defaultAction"), "extra_forbidden"),
        ({"interface": "private"}, ("properties", "interface"), "literal_error"),
        ({"useFirewall": "waf"}, ("properties", "useFirewall"), "extra_forbidden"),
        ({"alarms": []}, ("properties", "alarms"), "extra_forbidden"),
        ({"cdn": {"enabled": True}}, ("properties", "cdn"), "extra_forbidden"),
    ],
)
def test_nlb_rejects(props, loc, kind):
    assert (loc, kind) in _errors(NetworkLoadBalancer, _nlb(**props))


# --- through the analysis: errors land on the right lines -----------------------------------------


def test_analysis_reports_ingress_errors_on_their_lines():
    text = yaml(
        """
        resources:
          api:
            type: http-api-gateway
            properties:
              logging:
                format: YAML
          lb:
            type: application-load-balancer
            properties:
              listeners:
                - port: 80
                  protocoll: HTTP
          tcp:
            type: network-load-balancer
            properties:
              interface: internal
        """
    )
    analysis = analyze(text, strict=True)
    by_line = {d.span.line: d for d in analysis.errors}
    lines = [line.strip() for line in text.splitlines()]
    assert by_line[lines.index("format: YAML")].code == "invalid-value"
    assert by_line[lines.index("protocoll: HTTP")].code == "unknown-property"
    assert any(d.code == "missing-property" and "listeners" in d.message for d in analysis.errors)
    assert not [d for d in analysis.diagnostics if d.code == "unmodelled-resource-type"]
