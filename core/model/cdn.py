"""CloudFront CDN settings: the `cdn` block of web-service, http-api-gateway, function,
application-load-balancer and bucket.

All of them share one shape (`_CdnBase`): the default behaviour of the distribution (what is
cached and for how long, what reaches the origin), extra behaviours for path patterns
(`routeRewrites`, each optionally sent to another origin), custom domains, edge functions, the
price class and a firewall. The load balancer adds how CloudFront reaches it (`listenerPort`,
`originDomainName`); the bucket adds single-page-app routing and clean-URL handling.

Checks that need more than one key report on the key at fault:

- cookie / header / query-string selectors take exactly one behaviour (`none`, `all`,
  `whitelist`, ...), as CloudFront policies do;
- `minTTL` <= `defaultTTL` <= `maxTTL`;
- a ready-made `cachePolicyId` / `originRequestPolicyId` replaces the settings it would
  otherwise be built from, so those settings are reported as having no effect;
- CloudFront only knows three sets of allowed methods and two sets of cached methods, and the
  cached ones must be allowed.

Directive values are never judged: they resolve at deploy time.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator
from pydantic_core import InitErrorDetails

from core.model.base import Bool, F, Int, Num, OneOf, StpModel, Str
from core.model.checks import fail as _fail
from core.model.checks import has_directive as _has_directive
from core.model.checks import plain as _plain
from core.model.checks import problem as _problem
from core.model.common import CustomDomain, DomainName

# --- facts ------------------------------------------------------------------------------------------

PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
CACHEABLE_METHODS = ("GET", "HEAD", "OPTIONS")
FORWARDABLE_METHODS = ("GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE")
# CloudFront accepts only these method sets for a cache behaviour.
ALLOWED_METHOD_SETS = (
    frozenset({"GET", "HEAD"}),
    frozenset({"GET", "HEAD", "OPTIONS"}),
    frozenset(FORWARDABLE_METHODS),
)
CACHED_METHOD_SETS = (frozenset({"GET", "HEAD"}), frozenset({"GET", "HEAD", "OPTIONS"}))
ROUTE_TARGET_TYPES = ("application-load-balancer", "bucket", "custom-origin", "function", "http-api-gateway")
EDGE_FUNCTION = "edge-lambda-function"


# --- helpers ------------------------------------------------------------------------------------------


class _OneBehaviour(StpModel):
    """A selector of cookies, headers or query parameters: exactly one of its keys may be written."""

    @model_validator(mode="after")
    def _exactly_one_behaviour(self):
        given = [name for name in type(self).model_fields if name in self.model_fields_set]
        options = ", ".join(f"'{n}'" for n in type(self).model_fields)
        problems: list[InitErrorDetails] = []
        if not given:
            raise ValueError(f"Choose one of {options}")
        for extra in given[1:]:
            problems.append(_problem(
                (extra,),
                f"Only one behaviour can be chosen here, and '{given[0]}' is already set; remove '{extra}'",
                getattr(self, extra),
            ))
        _fail(type(self).__name__, problems)
        return self


# --- caching: the cache policy --------------------------------------------------------------------


class CacheKeyCookies(_OneBehaviour):
    none: Bool | None = F("`true`: cookies play no part in the cache key (requests differing only in cookies share a cached copy).", None)
    all: Bool | None = F("`true`: every cookie is part of the cache key, so each cookie combination is cached separately.", None)
    whitelist: list[Str] | None = F("Only these cookies (by name) are part of the cache key.", None)
    allExcept: list[Str] | None = F("Every cookie except these is part of the cache key.", None)


class CacheKeyHeaders(_OneBehaviour):
    none: Bool | None = F("`true`: request headers play no part in the cache key.", None)
    whitelist: list[Str] | None = F(
        "Only these request headers (e.g. `Accept-Language`) are part of the cache key; each distinct value gets"
        " its own cached copy.",
        None,
    )


class CacheKeyQueryString(_OneBehaviour):
    none: Bool | None = F("`true`: the query string plays no part in the cache key.", None)
    all: Bool | None = F("`true`: the whole query string is part of the cache key.", None)
    whitelist: list[Str] | None = F("Only these query parameters (by name) are part of the cache key.", None)


class CdnCacheKey(StpModel):
    cookies: CacheKeyCookies | None = F(
        "Which cookies make a cached response distinct. Pick one of `none`, `all`, `whitelist`, `allExcept`."
        " Not set: the default policy of the origin type decides.",
        None,
    )
    headers: CacheKeyHeaders | None = F(
        "Which request headers make a cached response distinct. Pick one of `none`, `whitelist`.", None
    )
    queryString: CacheKeyQueryString | None = F(
        "Which query parameters make a cached response distinct. Pick one of `none`, `all`, `whitelist`.", None
    )


_POLICY_BUILT_FROM = ("minTTL", "defaultTTL", "maxTTL", "cacheKeyParameters")


class CdnCachingOptions(StpModel):
    cacheMethods: list[OneOf(*CACHEABLE_METHODS)] | None = F(
        "HTTP methods whose responses are cached: `[GET, HEAD]` or `[GET, HEAD, OPTIONS]` (add `OPTIONS` to cache"
        " CORS pre-flight answers). Not set: the cacheable ones among the allowed methods.",
        None,
    )
    minTTL: Num | None = F(
        "Shortest time, in seconds, a response stays cached, even if the origin's `Cache-Control` asks for less.",
        None,
    )
    maxTTL: Num | None = F(
        "Longest time, in seconds, a response stays cached, even if the origin's `Cache-Control` asks for more.",
        None,
    )
    defaultTTL: Num | None = F(
        "Seconds a response stays cached when the origin sends no `Cache-Control` or `Expires` header."
        " Must lie between `minTTL` and `maxTTL`.",
        None,
    )
    disableCompression: Bool = F(
        "Serve responses uncompressed. By default CloudFront compresses them (gzip or Brotli) when the browser"
        " accepts it, which makes transfers smaller and cheaper. Default: false.",
        False,
    )
    cacheKeyParameters: CdnCacheKey | None = F(
        "Which parts of the request (cookies, headers, query parameters) make a response distinct in the cache."
        " Whatever is part of the cache key is also passed to the origin.",
        None,
    )
    cachePolicyId: Str | None = F(
        "Id of an existing CloudFront cache policy (yours or an AWS managed one) to use instead of one built from"
        " the TTLs and `cacheKeyParameters`, which then have no effect.",
        None,
    )

    @model_validator(mode="after")
    def _ttl_order_and_policy(self):
        problems: list[InitErrorDetails] = []
        if self.cachePolicyId is not None:
            for key in _POLICY_BUILT_FROM:
                if key in self.model_fields_set:
                    problems.append(_problem(
                        (key,),
                        f"'{key}' has no effect together with 'cachePolicyId': the referenced policy decides caching."
                        " Remove one of them",
                        getattr(self, key),
                    ))
        lo, default, hi = _plain(self.minTTL), _plain(self.defaultTTL), _plain(self.maxTTL)
        for key, value in (("minTTL", lo), ("defaultTTL", default), ("maxTTL", hi)):
            if value is not None and value < 0:
                problems.append(_problem((key,), f"'{key}' is a number of seconds and cannot be negative", value))
        if lo is not None and default is not None and default < lo:
            problems.append(_problem(("defaultTTL",), f"'defaultTTL' ({default:g}) is below 'minTTL' ({lo:g})", default))
        if hi is not None and default is not None and default > hi:
            problems.append(_problem(("defaultTTL",), f"'defaultTTL' ({default:g}) is above 'maxTTL' ({hi:g})", default))
        if lo is not None and hi is not None and hi < lo:
            problems.append(_problem(("maxTTL",), f"'maxTTL' ({hi:g}) is below 'minTTL' ({lo:g})", hi))
        methods = self.cacheMethods
        if methods is not None and not _has_directive(methods) and frozenset(methods) not in CACHED_METHOD_SETS:
            problems.append(_problem(
                ("cacheMethods",),
                "CloudFront caches either [GET, HEAD] or [GET, HEAD, OPTIONS]; other combinations are not possible",
                methods,
            ))
        _fail(type(self).__name__, problems)
        return self


# --- forwarding: the origin request policy ---------------------------------------------------------


class ForwardCookies(_OneBehaviour):
    none: Bool | None = F("`true`: no cookies are passed to the origin.", None)
    all: Bool | None = F("`true`: every cookie of the request is passed to the origin.", None)
    whitelist: list[Str] | None = F("Only these cookies (by name) are passed to the origin.", None)


class ForwardHeaders(_OneBehaviour):
    none: Bool | None = F("`true`: no request headers are passed to the origin (only those in the cache key).", None)
    whitelist: list[Str] | None = F("Only these request headers are passed to the origin.", None)
    allViewer: Bool | None = F("`true`: every header the browser sent is passed to the origin.", None)
    allViewerAndWhitelistCloudFront: list[Str] | None = F(
        "Every header the browser sent, plus these headers CloudFront adds itself, e.g."
        " `CloudFront-Viewer-Country` or `CloudFront-Is-Mobile-Viewer`.",
        None,
    )
    allExcept: list[Str] | None = F("Every header the browser sent except these.", None)


class ForwardQueryString(_OneBehaviour):
    none: Bool | None = F("`true`: the query string is not passed to the origin.", None)
    all: Bool | None = F("`true`: the whole query string is passed to the origin.", None)
    whitelist: list[Str] | None = F("Only these query parameters are passed to the origin.", None)


class CdnCustomRequestHeader(StpModel):
    headerName: Str = F("Name of the header CloudFront adds to every request it sends to the origin.")
    value: Str = F("Value of that header, e.g. a shared secret the origin checks (prefer `$Secret(...)`).")


_ORIGIN_POLICY_BUILT_FROM = ("cookies", "headers", "queryString")


class CdnForwardingOptions(StpModel):
    customRequestHeaders: list[CdnCustomRequestHeader] | None = F(
        "Fixed headers CloudFront adds to each request it passes to the origin, e.g. an API key or a marker that"
        " the request came through the CDN.",
        None,
    )
    allowedMethods: list[OneOf(*FORWARDABLE_METHODS)] | None = F(
        "HTTP methods CloudFront accepts and passes on: `[GET, HEAD]`, `[GET, HEAD, OPTIONS]` or all seven"
        " (`GET`, `HEAD`, `OPTIONS`, `PUT`, `PATCH`, `POST`, `DELETE`). Not set: all seven, or the three read"
        " methods for a bucket origin.",
        None,
    )
    cookies: ForwardCookies | None = F(
        "Which cookies reach the origin. Pick one of `none`, `all`, `whitelist`. Not set: all of them.", None
    )
    headers: ForwardHeaders | None = F(
        "Which request headers reach the origin. Pick one of `none`, `whitelist`, `allViewer`,"
        " `allViewerAndWhitelistCloudFront`, `allExcept`. Not set: all of them.",
        None,
    )
    queryString: ForwardQueryString | None = F(
        "Which query parameters reach the origin. Pick one of `none`, `all`, `whitelist`. Not set: all of them.",
        None,
    )
    originRequestPolicyId: Str | None = F(
        "Id of an existing CloudFront origin request policy to use instead of one built from `cookies`, `headers`"
        " and `queryString`, which then have no effect.",
        None,
    )

    @model_validator(mode="after")
    def _methods_and_policy(self):
        problems: list[InitErrorDetails] = []
        if self.originRequestPolicyId is not None:
            for key in _ORIGIN_POLICY_BUILT_FROM:
                if key in self.model_fields_set:
                    problems.append(_problem(
                        (key,),
                        f"'{key}' has no effect together with 'originRequestPolicyId': the referenced policy decides"
                        " what reaches the origin. Remove one of them",
                        getattr(self, key),
                    ))
        methods = self.allowedMethods
        if methods is not None and not _has_directive(methods) and frozenset(methods) not in ALLOWED_METHOD_SETS:
            problems.append(_problem(
                ("allowedMethods",),
                "CloudFront allows only [GET, HEAD], [GET, HEAD, OPTIONS] or all of GET, HEAD, OPTIONS, PUT, PATCH,"
                " POST, DELETE",
                methods,
            ))
        _fail(type(self).__name__, problems)
        return self


# --- edge functions -------------------------------------------------------------------------------


class CdnEdgeFunctions(StpModel):
    onRequest: Str | None = F(
        "Name of an `edge-lambda-function` run on every request as it arrives at the edge, before the cache is"
        " looked up (redirects, authentication, A/B routing).",
        None,
        ref=EDGE_FUNCTION,
    )
    onResponse: Str | None = F(
        "Name of an `edge-lambda-function` run on every response just before it is returned to the browser"
        " (e.g. to add security headers).",
        None,
        ref=EDGE_FUNCTION,
    )
    onOriginRequest: Str | None = F(
        "Name of an `edge-lambda-function` run only on cache misses, before the request goes to the origin"
        " (e.g. to rewrite the path or pick an origin).",
        None,
        ref=EDGE_FUNCTION,
    )
    onOriginResponse: Str | None = F(
        "Name of an `edge-lambda-function` run on the origin's answer before it is stored in the cache.",
        None,
        ref=EDGE_FUNCTION,
    )


# --- route rewrites: other origins for path patterns ------------------------------------------------


class CdnLoadBalancerOrigin(StpModel):
    loadBalancerName: Str = F(
        "Name of the `application-load-balancer` resource that receives the matching requests.",
        ref="application-load-balancer",
    )
    listenerPort: Int | None = F(
        "Port of the load balancer listener CloudFront connects to. Needed only when the load balancer has custom"
        " `listeners`.",
        None,
    )
    originDomainName: Str | None = F(
        "Domain name CloudFront uses to reach the load balancer. Needed only when the load balancer has no"
        " `customDomains` and serves its own certificates (`customCertificateArns`).",
        None,
    )


class CdnHttpApiGatewayOrigin(StpModel):
    httpApiGatewayName: Str = F(
        "Name of the `http-api-gateway` resource that receives the matching requests.", ref="http-api-gateway"
    )


class CdnFunctionOrigin(StpModel):
    functionName: Str = F(
        "Name of the `function` resource that receives the matching requests. The function needs its URL turned"
        " on (`url.enabled: true`).",
        ref="function",
    )


class CdnCustomOrigin(StpModel):
    domainName: DomainName = F("Domain name of a server outside the stack that receives the matching requests, e.g. `legacy.example.com`.")
    protocol: OneOf("HTTP", "HTTPS") = F("Protocol CloudFront uses to talk to that server: `HTTPS` (default) or `HTTP`.", "HTTPS")
    port: Int | None = F("Port of that server. Default: 443 with HTTPS, 80 with HTTP.", None)


class CdnBucketOrigin(StpModel):
    bucketName: Str = F("Name of the `bucket` resource whose files answer the matching requests.", ref="bucket")
    disableUrlNormalization: Bool = F(
        "Look objects up exactly by the request path. By default clean URLs are mapped to HTML files (`/about`"
        " serves `about.html`, `/docs/` serves `docs/index.html`). Default: false.",
        False,
    )


class CdnLoadBalancerRoute(StpModel):
    type: Literal["application-load-balancer"] = F("Send the matching requests to an application load balancer of the stack.")
    properties: CdnLoadBalancerOrigin = F("Which load balancer and how CloudFront reaches it.")


class CdnHttpApiGatewayRoute(StpModel):
    type: Literal["http-api-gateway"] = F("Send the matching requests to an HTTP API Gateway of the stack.")
    properties: CdnHttpApiGatewayOrigin = F("Which gateway.")


class CdnFunctionRoute(StpModel):
    type: Literal["function"] = F("Send the matching requests to a function of the stack through its function URL.")
    properties: CdnFunctionOrigin = F("Which function.")


class CdnCustomOriginRoute(StpModel):
    type: Literal["custom-origin"] = F("Send the matching requests to a server outside the stack, by domain name.")
    properties: CdnCustomOrigin = F("Where the server is and how to reach it.")


class CdnBucketRoute(StpModel):
    type: Literal["bucket"] = F("Serve the matching requests from the files of a bucket of the stack.")
    properties: CdnBucketOrigin = F("Which bucket and how paths map to its objects.")


CdnRouteTarget = Annotated[
    Union[CdnLoadBalancerRoute, CdnHttpApiGatewayRoute, CdnFunctionRoute, CdnCustomOriginRoute, CdnBucketRoute],
    Field(discriminator="type"),
]


class _CacheBehaviour(StpModel):
    """A cache behaviour (`cachingOptions` and `forwardingOptions`): cached methods must be among the allowed ones."""

    @model_validator(mode="after")
    def _cached_methods_allowed(self):
        caching, forwarding = self.cachingOptions, self.forwardingOptions
        cached = caching.cacheMethods if caching is not None else None
        allowed = forwarding.allowedMethods if forwarding is not None else None
        if cached is None or allowed is None or _has_directive(cached) or _has_directive(allowed):
            return self
        extra = [m for m in cached if m not in allowed]
        if extra:
            _fail(type(self).__name__, [_problem(
                ("cachingOptions", "cacheMethods"),
                f"{', '.join(extra)} can only be cached if it is also allowed: add it to"
                " 'forwardingOptions.allowedMethods'",
                cached,
            )])
        return self


class CdnRouteRewrite(_CacheBehaviour):
    path: Str = F(
        "Path pattern of the requests this rule applies to, e.g. `/api/*`, `*.jpg` or `/docs/v2/*`. `*` matches"
        " any characters, `?` exactly one. Rules are tried in the order written; the first match wins.",
    )
    routePrefix: Str | None = F(
        "Prefix put in front of the path before the request goes to the origin, e.g. `/v2` turns `/users` into"
        " `/v2/users`.",
        None,
    )
    routeTo: CdnRouteTarget | None = F(
        "Origin that serves the matching requests: an `application-load-balancer`, `http-api-gateway`, `function`"
        " or `bucket` of the stack, or a `custom-origin` outside it. Not set: the resource this CDN belongs to"
        " (useful to give a path its own caching).",
        None,
    )
    cachingOptions: CdnCachingOptions | None = F(
        "Caching for the matching requests. The CDN-wide `cachingOptions` do not carry over; not set: the default"
        " policy of the target origin type.",
        None,
    )
    forwardingOptions: CdnForwardingOptions | None = F(
        "What reaches the origin for the matching requests. The CDN-wide `forwardingOptions` do not carry over;"
        " not set: the default for the target origin type.",
        None,
    )
    edgeFunctions: CdnEdgeFunctions | None = F(
        "Edge functions run for the matching requests instead of the CDN-wide `edgeFunctions`.", None
    )


# --- the cdn block ---------------------------------------------------------------------------------


class _CdnBase(_CacheBehaviour):
    enabled: Bool = F(
        "Put a CloudFront distribution in front of the resource. With `false` the rest of this block is ignored.",
    )
    cachingOptions: CdnCachingOptions | None = F(
        "What CloudFront caches and for how long (TTLs, cache key, compression) for requests no route rewrite"
        " matches. Not set: a default policy that fits the origin type.",
        None,
    )
    forwardingOptions: CdnForwardingOptions | None = F(
        "Which methods, cookies, headers and query parameters are passed on to the origin, and extra headers to"
        " add. Not set: everything is passed on.",
        None,
    )
    routeRewrites: list[CdnRouteRewrite] | None = F(
        "Rules for path patterns: send them to another origin, add a path prefix, or give them their own caching,"
        " forwarding and edge functions. Checked in order; the first matching rule applies.",
        None,
    )
    customDomains: list[CustomDomain] | None = F(
        "Your own domain names for the distribution, e.g. `www.example.com`. DNS records and a certificate are"
        " created unless you turn them off; a certificate of your own must live in us-east-1.",
        None,
    )
    edgeFunctions: CdnEdgeFunctions | None = F(
        "`edge-lambda-function` resources run at the edge on requests and responses (rewrites, authentication,"
        " headers).",
        None,
    )
    cloudfrontPriceClass: OneOf(*PRICE_CLASSES) = F(
        "Which edge locations serve the content: `PriceClass_100` (North America and Europe, cheapest),"
        " `PriceClass_200` (adds most of Asia, the Middle East and Africa) or `PriceClass_All` (every location,"
        " fastest worldwide). Default: `PriceClass_All`.",
        "PriceClass_All",
    )
    defaultRoutePrefix: Str | None = F(
        "Prefix put in front of every request path before it goes to the origin, e.g. `/app` makes `/login` reach"
        " the origin as `/app/login`. Route rewrites set their own with `routePrefix`.",
        None,
    )
    errorDocument: Str | None = F(
        "Path of the page returned, with status 404, when the origin has nothing at the requested path, e.g."
        " `/error.html`. Not set: the origin's own 404 answer (for a bucket: `/404.html`).",
        None,
    )
    indexDocument: Str = F("Path of the page served for requests to the root `/`. Default: `/index.html`.", "/index.html")
    disableInvalidationAfterDeploy: Bool = F(
        "Keep the cached content after a deployment. By default the whole cache is invalidated on each deploy so"
        " visitors get the new version at once. Default: false.",
        False,
    )
    useFirewall: Str | None = F(
        "Name of a `web-app-firewall` resource (with scope `cdn`) whose rules filter requests at the edge.",
        None,
        ref="web-app-firewall",
    )


class CdnConfig(_CdnBase):
    """CDN in front of a web-service, http-api-gateway or function (URL)."""


class AlbCdnConfig(_CdnBase):
    """CDN in front of an application-load-balancer."""

    listenerPort: Int | None = F(
        "Port of the load balancer listener CloudFront sends requests to. Needed only with custom `listeners`;"
        " otherwise the HTTPS listener on 443 is used.",
        None,
    )
    originDomainName: Str | None = F(
        "Domain name CloudFront uses to reach the load balancer. Needed only when the load balancer has no"
        " `customDomains` and uses `customCertificateArns`, so CloudFront can verify its certificate.",
        None,
    )


class BucketCdnConfig(_CdnBase):
    """CDN in front of a bucket (static files)."""

    rewriteRoutesForSinglePageApp: Bool | None = F(
        "Answer paths without a file extension (`/users/42`) with `index.html`, so a single-page app can route"
        " on the client; paths with an extension (`.js`, `.css`, `.png`) are served as files. Missing files are"
        " also answered with `index.html`.",
        None,
    )
    errorDocument: Str = F(
        "Path of the page returned, with status 404, when no object exists at the requested path."
        " Default: `/404.html` (ignored with `rewriteRoutesForSinglePageApp`, which answers with `index.html`).",
        "/404.html",
    )
    disableUrlNormalization: Bool = F(
        "Look objects up exactly by the request path. By default clean URLs are mapped to HTML files (`/about`"
        " serves `about.html`, `/docs/` serves `docs/index.html`). Default: false.",
        False,
    )
