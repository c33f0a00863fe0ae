"""Ingress: what receives traffic from outside and hands it to workloads and functions.

`http-api-gateway` is a pay-per-request HTTP front door; `application-load-balancer`
routes HTTP(S) by path, host, header…; `network-load-balancer` passes raw TCP/TLS
connections. Routes and target ports are declared on the receiving side (container
or function `events`), not here — these resources only describe the entry point.
"""

from __future__ import annotations

from typing import Literal

from core.model.alarms import AlbAlarm, HttpApiGatewayAlarm
from core.model.base import Bool, F, Int, OneOf, StpModel, Str
from core.model.cdn import AlbCdnConfig, CdnConfig
from core.model.common import Cors, CustomDomain, LogForwarding, RetentionDays, retention_days
from core.model.workloads import _Resource

LB_INTERFACES = ("internet", "internal")


# --- http-api-gateway ------------------------------------------------------------------------------


class HttpApiAccessLogging(StpModel):
    """Access log of the gateway: one entry per request, written to CloudWatch."""

    disabled: Bool = F("Do not record access logs at all (no log group is created). Default: false.", False)
    format: OneOf("CLF", "JSON", "XML", "CSV") = F(
        "Layout of each access-log entry: `JSON` (default), `CLF` (Common Log Format), `XML` or `CSV`.", "JSON"
    )
    retentionDays: RetentionDays = retention_days(
        "How many days CloudWatch keeps the access-log entries before deleting them.", 30
    )
    logForwarding: LogForwarding | None = F(
        "Additionally stream every access-log entry to an outside service (an HTTPS endpoint, Datadog or Highlight)"
        " via Kinesis Data Firehose.",
        None,
    )


class HttpApiGatewayProps(StpModel):
    cors: Cors | None = F(
        "Let browsers on other origins call the API: the gateway answers pre-flight requests itself and adds the"
        " CORS headers. Off unless `enabled: true`.",
        None,
    )
    customDomains: list[CustomDomain] | None = F(
        "Your own domain names for the API (a TLS certificate and DNS record are set up for each). Without one the"
        " API is reachable only on its generated `execute-api` address.",
        None,
    )
    payloadFormat: OneOf("1.0", "2.0") | None = F(
        "Gateway-wide shape of the event passed to integrations: `1.0` (the layout REST APIs use) or `2.0` (the"
        " newer, flatter layout). Applies to every integration that does not pick a format itself.",
        None,
    )
    logging: HttpApiAccessLogging | None = F(
        "Request access logs of the gateway: whether they are kept, their format, for how long and where else they go.",
        None,
    )
    cdn: CdnConfig | None = F(
        "Serve the API through a CloudFront distribution (edge caching, custom domains at the edge, route rewrites).",
        None,
    )
    alarms: list[HttpApiGatewayAlarm] | None = F(
        "Alarms on the gateway's error rate or latency, and who gets notified. They come on top of alarms defined"
        " globally for the account.",
        None,
    )
    disabledGlobalAlarms: list[Str] | None = F(
        "Names of globally defined alarms that should not be applied to this gateway.", None
    )


class HttpApiGateway(_Resource):
    type: Literal["http-api-gateway"] = F(
        "An AWS HTTP API: a managed, pay-per-request HTTPS entry point that forwards requests to functions and"
        " containers (they attach themselves with `http-api-gateway` events)."
    )
    properties: HttpApiGatewayProps | None = F(
        "CORS, custom domains, access logs, CDN and alarms of the gateway. All optional.", None
    )


# --- application-load-balancer ---------------------------------------------------------------------


class AlbRedirectProps(StpModel):
    statusCode: OneOf("HTTP_301", "HTTP_302") = F(
        "HTTP status of the redirect answer: `HTTP_301` (moved permanently) or `HTTP_302` (found, temporary)."
    )
    protocol: OneOf("HTTP", "HTTPS") | None = F(
        "Protocol of the target URL, `HTTP` or `HTTPS`; going from HTTPS down to HTTP is not possible. Not set: the"
        " protocol of the original request.",
        None,
    )
    host: Str | None = F(
        "Host name of the target URL, not percent-encoded. Not set: the original host. Parts of the request can be"
        " reused with `#{host}`, `#{path}`, `#{port}`, `#{query}` and `#{protocol}`, e.g. `www.#{host}`.",
        None,
    )
    port: Int | None = F("Port of the target URL (1-65535). Not set: the original port.", None)
    path: Str | None = F(
        "Absolute path of the target URL, starting with `/` and not percent-encoded, e.g. `/v2/#{path}`. Not set:"
        " the original path.",
        None,
    )
    query: Str | None = F(
        "Query string of the target URL without the leading `?`, e.g. `#{query}&from=old`. Not set: the original"
        " query.",
        None,
    )


class AlbRedirectAction(StpModel):
    type: Literal["redirect"] = F("Answer requests that match no rule with an HTTP redirect.")
    properties: AlbRedirectProps = F("Where to redirect to and with which status code.")


class AlbListener(StpModel):
    port: Int = F("Port the load balancer accepts connections on, e.g. 443 or 80 (1-65535).")
    protocol: OneOf("HTTP", "HTTPS") = F(
        "`HTTPS` (TLS is terminated at the load balancer with the certificates of the custom domains or"
        " `customCertificateArns`) or plain `HTTP`."
    )
    customCertificateArns: list[Str] | None = F(
        "ARNs of ACM certificates the listener presents, in addition to or instead of those created for the"
        " custom domains. HTTPS listeners only.",
        None,
    )
    whitelistIps: list[Str] | None = F(
        "Client addresses or CIDR ranges (e.g. `203.0.113.0/24`) allowed to connect to this listener. Not set:"
        " every address may connect.",
        None,
    )
    defaultAction: AlbRedirectAction | None = F(
        "What the listener does with requests that no routing rule (container or function event) matches. The only"
        " action available is `redirect`, e.g. to send plain-HTTP visitors to the HTTPS listener.",
        None,
    )


class ApplicationLoadBalancerProps(StpModel):
    interface: OneOf(*LB_INTERFACES) = F(
        "`internet` (default): reachable from the public internet; `internal`: only from inside the stack's VPC.",
        "internet",
    )
    customDomains: list[CustomDomain] | None = F(
        "Your own domain names for the load balancer; certificates and DNS records are created for them.", None
    )
    listeners: list[AlbListener] | None = F(
        "Ports and protocols the load balancer listens on. Not set: HTTPS on 443 plus HTTP on 80 that redirects to"
        " HTTPS. Workloads that set custom listeners must name the `listenerPort` in their events.",
        None,
    )
    useFirewall: Str | None = F(
        "Name of a `web-app-firewall` resource whose rules filter requests before they reach the load balancer.",
        None,
        ref="web-app-firewall",
    )
    cdn: AlbCdnConfig | None = F(
        "Put a CloudFront distribution in front of the load balancer (edge caching, route rewrites).", None
    )
    alarms: list[AlbAlarm] | None = F(
        "Alarms on the load balancer's metrics (error rate, unhealthy targets or any custom metric) and who gets"
        " notified. They add to alarms defined globally for the account.",
        None,
    )
    disabledGlobalAlarms: list[Str] | None = F(
        "Names of globally defined alarms that should not be applied to this load balancer.", None
    )


class ApplicationLoadBalancer(_Resource):
    type: Literal["application-load-balancer"] = F(
        "An AWS Application Load Balancer: HTTP/HTTPS entry point with a flat hourly price that spreads requests"
        " over containers and functions by path, host, header, method, query or source IP rules."
    )
    properties: ApplicationLoadBalancerProps | None = F(
        "Exposure, listeners, custom domains, firewall, CDN and alarms. All optional.", None
    )


# --- network-load-balancer -------------------------------------------------------------------------


class NlbListener(StpModel):
    port: Int = F("Port the load balancer accepts connections on (1-65535). Workloads refer to it as `listenerPort`.")
    protocol: OneOf("TCP", "TLS") = F(
        "`TLS` (encryption is terminated at the load balancer with the custom domains' or the given certificates)"
        " or `TCP` (bytes are passed through untouched)."
    )
    customCertificateArns: list[Str] | None = F(
        "ARNs of ACM certificates the listener presents, besides those created for the custom domains. TLS"
        " listeners only.",
        None,
    )
    whitelistIps: list[Str] | None = F(
        "Client addresses or CIDR ranges allowed to connect to this listener. Not set: every address may connect.",
        None,
    )


class NetworkLoadBalancerProps(StpModel):
    interface: OneOf(*LB_INTERFACES) = F(
        "`internet` (default): reachable from the public internet; `internal`: only from inside the stack's VPC.",
        "internet",
    )
    customDomains: list[CustomDomain] | None = F(
        "Your own domain names for the load balancer; certificates (for TLS listeners) and DNS records are created.",
        None,
    )
    listeners: list[NlbListener] = F(
        "Ports and protocols the load balancer listens on; at least one. Containers receive traffic from a listener"
        " through `network-load-balancer` events."
    )


class NetworkLoadBalancer(_Resource):
    type: Literal["network-load-balancer"] = F(
        "An AWS Network Load Balancer: a layer-4 entry point forwarding TCP or TLS connections to containers, for"
        " protocols other than HTTP or when very low latency matters."
    )
    properties: NetworkLoadBalancerProps = F("Listeners (required), exposure and custom domains.")


RESOURCES = {
    "http-api-gateway": HttpApiGateway,
    "application-load-balancer": ApplicationLoadBalancer,
    "network-load-balancer": NetworkLoadBalancer,
}
