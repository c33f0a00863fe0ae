"""Ingress: HTTP API gateways, load balancers, and the traffic they bring to container ports.

Compilers create the entry points: `http-api-gateway` (an HTTP API with a `$default`
stage that deploys itself), `application-load-balancer` and `network-load-balancer`
(in the public subnets, or the private ones when `interface: internal`). Routes are
declared on the receiving side, so the event hooks do the wiring, after every
resource is compiled:

- `http-api-gateway`: the gateway reaches tasks through a VPC link (one per gateway)
  and AWS Cloud Map: the workload registers its tasks as SRV records in the stack's
  private DNS namespace, and one integration per gateway and workload serves every
  route (method + path) the workload declares;
- `application-load-balancer`: a target group (ip targets, tasks use awsvpc) and a
  listener rule per event with every condition the event gives; priorities are the
  user's, or picked deterministically (lowest free) where stp creates the rule;
- `network-load-balancer`: a TCP target group and the listener that forwards to it;
- `service-connect`: the port joins the stack's Cloud Map HTTP namespace under its
  alias; every workload of the stack is a Service Connect client and wears one
  shared security group, which the port admits.

A one-container service without an explicit entry point (`web-service`,
`private-service` with `loadBalancing`) gets its own gateway or load balancer, owned
by the service. `workload-internal` ports need nothing here: containers of one task
share localhost (see ``containers.py``).

Custom domains: stp cannot look up Route 53 while compiling, so each domain takes
its hosted zone id as a template parameter (``<Domain>HostedZoneId``) for the deploy
step to fill; certificates are created in ACM with DNS validation in that zone,
unless the domain names its own `customCertificateArn`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from troposphere import GetAtt, Join, Ref, Sub, Tags, awslambda, ec2, ecs, logs, route53
from troposphere import apigatewayv2 as apigw
from troposphere import certificatemanager as acm
from troposphere import elasticloadbalancingv2 as elb
from troposphere import servicediscovery as sd

from core.compile.context import CHECK_ORDER, HOOK_ORDER, SHARED
from core.compile.directives import DirectiveProblem, known_now, text
from core.compile.errors import Problem
from core.compile.naming import logical_id, pascal
from core.compile.registry import compiler, hook, params
from core.compile.vpc import VPC_CIDR, network
from core.compile.workload_spec import DEFAULT_SERVICE_PORT

FUNCTION_ID = "Function"  # logical id of a function's Lambda: <Name>Function (see function_arn)
MAX_CONDITION_VALUES = 5  # per ALB rule (an AWS quota that cannot be raised)
MAX_TARGET_GROUPS_PER_SERVICE = 5  # target groups ECS attaches to one service
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
NOT_FOUND = "No route of this load balancer matches the request"
HTTP_METHODS_ANY = "*"

# access-log layouts of an HTTP API (API Gateway requires $context.requestId in each)
ACCESS_LOG_FORMATS = {
    "JSON": '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime",'
            '"httpMethod":"$context.httpMethod","routeKey":"$context.routeKey","status":"$context.status",'
            '"protocol":"$context.protocol","responseLength":"$context.responseLength",'
            '"integrationError":"$context.integrationErrorMessage"}',
    "CLF": '$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod $context.routeKey'
           ' $context.protocol" $context.status $context.responseLength $context.requestId',
    "XML": '<request id="$context.requestId"><ip>$context.identity.sourceIp</ip><requestTime>$context.requestTime'
           '</requestTime><httpMethod>$context.httpMethod</httpMethod><routeKey>$context.routeKey</routeKey><status>'
           '$context.status</status><protocol>$context.protocol</protocol><responseLength>$context.responseLength'
           '</responseLength></request>',
    "CSV": "$context.identity.sourceIp,$context.requestTime,$context.httpMethod,$context.routeKey,$context.protocol,"
           "$context.status,$context.responseLength,$context.requestId",
}
DEFAULT_ACCESS_LOG_RETENTION = 30


# --- shared state --------------------------------------------------------------------------------


@dataclass
class Domain:
    name: str
    certificate: Any  # ARN (a Ref to the certificate stp creates, or the user's ARN)
    zone: Any  # Ref to the hosted-zone parameter (None when neither a record nor a certificate needs it)
    dns_record: bool


@dataclass
class HttpApi:
    key: str  # config resource the gateway is (or the web-service that owns it)
    owner: str
    prefix: str  # first part of the gateway's own logical ids
    ref_part: str  # part naming the gateway in ids owned by workloads
    api: Any
    stage: Any
    vpc_link: Any = None
    link_sg: Any = None
    integrations: dict = field(default_factory=dict)  # workload → Integration
    routes: dict = field(default_factory=dict)  # route key → who declared it
    authorizers: dict = field(default_factory=dict)  # settings → Authorizer


@dataclass
class LoadBalancer:
    key: str
    owner: str
    prefix: str
    ref_part: str
    kind: str  # "application" or "network"
    lb: Any
    sg: Any
    internal: bool
    custom: bool  # listeners come from the config
    listeners: dict = field(default_factory=dict)  # port → Listener (NLB: created by the event hook)
    protocols: dict = field(default_factory=dict)  # port → protocol
    certificates: dict = field(default_factory=dict)  # port → certificate ARNs
    whitelist: dict = field(default_factory=dict)  # port → CIDRs allowed to connect
    default_port: int | None = None  # ALB listener that events without listenerPort use
    domains: list = field(default_factory=list)
    used: dict = field(default_factory=dict)  # listener port → {priority: who}
    specs: dict = field(default_factory=dict)  # NLB: port → _NlbListenerSpec (listeners as configured)
    where: str = ""


@dataclass
class AlbBinding:
    """One listener rule sending traffic to a workload; what the deployment hook works with."""

    alb: LoadBalancer
    listener_port: int
    rule: Any
    target_group: Any
    container: str
    port: int
    conditions: list
    priority: int
    rule_part: str  # share of the logical ids derived from this rule


@dataclass
class IngressState:
    gateways: dict = field(default_factory=dict)
    albs: dict = field(default_factory=dict)
    nlbs: dict = field(default_factory=dict)
    reserved: dict | None = None  # (alb, listener port, priority) → (event that wrote it, who)
    bindings: dict = field(default_factory=dict)  # workload → [AlbBinding]
    target_groups: dict = field(default_factory=dict)  # (workload, lb, port or rule) → TargetGroup
    ingress_rules: set = field(default_factory=set)  # (workload, source, port) already admitted
    registries: dict = field(default_factory=dict)  # workload → (container, port, Cloud Map service)
    dns_namespace: Any = None
    connect_namespace: Any = None
    connect_clients_sg: Any = None


def state(ctx) -> IngressState:
    st = ctx.extra.get("ingress")
    if st is None:
        st = ctx.extra["ingress"] = IngressState()
    return st


def alb_bindings(ctx, workload: str) -> list[AlbBinding]:
    """The application-load-balancer rules that send traffic to a workload (after the event hooks ran)."""
    return list(state(ctx).bindings.get(workload, ()))


# --- small helpers -------------------------------------------------------------------------------


def kebab(name: str) -> str:
    """``apiServer`` / ``api_server`` → ``api-server`` (a DNS-friendly name)."""
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", str(name))
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def function_arn(ctx, name: str):
    """ARN of a `function` of the stack: its `arn` parameter, or ``GetAtt <Name>Function.Arn`` while no
    function compiler provides one (the id the function compiler is to use, see FUNCTION_ID)."""
    try:
        return ctx.resource_param(name, "arn")
    except DirectiveProblem:
        return GetAtt(logical_id(name, FUNCTION_ID), "Arn")


def _unique_id(ctx, base: str, salt: str) -> str:
    """``base``, or ``base`` with a short stable hash of ``salt`` when two names meet on one id."""
    if base not in ctx.ids:
        return base
    return base + hashlib.sha1(salt.encode()).hexdigest()[:6].upper()


def _event_where(cw, t) -> str:
    """Config path of an event (or of the loadBalancing of a one-container service)."""
    if t.implicit:
        return f"resources.{cw.name}.properties.loadBalancing"
    c = next((c for c in cw.spec.containers if c.name == t.container), None)
    if c is None:
        return f"resources.{cw.name}"
    i = next((i for i, ev in enumerate(c.events) if ev is t.event), 0)
    return f"{c.path}.events[{i}].properties"


def _admit(ctx, cw, source_sg, source_key: str, port: int, description: str) -> None:
    """Let traffic from a security group into the workload's tasks on one port (once)."""
    st = state(ctx)
    key = (cw.name, source_key, port)
    if key in st.ingress_rules:
        return
    st.ingress_rules.add(key)
    ctx.add(cw.name, ec2.SecurityGroupIngress(
        ctx.id(cw.name, source_key, f"Port{port}", "Ingress"),
        GroupId=Ref(cw.security_group), IpProtocol="tcp", FromPort=port, ToPort=port,
        SourceSecurityGroupId=Ref(source_sg), Description=description[:255],
    ))


def add_depends_on(resource, *ids: str) -> None:
    """Add logical ids to a resource's DependsOn (kept in order, no duplicates)."""
    current = resource.resource.get("DependsOn", [])
    current = [current] if isinstance(current, str) else list(current)
    for i in ids:
        if i not in current:
            current.append(i)
    resource.DependsOn = current


def _load_balancers_of(service) -> list:
    return service.properties.setdefault("LoadBalancers", [])


# --- custom domains ------------------------------------------------------------------------------


def _domains(ctx, owner: str, prefix: str, models, where: str, *, need_certificate: bool = True) -> list[Domain]:
    out = []
    for i, d in enumerate(models or ()):
        dpath = f"{where}[{i}]"
        name = str(ctx.static(d.domainName, f"{dpath}.domainName", "") or "").rstrip(".").lower()
        if not name:
            continue
        dns_record = not ctx.static(d.disableDnsRecordCreation, f"{dpath}.disableDnsRecordCreation", False)
        own_cert = d.customCertificateArn is not None
        zone = None
        if dns_record or (need_certificate and not own_cert):
            zone = Ref(ctx.shared_parameter(
                logical_id(name, "HostedZoneId"), Type="AWS::Route53::HostedZone::Id",
                Description=f"Route 53 hosted zone holding {name} (looked up by the deploy step)",
            ))
        cert = None
        if own_cert:
            cert = ctx.resolve(d.customCertificateArn, f"{dpath}.customCertificateArn")
        elif need_certificate:
            cert = Ref(ctx.add(owner, acm.Certificate(
                ctx.id(prefix, name, "Certificate"), DomainName=name, ValidationMethod="DNS",
                DomainValidationOptions=[acm.DomainValidationOption(DomainName=name, HostedZoneId=zone)],
                Tags=Tags(Name=f"{ctx.stack_name}-{owner}"),
            )))
        out.append(Domain(name, cert, zone, dns_record))
    return out


def _alias_records(ctx, owner: str, prefix: str, domains: list[Domain], dns_name, zone_id) -> None:
    for d in domains:
        if d.dns_record:
            ctx.add(owner, route53.RecordSetType(
                ctx.id(prefix, d.name, "DnsRecord"), HostedZoneId=d.zone, Name=d.name, Type="A",
                AliasTarget=route53.AliasTarget(DNSName=dns_name, HostedZoneId=zone_id),
            ))


# --- http-api-gateway ----------------------------------------------------------------------------


def _cors(ctx, cors, where: str):
    if cors is None or not ctx.static(cors.enabled, f"{where}.enabled", False):
        return None
    origins = [text(ctx.static(o, f"{where}.allowedOrigins")) for o in cors.allowedOrigins or ["*"]]
    kw: dict = {"AllowOrigins": origins}
    kw["AllowMethods"] = [text(m) for m in cors.allowedMethods] if cors.allowedMethods else ["*"]
    kw["AllowHeaders"] = [text(ctx.static(h, f"{where}.allowedHeaders")) for h in cors.allowedHeaders] \
        if cors.allowedHeaders else ["*"]
    if cors.exposedResponseHeaders:
        kw["ExposeHeaders"] = [text(ctx.static(h, f"{where}.exposedResponseHeaders")) for h in cors.exposedResponseHeaders]
    if cors.maxAge is not None:
        kw["MaxAge"] = int(ctx.static(cors.maxAge, f"{where}.maxAge", 0))
    if cors.allowCredentials is not None:
        credentials = bool(ctx.static(cors.allowCredentials, f"{where}.allowCredentials", False))
        kw["AllowCredentials"] = credentials
        if credentials and "*" in origins:
            ctx.invalid(where, "allowCredentials needs the allowed origins spelled out: browsers refuse credentials"
                               " when any origin ('*') is allowed")
    return apigw.Cors(**kw)


def _build_http_api(ctx, key: str, owner: str, prefix: str, ref_part: str, *, cors, custom_domains, logging,
                    where: str) -> HttpApi:
    add = lambda r: ctx.add(owner, r)  # noqa: E731
    api = apigw.Api(ctx.id(prefix, "HttpApi"), Name=f"{ctx.stack_name}-{key}", ProtocolType="HTTP",
                    Tags={"Name": f"{ctx.stack_name}-{key}"})
    cors_config = _cors(ctx, cors, f"{where}.cors")
    if cors_config is not None:
        api.CorsConfiguration = cors_config
    add(api)
    stage = apigw.Stage(ctx.id(prefix, "HttpApiStage"), ApiId=Ref(api), StageName="$default", AutoDeploy=True)
    disabled = logging is not None and ctx.static(logging.disabled, f"{where}.logging.disabled", False)
    if not disabled:
        fmt = ctx.static(logging.format, f"{where}.logging.format", "JSON") if logging is not None else "JSON"
        days = int(ctx.static(logging.retentionDays, f"{where}.logging.retentionDays", DEFAULT_ACCESS_LOG_RETENTION)
                   if logging is not None else DEFAULT_ACCESS_LOG_RETENTION)
        group = add(logs.LogGroup(ctx.id(prefix, "HttpApiAccessLogs"), RetentionInDays=days,
                                  DeletionPolicy="Delete", UpdateReplacePolicy="Delete"))
        stage.AccessLogSettings = apigw.AccessLogSettings(DestinationArn=GetAtt(group, "Arn"),
                                                          Format=ACCESS_LOG_FORMATS.get(fmt, ACCESS_LOG_FORMATS["JSON"]))
        if logging is not None and logging.logForwarding is not None:
            ctx.unsupported(f"{where}.logging.logForwarding", "forwarding the gateway's access logs is not compiled yet")
    add(stage)
    gw = HttpApi(key, owner, prefix, ref_part, api, stage)
    domains = _domains(ctx, owner, prefix, custom_domains, f"{where}.customDomains")
    for d in domains:
        dn = add(apigw.DomainName(
            ctx.id(prefix, d.name, "DomainName"), DomainName=d.name,
            DomainNameConfigurations=[apigw.DomainNameConfiguration(
                CertificateArn=d.certificate, EndpointType="REGIONAL", SecurityPolicy="TLS_1_2")],
        ))
        add(apigw.ApiMapping(ctx.id(prefix, d.name, "ApiMapping"), ApiId=Ref(api), DomainName=Ref(dn), Stage=Ref(stage)))
        _alias_records(ctx, owner, prefix, [d], GetAtt(dn, "RegionalDomainName"), GetAtt(dn, "RegionalHostedZoneId"))
    url = f"https://{domains[0].name}" if domains else GetAtt(api, "ApiEndpoint")
    ctx.output(owner, "url", ctx.id(prefix, "Url"), url, f"URL of the HTTP API of {key}")
    state(ctx).gateways[key] = gw
    return gw


def _not_compiled_yet(ctx, props, where: str, features: tuple[str, ...], of: str) -> None:
    """Report each of ``features`` set in ``props`` (of resource kind ``of``) as not compiled yet."""
    for feature in features if props is not None else ():
        if getattr(props, feature):
            ctx.unsupported(f"{where}.{feature}", f"{feature} of {of} is not compiled yet")


@compiler("http-api-gateway")
def compile_http_api_gateway(ctx, name: str, model) -> None:
    props = model.properties
    where = f"resources.{name}.properties"
    _not_compiled_yet(ctx, props, where, ("cdn", "alarms"), "an http-api-gateway")
    _build_http_api(
        ctx, name, name, name, name,
        cors=props.cors if props else None, custom_domains=props.customDomains if props else None,
        logging=props.logging if props else None, where=where,
    )


def _domain_names(ctx, custom_domains) -> list[str]:
    """Custom domain names known now (for parameters, which may be asked for before the resource compiles)."""
    names = [str(known_now(ctx, d.domainName) or "").rstrip(".").lower() for d in custom_domains or ()]
    return [n for n in names if n]


def _domain_list(ctx, custom_domains):
    names = _domain_names(ctx, custom_domains)
    return ",".join(names) if names else None


@params("http-api-gateway")
def http_api_gateway_param(ctx, name: str, param: str):
    props = ctx.analysis.resources[name].model.properties
    domains = props.customDomains if props is not None else None
    api_id = ctx.id(name, "HttpApi")
    if param == "url":
        return GetAtt(api_id, "ApiEndpoint")
    if param == "domain":
        return Sub(f"${{{api_id}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}")
    if param == "customDomains":
        return _domain_list(ctx, domains)
    if param == "customDomainUrl":
        names = _domain_names(ctx, domains)
        return f"https://{names[0]}" if names else None
    return None  # cdnDomain / cdnUrl: no CDN compiled yet


# --- http-api-gateway events ---------------------------------------------------------------------


def _own_http_api(ctx, cw) -> HttpApi:
    """The HTTP API a web-service gets when nothing else is in front of it."""
    gw = state(ctx).gateways.get(cw.name)
    if gw is None:
        props = cw.spec.props
        gw = _build_http_api(ctx, cw.name, cw.name, cw.name, "HttpApi", cors=getattr(props, "cors", None),
                             custom_domains=getattr(props, "customDomains", None), logging=None,
                             where=f"resources.{cw.name}.properties")
    return gw


def _vpc_link(ctx, gw: HttpApi):
    if gw.vpc_link is None:
        net = network(ctx)
        gw.link_sg = ctx.add(gw.owner, ec2.SecurityGroup(
            ctx.id(gw.prefix, "VpcLinkSecurityGroup"),
            GroupDescription=f"VPC link of the HTTP API {gw.key} in {ctx.stack_name}", VpcId=net.vpc,
            SecurityGroupEgress=[ec2.SecurityGroupRule(IpProtocol="tcp", FromPort=0, ToPort=65535, CidrIp=VPC_CIDR,
                                                       Description="to tasks in the VPC")],
            Tags=Tags(Name=f"{ctx.stack_name}-{gw.key}-vpc-link"),
        ))
        gw.vpc_link = ctx.add(gw.owner, apigw.VpcLink(
            ctx.id(gw.prefix, "VpcLink"), Name=f"{ctx.stack_name}-{gw.key}"[:128],
            SubnetIds=list(net.private_subnets), SecurityGroupIds=[Ref(gw.link_sg)],
        ))
    return gw.vpc_link


def _dns_namespace(ctx):
    st = state(ctx)
    if st.dns_namespace is None:
        st.dns_namespace = ctx.add(SHARED, sd.PrivateDnsNamespace(
            "ServiceDiscoveryNamespace", Name=f"{kebab(ctx.stack_name)}.internal", Vpc=network(ctx).vpc,
            Description=f"Private DNS names of the workloads of {ctx.stack_name} (HTTP API integrations)",
        ))
    return st.dns_namespace


def _registry(ctx, cw, t, where: str):
    """The workload's Cloud Map service (SRV records of its tasks), registered on the ECS service once."""
    st = state(ctx)
    have = st.registries.get(cw.name)
    if have is not None:
        container, port, service = have
        if (container, port) != (t.container, t.port):
            ctx.invalid(where, f"an HTTP API gateway reaches a workload through one container port, and"
                               f" '{container}' already receives gateway requests on port {port}")
            return None
        return service
    ns = _dns_namespace(ctx)
    service = ctx.add(cw.name, sd.Service(
        ctx.id(cw.name, "DiscoveryService"), Name=kebab(cw.name), NamespaceId=GetAtt(ns, "Id"),
        DnsConfig=sd.DnsConfig(DnsRecords=[sd.DnsRecord(Type="SRV", TTL=60)], RoutingPolicy="MULTIVALUE"),
        HealthCheckCustomConfig=sd.HealthCheckCustomConfig(FailureThreshold=1),
        Description=f"Tasks of {cw.name}, for HTTP API integrations",
    ))
    cw.service.ServiceRegistries = [ecs.ServiceRegistry(RegistryArn=GetAtt(service, "Arn"), ContainerName=t.container,
                                                        ContainerPort=t.port)]
    st.registries[cw.name] = (t.container, t.port, service)
    return service


def _route_key(ctx, method: str, path: str, where: str) -> str | None:
    method = str(method).upper()
    if path == "*":
        if method != HTTP_METHODS_ANY:
            ctx.invalid(where, f"path '*' is the gateway's catch-all route and works only with method '*'; use path"
                               f" '/{{proxy+}}' to catch every path for {method}")
            return None
        return "$default"
    if not str(path).startswith("/"):
        ctx.invalid(where, f"path '{path}' must start with '/'")
        return None
    return f"{'ANY' if method == HTTP_METHODS_ANY else method} {path}"


def _route_slug(route_key: str) -> str:
    if route_key == "$default":
        return "Default"
    method, _, path = route_key.partition(" ")
    return pascal(method.lower()) + (pascal(path) or "Root")


def _authorizer(ctx, gw: HttpApi, auth, where: str):
    """(AuthorizationType, Authorizer) for a route; shared by routes with the same settings."""
    cache_key = auth.model_dump_json()
    if cache_key in gw.authorizers:
        return gw.authorizers[cache_key]
    p = auth.properties
    sources = [text(ctx.static(s, f"{where}.identitySources")) for s in p.identitySources or ()]
    if auth.type == "cognito":
        pool = str(ctx.static(p.userPoolName, f"{where}.userPoolName", ""))
        try:
            pool_id = ctx.resource_param(pool, "id")
            client_id = ctx.resource_param(pool, "clientId")
        except DirectiveProblem as exc:
            ctx.problems.append(Problem(where, f"cognito authorizer: {exc}", exc.kind))
            return None
        lid = _unique_id(ctx, ctx.id(gw.prefix, pool, "Authorizer"), cache_key)
        authorizer = ctx.add(gw.owner, apigw.Authorizer(
            lid, ApiId=Ref(gw.api), Name=lid, AuthorizerType="JWT",
            IdentitySource=sources or ["$request.header.Authorization"],
            JwtConfiguration=apigw.JWTConfiguration(
                Audience=[client_id], Issuer=Sub("https://cognito-idp.${AWS::Region}.amazonaws.com/${PoolId}", PoolId=pool_id),
            ),
        ))
        out = ("JWT", authorizer)
    else:
        fn = str(ctx.static(p.functionName, f"{where}.functionName", ""))
        arn = function_arn(ctx, fn)
        ttl = int(ctx.static(p.cacheResultSeconds, f"{where}.cacheResultSeconds", 0) or 0)
        iam_response = bool(ctx.static(p.iamResponse, f"{where}.iamResponse", False))
        lid = _unique_id(ctx, ctx.id(gw.prefix, fn, "Authorizer"), cache_key)
        kw = {
            "ApiId": Ref(gw.api), "Name": lid, "AuthorizerType": "REQUEST", "AuthorizerPayloadFormatVersion": "2.0",
            "EnableSimpleResponses": not iam_response, "AuthorizerResultTtlInSeconds": ttl,
            "AuthorizerUri": Sub("arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                                 "${Arn}/invocations", Arn=arn),
        }
        if sources or ttl:
            kw["IdentitySource"] = sources or ["$request.header.Authorization"]
        authorizer = ctx.add(gw.owner, apigw.Authorizer(lid, **kw))
        ctx.add(gw.owner, awslambda.Permission(
            lid + "Permission", Action="lambda:InvokeFunction", FunctionName=arn, Principal="apigateway.amazonaws.com",
            SourceArn=Sub(f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{gw.api.title}}}"
                          f"/authorizers/${{{lid}}}"),
        ))
        out = ("CUSTOM", authorizer)
    gw.authorizers[cache_key] = out
    return out


@hook("event", "http-api-gateway")
def http_api_event(ctx, t) -> None:
    cw = t.workload
    where = _event_where(cw, t)
    if t.implicit:
        gw = _own_http_api(ctx, cw)
        method, path, auth = HTTP_METHODS_ANY, "*", None
    else:
        p = t.event.properties
        gw = state(ctx).gateways.get(str(ctx.static(p.httpApiGatewayName, f"{where}.httpApiGatewayName", "")))
        if gw is None:
            return  # not an http-api-gateway of this config, or it failed to compile (reported already)
        method = ctx.static(p.method, f"{where}.method", HTTP_METHODS_ANY)
        path = ctx.static(p.path, f"{where}.path", "*")
        auth = p.authorizer
    route_key = _route_key(ctx, method, path, where)
    if route_key is None:
        return
    who = f"port {t.port} of container '{t.container}' of '{cw.name}'"
    if route_key in gw.routes:
        ctx.invalid(where, f"route {route_key} of gateway '{gw.key}' is already taken by {gw.routes[route_key]}")
        return
    gw.routes[route_key] = who
    service = _registry(ctx, cw, t, where)
    if service is None:
        return
    link = _vpc_link(ctx, gw)
    integration = gw.integrations.get(cw.name)
    if integration is None:
        integration = gw.integrations[cw.name] = ctx.add(cw.name, apigw.Integration(
            ctx.id(cw.name, gw.ref_part, "Integration"), ApiId=Ref(gw.api), IntegrationType="HTTP_PROXY",
            IntegrationMethod="ANY", ConnectionType="VPC_LINK", ConnectionId=Ref(link),
            IntegrationUri=GetAtt(service, "Arn"), PayloadFormatVersion="1.0",
        ))
    route = apigw.Route(
        _unique_id(ctx, ctx.id(cw.name, gw.ref_part, _route_slug(route_key), "Route"), route_key),
        ApiId=Ref(gw.api), RouteKey=route_key, Target=Join("/", ["integrations", Ref(integration)]),
    )
    if auth is not None:
        got = _authorizer(ctx, gw, auth, f"{where}.authorizer.properties")
        if got is None:
            return
        route.AuthorizationType, authorizer = got
        route.AuthorizerId = Ref(authorizer)
    ctx.add(cw.name, route)
    _admit(ctx, cw, gw.link_sg, gw.ref_part + "VpcLink", t.port, f"HTTP API {gw.key} (VPC link)")


# --- load balancers (shared) ---------------------------------------------------------------------


def _lb_security_group(ctx, owner: str, prefix: str, kind: str, key: str):
    return ctx.add(owner, ec2.SecurityGroup(
        ctx.id(prefix, kind, "SecurityGroup"),
        GroupDescription=f"{'Application' if kind == 'Alb' else 'Network'} load balancer {key} in {ctx.stack_name}",
        VpcId=network(ctx).vpc, SecurityGroupIngress=[],
        SecurityGroupEgress=[ec2.SecurityGroupRule(IpProtocol="tcp", FromPort=0, ToPort=65535, CidrIp=VPC_CIDR,
                                                   Description="to targets in the VPC")],
        Tags=Tags(Name=f"{ctx.stack_name}-{key}-{kind.lower()}"),
    ))


def _open_port(ctx, lbi: LoadBalancer, port: int, cidrs: list) -> None:
    """Admit clients to a listener port on the load balancer's security group."""
    lbi.whitelist[port] = cidrs
    rules = lbi.sg.properties.setdefault("SecurityGroupIngress", [])
    for cidr in cidrs:
        rules.append(ec2.SecurityGroupRule(IpProtocol="tcp", FromPort=port, ToPort=port, CidrIp=cidr,
                                           Description=f"clients of listener {port}"))


def _client_cidrs(ctx, lbi_internal: bool, whitelist, where: str) -> list:
    if whitelist:
        return [text(ctx.static(c, f"{where}.whitelistIps")) for c in whitelist]
    return [VPC_CIDR] if lbi_internal else ["0.0.0.0/0"]


def _build_lb(ctx, key: str, owner: str, prefix: str, ref_part: str, kind: str, interface, where: str) -> LoadBalancer:
    net = network(ctx)
    internal = interface == "internal"
    tag = "Alb" if kind == "application" else "Nlb"
    sg = _lb_security_group(ctx, owner, prefix, tag, key)
    lb = elb.LoadBalancer(
        ctx.id(prefix, tag), Type=kind, Scheme="internal" if internal else "internet-facing",
        Subnets=list(net.subnets(internal)), SecurityGroups=[Ref(sg)], Tags=Tags(Name=f"{ctx.stack_name}-{key}"),
    )
    if not internal:
        lb.DependsOn = [net.public_route_id]  # an internet-facing load balancer needs the internet gateway attached
    ctx.add(owner, lb)
    return LoadBalancer(key, owner, prefix, ref_part, kind, lb, sg, internal, False, where=where)


def _add_certificates(ctx, lbi: LoadBalancer, listener, certs: list) -> None:
    """The first certificate is the listener's default; the others come as a ListenerCertificate."""
    listener.Certificates = [elb.Certificate(CertificateArn=certs[0])]
    if len(certs) > 1:
        ctx.add(lbi.owner, elb.ListenerCertificate(
            listener.title + "Certificates", ListenerArn=Ref(listener),
            Certificates=[elb.Certificate(CertificateArn=c) for c in certs[1:]],
        ))


def _lb_outputs(ctx, lbi: LoadBalancer) -> None:
    dns = GetAtt(lbi.lb, "DNSName")
    if lbi.owner == lbi.key and ctx.type_of(lbi.key) in ("application-load-balancer", "network-load-balancer"):
        ctx.output(lbi.owner, "domain", ctx.id(lbi.prefix, "DnsName"), dns, f"DNS name of load balancer {lbi.key}")
    _alias_records(ctx, lbi.owner, lbi.prefix, lbi.domains, dns, GetAtt(lbi.lb, "CanonicalHostedZoneID"))


def _lb_param(ctx, name: str, kind: str, param: str, domains):
    lid = ctx.id(name, kind)
    if param == "domain":
        return GetAtt(lid, "DNSName")
    if param == "arn":
        return Ref(lid)
    if param == "canonicalHostedZoneId":
        return GetAtt(lid, "CanonicalHostedZoneID")
    if param == "customDomains":
        return _domain_list(ctx, domains)
    return None  # cdnDomain / cdnUrl: no CDN compiled yet


# --- application-load-balancer -------------------------------------------------------------------


def _alb_listener(ctx, alb: LoadBalancer, port: int, protocol: str, certs: list, default_action, where: str):
    listener = elb.Listener(ctx.id(alb.prefix, "AlbListener", str(port)), LoadBalancerArn=Ref(alb.lb), Port=port,
                            Protocol=protocol, DefaultActions=[default_action])
    if protocol == "HTTPS":
        if not certs:
            ctx.invalid(where, f"HTTPS listener {port} has no certificate: add customDomains to the load balancer or"
                               " customCertificateArns to the listener")
            return None
        listener.SslPolicy = SSL_POLICY
    ctx.add(alb.owner, listener)
    if protocol == "HTTPS":
        _add_certificates(ctx, alb, listener, certs)
    alb.listeners[port] = listener
    alb.protocols[port] = protocol
    alb.certificates[port] = list(certs)
    return listener


def _not_found():
    return elb.Action(Type="fixed-response", FixedResponseConfig=elb.FixedResponseConfig(
        StatusCode="404", ContentType="text/plain", MessageBody=NOT_FOUND))


def _redirect(ctx, action, where: str):
    p = action.properties
    kw = {"StatusCode": ctx.static(p.statusCode, f"{where}.statusCode", "HTTP_301")}
    for attr, key in (("protocol", "Protocol"), ("host", "Host"), ("path", "Path"), ("query", "Query")):
        value = getattr(p, attr)
        if value is not None:
            kw[key] = text(ctx.static(value, f"{where}.{attr}", ""))
    if p.port is not None:
        kw["Port"] = text(ctx.static(p.port, f"{where}.port", ""))
    return elb.Action(Type="redirect", RedirectConfig=elb.RedirectConfig(**kw))


def build_alb(ctx, key: str, owner: str, prefix: str, ref_part: str, props, *, internal_default: bool,
              custom_domains, where: str) -> LoadBalancer:
    """An application load balancer with its security group and listeners (and custom domains)."""
    if props is not None:
        interface = ctx.static(props.interface, f"{where}.interface", "internet")
    else:
        interface = "internal" if internal_default else "internet"
    alb = _build_lb(ctx, key, owner, prefix, ref_part, "application", interface, where)
    alb.domains = _domains(ctx, owner, prefix, custom_domains, f"{where}.customDomains")
    domain_certs = [d.certificate for d in alb.domains]
    listeners = props.listeners if props is not None else None
    if listeners:
        alb.custom = True
        for i, li in enumerate(listeners):
            lpath = f"{where}.listeners[{i}]"
            port = int(ctx.static(li.port, f"{lpath}.port", 0))
            protocol = ctx.static(li.protocol, f"{lpath}.protocol", "HTTP")
            if port in alb.listeners:
                ctx.invalid(lpath, f"port {port} is already a listener of this load balancer")
                continue
            own = [ctx.resolve(c, f"{lpath}.customCertificateArns") for c in li.customCertificateArns or ()]
            if own and protocol != "HTTPS":
                ctx.invalid(lpath, "customCertificateArns works only on HTTPS listeners")
            action = _redirect(ctx, li.defaultAction, f"{lpath}.defaultAction.properties") \
                if li.defaultAction is not None else _not_found()
            if _alb_listener(ctx, alb, port, protocol, own + domain_certs, action, lpath) is not None:
                _open_port(ctx, alb, port, _client_cidrs(ctx, alb.internal, li.whitelistIps, lpath))
        alb.default_port = None
    elif domain_certs:  # HTTPS on 443, plain HTTP on 80 redirects to it
        _alb_listener(ctx, alb, 443, "HTTPS", domain_certs, _not_found(), where)
        _alb_listener(ctx, alb, 80, "HTTP", [], elb.Action(Type="redirect", RedirectConfig=elb.RedirectConfig(
            Protocol="HTTPS", Port="443", StatusCode="HTTP_301")), where)
        for port in (443, 80):
            _open_port(ctx, alb, port, _client_cidrs(ctx, alb.internal, None, where))
        alb.default_port = 443
    else:  # no certificate to serve HTTPS with: plain HTTP
        _alb_listener(ctx, alb, 80, "HTTP", [], _not_found(), where)
        _open_port(ctx, alb, 80, _client_cidrs(ctx, alb.internal, None, where))
        alb.default_port = 80
    _lb_outputs(ctx, alb)
    state(ctx).albs[key] = alb
    return alb


@compiler("application-load-balancer")
def compile_application_load_balancer(ctx, name: str, model) -> None:
    props = model.properties
    where = f"resources.{name}.properties"
    _not_compiled_yet(ctx, props, where, ("cdn", "alarms", "useFirewall"), "an application-load-balancer")
    build_alb(ctx, name, name, name, name, props, internal_default=False,
              custom_domains=props.customDomains if props is not None else None, where=where)


@params("application-load-balancer")
def application_load_balancer_param(ctx, name: str, param: str):
    props = ctx.analysis.resources[name].model.properties
    return _lb_param(ctx, name, "Alb", param, props.customDomains if props is not None else None)


def alb_listener(ctx, alb: LoadBalancer, port: int, *, like: int, where: str):
    """The listener on ``port`` (created like listener ``like`` when the load balancer has none there)."""
    if port in alb.listeners:
        return alb.listeners[port]
    protocol = alb.protocols[like]
    listener = _alb_listener(ctx, alb, port, protocol, alb.certificates.get(like, []), _not_found(), where)
    if listener is not None:
        _open_port(ctx, alb, port, alb.whitelist.get(like) or _client_cidrs(ctx, alb.internal, None, where))
    return listener


def _own_alb(ctx, cw) -> LoadBalancer:
    """The load balancer of a web-service / private-service with `loadBalancing: application-load-balancer`."""
    alb = state(ctx).albs.get(cw.name)
    if alb is None:
        props = cw.spec.props
        where = f"resources.{cw.name}.properties"
        if getattr(props, "cors", None) is not None and props.cors.enabled:
            ctx.unsupported(f"{where}.cors", "CORS answered by an application load balancer is not compiled yet"
                                             " (the container can answer CORS itself)")
        alb = build_alb(ctx, cw.name, cw.name, cw.name, "Alb", None,
                        internal_default=cw.spec.type == "private-service",
                        custom_domains=getattr(props, "customDomains", None), where=where)
        _service_url(ctx, cw, alb, "http")
    return alb


def _service_url(ctx, cw, lbi: LoadBalancer, scheme: str) -> None:
    """The `url` output of a one-container service fronted by its own load balancer."""
    if lbi.domains:
        url = f"{'https' if scheme == 'http' else 'tls'}://{lbi.domains[0].name}"
    else:
        url = Sub(f"{scheme}://${{{lbi.lb.title}.DNSName}}")
    ctx.output(cw.name, "url", ctx.id(cw.name, "Url"), url, f"URL of {cw.name}")


def _reserve_priorities(ctx) -> dict:
    """Explicit priorities of every application-load-balancer event, so stp never picks one of them."""
    st = state(ctx)
    if st.reserved is not None:
        return st.reserved
    st.reserved = {}
    events = [(t, f"container '{t.container}' of '{cw.name}'", t.event) for cw in ctx.workloads.values()
              for t in cw.events if t.event_type == "application-load-balancer" and not t.implicit]
    for name, entry in ctx.analysis.resources.items():  # functions' rules go on the same listeners
        props = getattr(entry.model, "properties", None) if entry.type == "function" else None
        events += [(ev, f"function '{name}'", ev) for ev in getattr(props, "events", None) or ()
                   if getattr(ev, "type", None) == "application-load-balancer"]
    for owner, who, ev in events:
        p = ev.properties
        alb = st.albs.get(known_now(ctx, p.loadBalancerName))
        prio = known_now(ctx, p.priority)
        port = known_now(ctx, p.listenerPort) if p.listenerPort is not None else (alb.default_port if alb else None)
        if alb is not None and prio is not None and port is not None:
            st.reserved.setdefault((alb.key, int(port), int(prio)), (owner, who))
    return st.reserved


def take_priority(ctx, alb: LoadBalancer, port: int, who: str, wanted: int | None = None, where: str = "") -> int | None:
    """Claim a rule priority on a listener: ``wanted`` (explicit) or the lowest one nobody uses or reserved."""
    used = alb.used.setdefault(port, {})
    if wanted is not None:
        if wanted in used:
            ctx.invalid(where, f"priority {wanted} on listener {port} of load balancer '{alb.key}' is already used by"
                               f" {used[wanted]}; each rule of a listener needs its own priority")
            return None
        used[wanted] = who
        return wanted
    reserved = _reserve_priorities(ctx)
    prio = 1
    while prio in used or (alb.key, port, prio) in reserved:
        prio += 1
    used[prio] = who
    return prio


def _values(ctx, items, where: str) -> list[str]:
    return [text(ctx.static(v, where, "")) for v in items]


def rule_port(ctx, alb: LoadBalancer, p, where: str) -> int | None:
    """The listener the rule of an `application-load-balancer` event (``p``, of a container or a function) goes
    on: its `listenerPort`, else the load balancer's default listener. None when there is none (reported)."""
    if p.listenerPort is None:
        if alb.default_port is None:
            ctx.invalid(where, f"load balancer '{alb.key}' declares its own listeners; add listenerPort to say which one"
                               " this rule attaches to")
        return alb.default_port
    port = int(ctx.static(p.listenerPort, f"{where}.listenerPort", 0))
    if port not in alb.listeners:
        ports = ", ".join(map(str, alb.listeners)) or "none"
        ctx.invalid(where, f"load balancer '{alb.key}' has no listener on port {port} (its listeners: {ports})")
        return None
    return port


def rule_conditions(ctx, p, where: str) -> list | None:
    """The conditions of the rule of an `application-load-balancer` event; None when it has none or more values
    than AWS allows (reported)."""
    conditions = alb_conditions(ctx, p, where)
    if not conditions:
        ctx.invalid(where, "a load-balancer rule needs at least one condition (paths, methods, hosts, headers,"
                           " queryParams or sourceIps)")
        return None
    values = _condition_values(conditions)
    if values > MAX_CONDITION_VALUES:
        ctx.invalid(where, f"a load-balancer rule matches at most {MAX_CONDITION_VALUES} values in all its"
                           f" conditions together (an AWS limit), this one has {values}; split it into several events")
        return None
    return conditions


def alb_conditions(ctx, p, where: str) -> list:
    """Listener-rule conditions from an application-load-balancer event (all must match)."""
    conds = []
    if p.paths:
        conds.append(elb.Condition(Field="path-pattern", PathPatternConfig=elb.PathPatternConfig(
            Values=_values(ctx, p.paths, f"{where}.paths"))))
    if p.methods:
        conds.append(elb.Condition(Field="http-request-method", HttpRequestMethodConfig=elb.HttpRequestMethodConfig(
            Values=[m.upper() for m in _values(ctx, p.methods, f"{where}.methods")])))
    if p.hosts:
        conds.append(elb.Condition(Field="host-header", HostHeaderConfig=elb.HostHeaderConfig(
            Values=_values(ctx, p.hosts, f"{where}.hosts"))))
    for i, h in enumerate(p.headers or ()):
        hpath = f"{where}.headers[{i}]"
        conds.append(elb.Condition(Field="http-header", HttpHeaderConfig=elb.HttpHeaderConfig(
            HttpHeaderName=text(ctx.static(h.headerName, f"{hpath}.headerName", "")),
            Values=_values(ctx, h.values, f"{hpath}.values"))))
    for i, q in enumerate(p.queryParams or ()):
        qpath = f"{where}.queryParams[{i}]"
        key = text(ctx.static(q.paramName, f"{qpath}.paramName", ""))
        conds.append(elb.Condition(Field="query-string", QueryStringConfig=elb.QueryStringConfig(
            Values=[elb.QueryStringKeyValue(Key=key, Value=v) for v in _values(ctx, q.values, f"{qpath}.values")])))
    if p.sourceIps:
        conds.append(elb.Condition(Field="source-ip", SourceIpConfig=elb.SourceIpConfig(
            Values=_values(ctx, p.sourceIps, f"{where}.sourceIps"))))
    return conds


def _condition_values(conds: list) -> int:
    n = 0
    for c in conds:
        for prop in c.properties.values():
            if hasattr(prop, "properties"):
                n += len(prop.properties.get("Values", []))
    return n


def _health_check(ctx, check, where: str, *, http_default: bool) -> dict:
    """Target-group health check settings from a container's loadBalancerHealthCheck (or the defaults)."""
    protocol = ctx.static(check.healthCheckProtocol, f"{where}.healthCheckProtocol", None) if check is not None else None
    protocol = protocol or ("HTTP" if http_default else "TCP")
    kw = {
        "HealthCheckProtocol": protocol,
        "HealthCheckIntervalSeconds": int(ctx.static(check.healthcheckInterval, f"{where}.healthcheckInterval", 5))
        if check is not None else 5,
        "HealthCheckTimeoutSeconds": int(ctx.static(check.healthcheckTimeout, f"{where}.healthcheckTimeout", 4))
        if check is not None else 4,
    }
    if protocol == "HTTP":
        kw["HealthCheckPath"] = text(ctx.static(check.healthcheckPath, f"{where}.healthcheckPath", "/")) \
            if check is not None else "/"
    if check is not None and check.healthCheckPort is not None:
        kw["HealthCheckPort"] = text(ctx.static(check.healthCheckPort, f"{where}.healthCheckPort", "traffic-port"))
    return kw


def _container_health_check(cw, container: str):
    return next((c.lb_health_check for c in cw.spec.containers if c.name == container), None)


def target_group(ctx, cw, lb_ref: str, key_part: str, port: int, protocol: str, health: dict):
    """A target group of task IPs (awsvpc), owned by the workload."""
    return ctx.add(cw.name, elb.TargetGroup(
        ctx.id(cw.name, lb_ref, key_part, "TargetGroup"), TargetType="ip", Port=port, Protocol=protocol,
        VpcId=network(ctx).vpc, Tags=Tags(Name=f"{ctx.stack_name}-{cw.name}"), **health,
    ))


def attach_target_group(ctx, cw, tg, container: str, port: int, where: str) -> None:
    """Register the workload's tasks in a target group (one ECS LoadBalancers entry per target group)."""
    entries = _load_balancers_of(cw.service)
    if len(entries) >= MAX_TARGET_GROUPS_PER_SERVICE:
        ctx.invalid(where, f"ECS attaches at most {MAX_TARGET_GROUPS_PER_SERVICE} target groups to a service, and"
                           f" '{cw.name}' already has {len(entries)}; route more paths through fewer load-balancer"
                           " events")
        return
    entries.append(ecs.LoadBalancer(ContainerName=container, ContainerPort=port, TargetGroupArn=Ref(tg)))


@hook("event", "application-load-balancer")
def alb_event(ctx, t) -> None:
    cw = t.workload
    where = _event_where(cw, t)
    st = state(ctx)
    who = f"container '{t.container}' of '{cw.name}'"
    if t.implicit:
        alb = _own_alb(ctx, cw)
        port = alb.default_port
        conditions = [elb.Condition(Field="path-pattern", PathPatternConfig=elb.PathPatternConfig(Values=["*"]))]
        priority = take_priority(ctx, alb, port, who)
        check = None
    else:
        p = t.event.properties
        alb = st.albs.get(str(ctx.static(p.loadBalancerName, f"{where}.loadBalancerName", "")))
        if alb is None:
            return  # not an application load balancer of this config, or it failed to compile (reported already)
        port = rule_port(ctx, alb, p, where)
        if port is None:
            return
        conditions = rule_conditions(ctx, p, where)
        if conditions is None:
            return
        reserved = _reserve_priorities(ctx)
        wanted = int(ctx.static(p.priority, f"{where}.priority", 0))
        first = reserved.get((alb.key, port, wanted))
        if first is not None and first[0] is not t:
            ctx.invalid(where, f"priority {wanted} on listener {port} of load balancer '{alb.key}' is already used by"
                               f" {first[1]}")
            return
        priority = take_priority(ctx, alb, port, who, wanted, where)
        check = _container_health_check(cw, t.container)
    if priority is None or port not in alb.listeners:
        return
    # one target group per port, or per rule when gradual deployments need a target-group pair for each rule
    per_rule = cw.spec.deployment is not None
    rule_part = f"Listener{port}Rule{priority}"
    key = (cw.name, alb.key, rule_part if per_rule else t.port)
    tg = st.target_groups.get(key)
    if tg is None:
        health = _health_check(ctx, check, f"{where}.loadBalancerHealthCheck", http_default=True)
        if health["HealthCheckProtocol"] != "HTTP":
            ctx.invalid(where, "an application load balancer checks its targets over HTTP; healthCheckProtocol TCP works"
                               " with network load balancers only")
            return
        tg = st.target_groups[key] = target_group(ctx, cw, alb.ref_part, rule_part if per_rule else f"Port{t.port}",
                                                  t.port, "HTTP", health)
        attach_target_group(ctx, cw, tg, t.container, t.port, where)
    rule = ctx.add(cw.name, elb.ListenerRule(
        ctx.id(cw.name, alb.ref_part, rule_part), ListenerArn=Ref(alb.listeners[port]), Priority=priority,
        Conditions=conditions, Actions=[elb.ListenerRuleAction(Type="forward", TargetGroupArn=Ref(tg))],
    ))
    add_depends_on(cw.service, rule.title)  # the target group must belong to the load balancer before ECS uses it
    st.bindings.setdefault(cw.name, []).append(
        AlbBinding(alb, port, rule, tg, t.container, t.port, conditions, priority, rule_part))
    _admit_lb(ctx, cw, alb, tg, t.port)


def _admit_lb(ctx, cw, lbi: LoadBalancer, tg, port: int) -> None:
    """Let the load balancer reach the traffic port (and a separate health-check port) of the tasks."""
    what = f"{'' if lbi.kind == 'application' else 'network '}load balancer {lbi.key}"
    _admit(ctx, cw, lbi.sg, lbi.ref_part, port, what)
    hc_port = tg.properties.get("HealthCheckPort")
    if hc_port not in (None, "traffic-port") and str(hc_port).isdigit() and int(hc_port) != port:
        _admit(ctx, cw, lbi.sg, lbi.ref_part, int(hc_port), f"health checks of {what}")


# --- network-load-balancer -----------------------------------------------------------------------


@dataclass
class _NlbListenerSpec:
    port: int
    protocol: str
    certificates: list
    cidrs: list
    where: str


def build_nlb(ctx, key: str, owner: str, prefix: str, ref_part: str, interface, listeners: list, custom_domains,
              where: str) -> LoadBalancer:
    """A network load balancer and its security group; listeners are added by the events that use them."""
    nlb = _build_lb(ctx, key, owner, prefix, ref_part, "network", interface, where)
    needs_certs = any(li.protocol == "TLS" for li in listeners)
    nlb.domains = _domains(ctx, owner, prefix, custom_domains, f"{where}.customDomains", need_certificate=needs_certs)
    nlb.custom = True
    for li in listeners:
        if li.port in nlb.specs:
            ctx.invalid(li.where, f"port {li.port} is already a listener of this load balancer")
            continue
        certs = li.certificates + [d.certificate for d in nlb.domains if d.certificate is not None]
        if li.protocol == "TLS" and not certs:
            ctx.invalid(li.where, f"TLS listener {li.port} has no certificate: add customDomains or"
                                  " customCertificateArns, or use protocol TCP")
            continue
        if li.protocol != "TLS" and li.certificates:
            ctx.invalid(li.where, "customCertificateArns works only on TLS listeners")
        li.certificates = certs
        nlb.specs[li.port] = li
        _open_port(ctx, nlb, li.port, li.cidrs)
    _lb_outputs(ctx, nlb)
    state(ctx).nlbs[key] = nlb
    ctx.defer(lambda: _nlb_unused(ctx, nlb), CHECK_ORDER)
    return nlb


def _nlb_unused(ctx, nlb: LoadBalancer) -> None:
    for port, spec in nlb.specs.items():
        if port not in nlb.listeners:
            ctx.invalid(spec.where, f"no container receives the traffic of listener {port}: add a network-load-balancer"
                                    f" event with loadBalancerName '{nlb.key}' and listenerPort {port}, or remove it")


@compiler("network-load-balancer")
def compile_network_load_balancer(ctx, name: str, model) -> None:
    props = model.properties
    where = f"resources.{name}.properties"
    interface = ctx.static(props.interface, f"{where}.interface", "internet")
    specs = []
    for i, li in enumerate(props.listeners):
        lpath = f"{where}.listeners[{i}]"
        specs.append(_NlbListenerSpec(
            port=int(ctx.static(li.port, f"{lpath}.port", 0)), protocol=ctx.static(li.protocol, f"{lpath}.protocol", "TCP"),
            certificates=[ctx.resolve(c, f"{lpath}.customCertificateArns") for c in li.customCertificateArns or ()],
            cidrs=_client_cidrs(ctx, interface == "internal", li.whitelistIps, lpath), where=lpath,
        ))
    if not specs:
        ctx.invalid(where, "a network load balancer needs at least one listener")
    build_nlb(ctx, name, name, name, name, interface, specs, props.customDomains, where)


@params("network-load-balancer")
def network_load_balancer_param(ctx, name: str, param: str):
    props = ctx.analysis.resources[name].model.properties
    return _lb_param(ctx, name, "Nlb", param, props.customDomains)


def _own_nlb(ctx, cw) -> LoadBalancer:
    nlb = state(ctx).nlbs.get(cw.name)
    if nlb is None:
        props = cw.spec.props
        where = f"resources.{cw.name}.properties.loadBalancing.properties"
        specs = [
            _NlbListenerSpec(port=int(ctx.static(p.port, f"{where}.ports[{i}].port", 0)),
                             protocol=ctx.static(p.protocol, f"{where}.ports[{i}].protocol", "TLS"), certificates=[],
                             cidrs=["0.0.0.0/0"], where=f"{where}.ports[{i}]")
            for i, p in enumerate(props.loadBalancing.properties.ports)
        ]
        nlb = build_nlb(ctx, cw.name, cw.name, cw.name, "Nlb", "internet", specs, getattr(props, "customDomains", None),
                        f"resources.{cw.name}.properties")
        _service_url(ctx, cw, nlb, "tcp")
    return nlb


@hook("event", "network-load-balancer")
def nlb_event(ctx, t) -> None:
    cw = t.workload
    where = _event_where(cw, t)
    if t.implicit:
        nlb = _own_nlb(ctx, cw)
        port = int(ctx.static(t.settings.port, f"{where}.properties.ports.port", 0))
        lbp = cw.spec.props.loadBalancing.properties
        check_where = f"{where}.properties"
        health = _health_check(ctx, lbp, check_where, http_default=False)
    else:
        p = t.event.properties
        nlb = state(ctx).nlbs.get(str(ctx.static(p.loadBalancerName, f"{where}.loadBalancerName", "")))
        if nlb is None:
            return
        port = int(ctx.static(p.listenerPort, f"{where}.listenerPort", 0))
        health = _health_check(ctx, _container_health_check(cw, t.container), f"{where}.loadBalancerHealthCheck",
                               http_default=False)
    spec = nlb.specs.get(port)
    if spec is None:
        ctx.invalid(where, f"network load balancer '{nlb.key}' has no listener on port {port} (its listeners:"
                           f" {', '.join(map(str, nlb.specs)) or 'none'})")
        return
    if port in nlb.listeners:
        ctx.invalid(where, f"listener {port} of network load balancer '{nlb.key}' already forwards to another"
                           " container; a listener sends its traffic to one container only")
        return
    tg = target_group(ctx, cw, nlb.ref_part, f"Listener{port}", t.port, "TCP", health)
    listener = elb.Listener(
        ctx.id(nlb.prefix, "NlbListener", str(port)), LoadBalancerArn=Ref(nlb.lb), Port=port, Protocol=spec.protocol,
        DefaultActions=[elb.Action(Type="forward", TargetGroupArn=Ref(tg))],
    )
    if spec.protocol == "TLS":
        listener.SslPolicy = SSL_POLICY
    ctx.add(nlb.owner, listener)
    if spec.protocol == "TLS":
        _add_certificates(ctx, nlb, listener, spec.certificates)
    nlb.listeners[port] = listener
    attach_target_group(ctx, cw, tg, t.container, t.port, where)
    add_depends_on(cw.service, listener.title)
    _admit_lb(ctx, cw, nlb, tg, t.port)


# --- service connect -----------------------------------------------------------------------------


def _connect_namespace(ctx):
    st = state(ctx)
    if st.connect_namespace is None:
        st.connect_namespace = ctx.add(SHARED, sd.HttpNamespace(
            "ServiceConnectNamespace", Name=kebab(ctx.stack_name),
            Description=f"Service Connect names of the workloads of {ctx.stack_name}",
        ))
        st.connect_clients_sg = ctx.add(SHARED, ec2.SecurityGroup(
            "ServiceConnectClientSecurityGroup", VpcId=network(ctx).vpc,
            GroupDescription=f"Workloads of {ctx.stack_name} that call service-connect ports",
            Tags=Tags(Name=f"{ctx.stack_name}-service-connect-clients"),
        ))
        ctx.defer(lambda: _enroll_clients(ctx), HOOK_ORDER + 1)  # after every hook: all workloads join as clients
    return st.connect_namespace


def _enroll_clients(ctx) -> None:
    """Every workload of the stack can reach service-connect ports by alias: it joins the namespace."""
    st = state(ctx)
    for cw in ctx.workloads.values():
        props = cw.service.properties
        if "ServiceConnectConfiguration" not in props:
            props["ServiceConnectConfiguration"] = ecs.ServiceConnectConfiguration(
                Enabled=True, Namespace=GetAtt(st.connect_namespace, "Arn"))
        groups = props["NetworkConfiguration"].AwsvpcConfiguration.SecurityGroups
        if not any(getattr(g, "data", None) == {"Ref": st.connect_clients_sg.title} for g in groups):
            groups.append(Ref(st.connect_clients_sg))


def connect_alias(workload: str, container: str, implicit: bool) -> str:
    """Default host name of a service-connect port: the resource name (and the container's) in kebab case."""
    return kebab(workload) if implicit else f"{kebab(workload)}-{kebab(container)}"


def _name_port(cw, container: str, port: int, name: str, protocol) -> bool:
    mappings = cw.containers[container].properties.get("PortMappings", [])
    for m in mappings:
        if m.properties.get("ContainerPort") == port:
            m.Name = name
            if protocol:
                m.AppProtocol = protocol
            return True
    return False


@hook("event", "service-connect")
def service_connect_event(ctx, t) -> None:
    cw = t.workload
    where = _event_where(cw, t)
    ns = _connect_namespace(ctx)
    if t.implicit:
        alias = connect_alias(cw.name, t.container, True)
        protocol = ctx.static(getattr(cw.spec.props, "protocol", None), f"resources.{cw.name}.properties.protocol", None)
    else:
        p = t.event.properties
        alias = text(ctx.static(p.alias, f"{where}.alias", "")) if p.alias is not None else \
            connect_alias(cw.name, t.container, False)
        protocol = ctx.static(p.protocol, f"{where}.protocol", None)
    if not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", alias or ""):
        ctx.invalid(where, f"alias '{alias}' is not a host name: use lowercase letters, digits and inner dashes"
                           " (at most 63)")
        return
    port_name = f"{kebab(t.container)}-{t.port}"
    if not _name_port(cw, t.container, t.port, port_name, protocol):
        return
    props = cw.service.properties
    config = props.get("ServiceConnectConfiguration")
    if config is None or "Services" not in config.properties:
        config = props["ServiceConnectConfiguration"] = ecs.ServiceConnectConfiguration(
            Enabled=True, Namespace=GetAtt(ns, "Arn"), Services=[])
    if any(s.properties.get("DiscoveryName") == alias for s in config.Services):
        ctx.invalid(where, f"alias '{alias}' is used twice in '{cw.name}'")
        return
    config.Services.append(ecs.ServiceConnectService(
        PortName=port_name, DiscoveryName=alias, ClientAliases=[ecs.ServiceConnectClientAlias(Port=t.port, DnsName=alias)],
    ))
    _admit(ctx, cw, state(ctx).connect_clients_sg, "ServiceConnect", t.port, "workloads of the stack (Service Connect)")


# --- parameters of the one-container services ----------------------------------------------------


def _entry_kind(props, default: str) -> str:
    lb = getattr(props, "loadBalancing", None)
    return lb.type if lb is not None else default


@params("web-service")
def web_service_param(ctx, name: str, param: str):
    props = ctx.analysis.resources[name].model.properties
    domains = props.customDomains
    kind = _entry_kind(props, "http-api-gateway")
    if param == "customDomains":
        return _domain_list(ctx, domains)
    if param not in ("url", "domain"):
        return None  # cdnDomain / cdnUrl: no CDN compiled yet
    names = _domain_names(ctx, domains)
    if names:
        scheme = "tls" if kind == "network-load-balancer" else "https"
        return f"{scheme}://{names[0]}" if param == "url" else names[0]
    if kind == "http-api-gateway":
        api_id = ctx.id(name, "HttpApi")
        if param == "url":
            return GetAtt(api_id, "ApiEndpoint")
        return Sub(f"${{{api_id}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}")
    lid = ctx.id(name, "Alb" if kind == "application-load-balancer" else "Nlb")
    if param == "domain":
        return GetAtt(lid, "DNSName")
    scheme = "http" if kind == "application-load-balancer" else "tcp"
    return Sub(f"{scheme}://${{{lid}.DNSName}}")


@params("private-service")
def private_service_param(ctx, name: str, param: str):
    if param != "address":
        return None
    props = ctx.analysis.resources[name].model.properties
    port = known_now(ctx, props.port) if props.port is not None else DEFAULT_SERVICE_PORT
    if _entry_kind(props, "service-connect") == "application-load-balancer":
        return Sub(f"${{{ctx.id(name, 'Alb')}.DNSName}}:80")
    return f"{connect_alias(name, name, True)}:{text(port)}"
