"""Ingress compiled to CloudFormation: gateways, load balancers and the traffic they bring to containers."""

from __future__ import annotations

import pytest

from core.compile import registry
from tests.conftest import EXAMPLES
from tests.core.compile_support import compile_yaml, container, lint_errors, of_type, problems_by_place, props, template_of

GATEWAY = """
resources:
  gateway:
    type: http-api-gateway
    properties:
      cors:
        enabled: true
        allowedOrigins: ['https://app.example.com']
        allowedMethods: [GET, POST]
        maxAge: 600
      logging:
        format: CLF
        retentionDays: 14
  api:
    type: multi-container-workload
    properties:
      resources: {cpu: 0.25, memory: 512}
      containers:
        - name: web
          packaging: {type: prebuilt-image, properties: {image: 'acme/web:1'}}
          events:
            - type: http-api-gateway
              properties: {httpApiGatewayName: gateway, containerPort: 3000, path: '/{proxy+}', method: '*'}
            - type: http-api-gateway
              properties: {httpApiGatewayName: gateway, containerPort: 3000, path: '/users/{id}', method: GET}
        - name: cache
          packaging: {type: prebuilt-image, properties: {image: 'redis:7'}}
          essential: false
          events:
            - type: workload-internal
              properties: {containerPort: 6379}
  admin:
    type: multi-container-workload
    properties:
      resources: {cpu: 0.25, memory: 512}
      containers:
        - name: ui
          packaging: {type: prebuilt-image, properties: {image: 'acme/admin:1'}}
          events:
            - type: http-api-gateway
              properties: {httpApiGatewayName: gateway, containerPort: 8080, path: /admin, method: '*'}
  reporter:
    type: worker-service
    properties:
      packaging: {type: prebuilt-image, properties: {image: 'acme/reporter:1'}}
      resources: {cpu: 0.25, memory: 512}
      environment:
        - name: API_URL
          value: $ResourceParam('gateway', 'url')
"""

ALB = """
resources:
  lb:
    type: application-load-balancer
  api:
    type: multi-container-workload
    properties:
      resources: {cpu: 0.25, memory: 512}
      containers:
        - name: web
          packaging: {type: prebuilt-image, properties: {image: 'acme/web:1'}}
          loadBalancerHealthCheck:
            healthcheckPath: /health
            healthcheckInterval: 10
          events:
            - type: application-load-balancer
              properties:
                loadBalancerName: lb
                containerPort: 8080
                priority: 10
                paths: ['/api/*']
                methods: [get, POST]
                hosts: [api.example.com]
                headers:
                  - headerName: X-Tenant
                    values: [acme]
            - type: application-load-balancer
              properties:
                loadBalancerName: lb
                containerPort: 8080
                priority: 20
                queryParams:
                  - paramName: version
                    values: ['2', '3']
                sourceIps: [10.0.0.0/8]
  docs:
    type: multi-container-workload
    properties:
      resources: {cpu: 0.25, memory: 512}
      containers:
        - name: site
          packaging: {type: prebuilt-image, properties: {image: 'acme/docs:1'}}
          events:
            - type: application-load-balancer
              properties: {loadBalancerName: lb, containerPort: 80, priority: 5, paths: ['/docs/*']}
"""

DOMAINS = """
resources:
  lb:
    type: application-load-balancer
    properties:
      customDomains:
        - domainName: api.example.com
        - domainName: www.example.com
          customCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/www'
          disableDnsRecordCreation: true
  api:
    type: multi-container-workload
    properties:
      resources: {cpu: 0.25, memory: 512}
      containers:
        - name: web
          packaging: {type: prebuilt-image, properties: {image: 'acme/web:1'}}
          events:
            - type: application-load-balancer
              properties: {loadBalancerName: lb, containerPort: 8080, priority: 1, paths: ['*']}
"""

CUSTOM_LISTENERS = """
resources:
  lb:
    type: application-load-balancer
    properties:
      interface: internal
      listeners:
        - port: 8443
          protocol: HTTPS
          customCertificateArns: ['arn:aws:acm:us-east-1:123456789012:certificate/one']
          whitelistIps: [10.1.0.0/16]
        - port: 8000
          protocol: HTTP
          defaultAction:
            type: redirect
            properties: {statusCode: HTTP_302, protocol: HTTPS, port: 8443}
        - port: 9000
          protocol: HTTP
  api:
    type: multi-container-workload
    properties:
      resources: {cpu: 0.25, memory: 512}
      containers:
        - name: web
          packaging: {type: prebuilt-image, properties: {image: 'acme/web:1'}}
          events:
            - type: application-load-balancer
              properties: {loadBalancerName: lb, listenerPort: 8443, containerPort: 8080, priority: 1, paths: ['/*']}
            - type: application-load-balancer
              properties: {loadBalancerName: lb, listenerPort: 9000, containerPort: 8080, priority: 1, paths: ['/*']}
"""

NLB = """
resources:
  nlb:
    type: network-load-balancer
    properties:
      listeners:
        - port: 5432
          protocol: TCP
          whitelistIps: [203.0.113.0/24]
        - port: 443
          protocol: TLS
          customCertificateArns: ['arn:aws:acm:us-east-1:123456789012:certificate/abc']
  db:
    type: multi-container-workload
    properties:
      resources: {cpu: 0.25, memory: 512}
      containers:
        - name: pg
          packaging: {type: prebuilt-image, properties: {image: 'postgres:16'}}
          loadBalancerHealthCheck:
            healthCheckProtocol: TCP
            healthcheckInterval: 10
          events:
            - type: network-load-balancer
              properties: {loadBalancerName: nlb, listenerPort: 5432, containerPort: 5432}
            - type: network-load-balancer
              properties: {loadBalancerName: nlb, listenerPort: 443, containerPort: 8443}
"""

SERVICES = """
resources:
  front:
    type: web-service
    properties:
      packaging: {type: prebuilt-image, properties: {image: 'acme/front:1'}}
      resources: {cpu: 0.25, memory: 512}
      cors: {enabled: true}
      environment:
        - name: ORDERS_ADDRESS
          value: $ResourceParam('orders', 'address')
  orders:
    type: private-service
    properties:
      packaging: {type: prebuilt-image, properties: {image: 'acme/orders:1'}}
      resources: {cpu: 0.25, memory: 512}
      port: 8080
      protocol: http
  shop:
    type: web-service
    properties:
      packaging: {type: prebuilt-image, properties: {image: 'acme/shop:1'}}
      resources: {cpu: 0.25, memory: 512}
      loadBalancing: {type: application-load-balancer}
      customDomains: [{domainName: shop.example.com}]
  tcp:
    type: web-service
    properties:
      packaging: {type: prebuilt-image, properties: {image: 'acme/tcp:1'}}
      resources: {cpu: 0.25, memory: 512}
      port: 9001
      loadBalancing:
        type: network-load-balancer
        properties:
          ports:
            - port: 9000
              containerPort: 9001
              protocol: TCP
  inner:
    type: private-service
    properties:
      packaging: {type: prebuilt-image, properties: {image: 'acme/inner:1'}}
      resources: {cpu: 0.25, memory: 512}
      loadBalancing: {type: application-load-balancer}
  worker:
    type: worker-service
    properties:
      packaging: {type: prebuilt-image, properties: {image: 'acme/worker:1'}}
      resources: {cpu: 0.25, memory: 512}
      environment:
        - name: FRONT_URL
          value: $ResourceParam('front', 'url')
"""

CONNECT = """
resources:
  backend:
    type: multi-container-workload
    properties:
      resources: {cpu: 0.25, memory: 512}
      containers:
        - name: grpc
          packaging: {type: prebuilt-image, properties: {image: 'acme/grpc:1'}}
          events:
            - type: service-connect
              properties: {containerPort: 50051, alias: orders, protocol: grpc}
        - name: metrics
          packaging: {type: prebuilt-image, properties: {image: 'acme/metrics:1'}}
          essential: false
          events:
            - type: service-connect
              properties: {containerPort: 9100}
  client:
    type: worker-service
    properties:
      packaging: {type: prebuilt-image, properties: {image: 'acme/client:1'}}
      resources: {cpu: 0.25, memory: 512}
"""

MIXED = """
resources:
  gw:
    type: http-api-gateway
  lb:
    type: application-load-balancer
    properties:
      interface: internal
  api:
    type: multi-container-workload
    properties:
      resources: {instanceTypes: [c5.large]}
      usePrivateSubnetsWithNAT: true
      containers:
        - name: web
          packaging: {type: prebuilt-image, properties: {image: 'acme/web:1'}}
          loadBalancerHealthCheck: {healthcheckPath: /hc, healthCheckPort: 9090}
          events:
            - type: application-load-balancer
              properties: {loadBalancerName: lb, containerPort: 8080, priority: 1, paths: ['*']}
            - type: http-api-gateway
              properties: {httpApiGatewayName: gw, containerPort: 8080, path: '*', method: '*'}
            - type: service-connect
              properties: {containerPort: 8080}
"""


@pytest.mark.parametrize(
    "config", [GATEWAY, ALB, DOMAINS, CUSTOM_LISTENERS, NLB, SERVICES, CONNECT, MIXED],
    ids=["http-api", "alb", "alb-domains", "alb-custom-listeners", "nlb", "one-container-services", "service-connect",
         "ec2-private-all-entry-points"],
)
def test_every_compiled_template_passes_cfn_lint(config):
    assert lint_errors(template_of(config)) == []


def test_example_api_with_sidecar_compiles():
    t = compile_yaml((EXAMPLES / "api-with-sidecar" / "stacktape.yml").read_text()).template
    assert props(t, "ApiGatewayAnyProxyRoute")["RouteKey"] == "ANY /{proxy+}"
    assert props(t, "GatewayHttpApi")["CorsConfiguration"]["AllowOrigins"] == ["*"]
    assert lint_errors(t) == []


# --- http-api-gateway ----------------------------------------------------------------------------


def test_http_api_with_auto_deployed_default_stage_cors_and_access_logs():
    t = template_of(GATEWAY)
    api = props(t, "GatewayHttpApi")
    assert api["ProtocolType"] == "HTTP" and api["Name"] == "demo-dev-gateway"
    assert api["CorsConfiguration"] == {
        "AllowOrigins": ["https://app.example.com"], "AllowMethods": ["GET", "POST"], "AllowHeaders": ["*"], "MaxAge": 600,
    }
    stage = props(t, "GatewayHttpApiStage")
    assert stage["StageName"] == "$default" and stage["AutoDeploy"] is True
    logs = stage["AccessLogSettings"]
    assert logs["DestinationArn"] == {"Fn::GetAtt": ["GatewayHttpApiAccessLogs", "Arn"]}
    assert logs["Format"].startswith("$context.identity.sourceIp - - [$context.requestTime]")  # CLF
    assert "$context.requestId" in logs["Format"]
    assert props(t, "GatewayHttpApiAccessLogs")["RetentionInDays"] == 14
    assert t["Outputs"]["GatewayUrl"]["Value"] == {"Fn::GetAtt": ["GatewayHttpApi", "ApiEndpoint"]}
    assert t["Metadata"]["Stp"]["resources"]["gateway"]["outputs"] == {"url": "GatewayUrl"}


def test_access_logs_are_json_by_default_and_can_be_turned_off():
    t = template_of(GATEWAY.replace("        format: CLF\n        retentionDays: 14\n", "        retentionDays: 14\n"))
    assert props(t, "GatewayHttpApiStage")["AccessLogSettings"]["Format"].startswith('{"requestId":"$context.requestId"')
    t = template_of(GATEWAY.replace("        format: CLF\n", "        disabled: true\n"))
    assert "AccessLogSettings" not in props(t, "GatewayHttpApiStage")
    assert "GatewayHttpApiAccessLogs" not in t["Resources"]


def test_routes_reach_containers_through_one_vpc_link_and_cloud_map():
    t = template_of(GATEWAY)
    routes = {p["RouteKey"]: p for p in (v["Properties"] for v in of_type(t, "AWS::ApiGatewayV2::Route").values())}
    assert set(routes) == {"ANY /{proxy+}", "GET /users/{id}", "ANY /admin"}
    assert routes["GET /users/{id}"]["Target"] == {"Fn::Join": ["/", ["integrations", {"Ref": "ApiGatewayIntegration"}]]}
    assert routes["ANY /admin"]["Target"]["Fn::Join"][1][1] == {"Ref": "AdminGatewayIntegration"}
    assert {"ApiGatewayAnyProxyRoute", "ApiGatewayGetUsersIdRoute", "AdminGatewayAnyAdminRoute"} <= set(t["Resources"])
    # one VPC link for the gateway, one integration per workload
    assert list(of_type(t, "AWS::ApiGatewayV2::VpcLink")) == ["GatewayVpcLink"]
    link = props(t, "GatewayVpcLink")
    assert link["SubnetIds"] == [{"Ref": "VpcPrivateSubnet1"}, {"Ref": "VpcPrivateSubnet2"}]
    assert link["SecurityGroupIds"] == [{"Ref": "GatewayVpcLinkSecurityGroup"}]
    integration = props(t, "ApiGatewayIntegration")
    assert integration == {
        "ApiId": {"Ref": "GatewayHttpApi"}, "IntegrationType": "HTTP_PROXY", "IntegrationMethod": "ANY",
        "ConnectionType": "VPC_LINK", "ConnectionId": {"Ref": "GatewayVpcLink"},
        "IntegrationUri": {"Fn::GetAtt": ["ApiDiscoveryService", "Arn"]}, "PayloadFormatVersion": "1.0",
    }
    assert len(of_type(t, "AWS::ApiGatewayV2::Integration")) == 2
    # tasks register SRV records (address and port) in the stack's private namespace
    assert list(of_type(t, "AWS::ServiceDiscovery::PrivateDnsNamespace")) == ["ServiceDiscoveryNamespace"]
    assert props(t, "ServiceDiscoveryNamespace")["Name"] == "demo-dev.internal"
    discovery = props(t, "ApiDiscoveryService")
    assert discovery["DnsConfig"]["DnsRecords"] == [{"Type": "SRV", "TTL": 60}]
    assert discovery["NamespaceId"] == {"Fn::GetAtt": ["ServiceDiscoveryNamespace", "Id"]}
    assert props(t, "ApiService")["ServiceRegistries"] == [
        {"RegistryArn": {"Fn::GetAtt": ["ApiDiscoveryService", "Arn"]}, "ContainerName": "web", "ContainerPort": 3000}
    ]
    assert container(t, "ApiTaskDefinition", "web")["PortMappings"] == [{"ContainerPort": 3000, "Protocol": "tcp"}]


def test_only_the_vpc_link_reaches_the_gateway_port_and_internal_ports_stay_closed():
    t = template_of(GATEWAY)
    rules = {k: v["Properties"] for k, v in of_type(t, "AWS::EC2::SecurityGroupIngress").items()}
    assert rules["ApiGatewayVpcLinkPort3000Ingress"] == {
        "GroupId": {"Ref": "ApiSecurityGroup"}, "IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000,
        "SourceSecurityGroupId": {"Ref": "GatewayVpcLinkSecurityGroup"}, "Description": "HTTP API gateway (VPC link)",
    }
    assert rules["AdminGatewayVpcLinkPort8080Ingress"]["GroupId"] == {"Ref": "AdminSecurityGroup"}
    assert not [r for r in rules.values() if r["FromPort"] == 6379]  # workload-internal: localhost only
    assert container(t, "ApiTaskDefinition", "cache")["PortMappings"] == [{"ContainerPort": 6379, "Protocol": "tcp"}]


def test_gateway_parameters_for_other_resources():
    t = template_of(GATEWAY)
    env = container(t, "ReporterTaskDefinition", "reporter")["Environment"]
    assert env == [{"Name": "API_URL", "Value": {"Fn::GetAtt": ["GatewayHttpApi", "ApiEndpoint"]}}]


def test_catch_all_path_becomes_the_default_route():
    t = template_of(GATEWAY.replace("path: /admin, method: '*'", "path: '*', method: '*'"))
    assert props(t, "AdminGatewayDefaultRoute")["RouteKey"] == "$default"


def test_custom_domain_of_a_gateway():
    text = GATEWAY.replace("      logging:\n", "      customDomains:\n        - domainName: api.example.com\n      logging:\n")
    t = template_of(text)
    assert props(t, "GatewayApiExampleComCertificate") == {
        "DomainName": "api.example.com", "ValidationMethod": "DNS",
        "DomainValidationOptions": [{"DomainName": "api.example.com", "HostedZoneId": {"Ref": "ApiExampleComHostedZoneId"}}],
        "Tags": [{"Key": "Name", "Value": "demo-dev-gateway"}],
    }
    assert t["Parameters"]["ApiExampleComHostedZoneId"]["Type"] == "AWS::Route53::HostedZone::Id"
    domain = props(t, "GatewayApiExampleComDomainName")
    assert domain["DomainNameConfigurations"] == [{
        "CertificateArn": {"Ref": "GatewayApiExampleComCertificate"}, "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2",
    }]
    assert props(t, "GatewayApiExampleComApiMapping") == {
        "ApiId": {"Ref": "GatewayHttpApi"}, "DomainName": {"Ref": "GatewayApiExampleComDomainName"},
        "Stage": {"Ref": "GatewayHttpApiStage"},
    }
    record = props(t, "GatewayApiExampleComDnsRecord")
    assert record["Name"] == "api.example.com" and record["Type"] == "A"
    assert record["AliasTarget"] == {
        "DNSName": {"Fn::GetAtt": ["GatewayApiExampleComDomainName", "RegionalDomainName"]},
        "HostedZoneId": {"Fn::GetAtt": ["GatewayApiExampleComDomainName", "RegionalHostedZoneId"]},
    }
    assert t["Outputs"]["GatewayUrl"]["Value"] == "https://api.example.com"
    assert lint_errors(t) == []


LAMBDA_AUTH = """
          events:
            - type: http-api-gateway
              properties:
                httpApiGatewayName: gateway
                containerPort: 8080
                path: /admin
                method: '*'
                authorizer:
                  type: lambda
                  properties:
                    functionName: checkToken
                    cacheResultSeconds: 60
  checkToken:
    type: function
    properties:
      packaging:
        type: stacktape-lambda-buildpack
        properties:
          entryfilePath: src/auth.ts
"""

# the function compiler is not written yet: the function's Lambda stands in as a CloudFormation resource
# under the logical id the function compiler will give it (<Name>Function)
CHECK_TOKEN_LAMBDA = """
cloudformationResources:
  CheckTokenRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
  CheckTokenFunction:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: $CfResourceParam('CheckTokenRole', 'Arn')
      Code: {ZipFile: 'def handler(event, context): return {"isAuthorized": True}'}
"""


def test_lambda_authorizer(monkeypatch):
    monkeypatch.setitem(registry.COMPILERS, "function", lambda ctx, name, model: None)
    text = GATEWAY.replace(
        "          events:\n            - type: http-api-gateway\n              properties: {httpApiGatewayName: gateway,"
        " containerPort: 8080, path: /admin, method: '*'}\n", LAMBDA_AUTH) + CHECK_TOKEN_LAMBDA
    t = template_of(text)
    auth = props(t, "GatewayCheckTokenAuthorizer")
    assert auth["AuthorizerType"] == "REQUEST" and auth["AuthorizerPayloadFormatVersion"] == "2.0"
    assert auth["EnableSimpleResponses"] is True and auth["AuthorizerResultTtlInSeconds"] == 60
    assert auth["IdentitySource"] == ["$request.header.Authorization"]
    assert auth["AuthorizerUri"]["Fn::Sub"][1] == {"Arn": {"Fn::GetAtt": ["CheckTokenFunction", "Arn"]}}
    permission = props(t, "GatewayCheckTokenAuthorizerPermission")
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["FunctionName"] == {"Fn::GetAtt": ["CheckTokenFunction", "Arn"]}
    route = props(t, "AdminGatewayAnyAdminRoute")
    assert route["AuthorizationType"] == "CUSTOM" and route["AuthorizerId"] == {"Ref": "GatewayCheckTokenAuthorizer"}
    assert "AuthorizationType" not in props(t, "ApiGatewayAnyProxyRoute")
    assert lint_errors(t) == []


def test_cognito_authorizer_uses_the_user_pool_parameters(monkeypatch):
    monkeypatch.setitem(registry.COMPILERS, "user-auth-pool", lambda ctx, name, model: None)
    pool_params = {"id": "us-east-1_AbCdEf", "clientId": "client123"}
    monkeypatch.setitem(registry.PARAMS, "user-auth-pool", lambda ctx, name, param: pool_params.get(param))
    text = GATEWAY.replace("path: '/users/{id}', method: GET}", "path: '/users/{id}', method: GET, authorizer:"
                           " {type: cognito, properties: {userPoolName: users}}}") + "  users:\n    type: user-auth-pool\n"
    t = template_of(text)
    auth = props(t, "GatewayUsersAuthorizer")
    assert auth["AuthorizerType"] == "JWT" and auth["IdentitySource"] == ["$request.header.Authorization"]
    assert auth["JwtConfiguration"] == {
        "Audience": ["client123"],
        "Issuer": {"Fn::Sub": ["https://cognito-idp.${AWS::Region}.amazonaws.com/${PoolId}", {"PoolId": "us-east-1_AbCdEf"}]},
    }
    assert props(t, "ApiGatewayGetUsersIdRoute")["AuthorizationType"] == "JWT"


def test_cognito_authorizer_without_a_compiled_user_pool_is_reported(monkeypatch):
    monkeypatch.setitem(registry.COMPILERS, "user-auth-pool", lambda ctx, name, model: None)
    text = GATEWAY.replace("path: '/users/{id}', method: GET}", "path: '/users/{id}', method: GET, authorizer:"
                           " {type: cognito, properties: {userPoolName: users}}}") + "  users:\n    type: user-auth-pool\n"
    problems = problems_by_place(text)
    where = "resources.api.properties.containers[0].events[1].properties.authorizer.properties"
    assert "parameter 'id' of user-auth-pool 'users' is not compiled yet" in problems[where]


def test_features_not_compiled_yet_are_reported():
    text = GATEWAY.replace("      logging:\n", "      alarms:\n        - trigger: {type: http-api-gateway-error-rate,"
                           " properties: {thresholdPercent: 5}}\n      logging:\n")
    try:
        problems = problems_by_place(text)
    except AssertionError:  # the alarm model may spell its trigger differently: then the config is not valid
        pytest.skip("alarm model differs")
    assert problems["resources.gateway.properties.alarms"] == "alarms of an http-api-gateway is not compiled yet"


# --- application-load-balancer -------------------------------------------------------------------


def test_alb_without_certificates_listens_on_plain_http_80():
    t = template_of(ALB)
    lb = props(t, "LbAlb")
    assert lb["Type"] == "application" and lb["Scheme"] == "internet-facing"
    assert lb["Subnets"] == [{"Ref": "VpcPublicSubnet1"}, {"Ref": "VpcPublicSubnet2"}]
    assert lb["SecurityGroups"] == [{"Ref": "LbAlbSecurityGroup"}]
    assert t["Resources"]["LbAlb"]["DependsOn"] == ["VpcPublicDefaultRoute"]
    assert list(of_type(t, "AWS::ElasticLoadBalancingV2::Listener")) == ["LbAlbListener80"]
    listener = props(t, "LbAlbListener80")
    assert listener["Protocol"] == "HTTP" and listener["Port"] == 80
    assert listener["DefaultActions"][0]["FixedResponseConfig"]["StatusCode"] == "404"
    sg = props(t, "LbAlbSecurityGroup")
    assert [(r["FromPort"], r["CidrIp"]) for r in sg["SecurityGroupIngress"]] == [(80, "0.0.0.0/0")]
    assert t["Outputs"]["LbDnsName"]["Value"] == {"Fn::GetAtt": ["LbAlb", "DNSName"]}


def test_listener_rules_carry_every_condition_of_the_event():
    t = template_of(ALB)
    rule = props(t, "ApiLbListener80Rule10")
    assert rule["Priority"] == 10 and rule["ListenerArn"] == {"Ref": "LbAlbListener80"}
    assert rule["Conditions"] == [
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}},
        {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET", "POST"]}},
        {"Field": "host-header", "HostHeaderConfig": {"Values": ["api.example.com"]}},
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Tenant", "Values": ["acme"]}},
    ]
    assert rule["Actions"] == [{"Type": "forward", "TargetGroupArn": {"Ref": "ApiLbPort8080TargetGroup"}}]
    other = props(t, "ApiLbListener80Rule20")
    assert other["Conditions"] == [
        {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "version", "Value": "2"},
                                                                   {"Key": "version", "Value": "3"}]}},
        {"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}},
    ]
    assert props(t, "DocsLbListener80Rule5")["Priority"] == 5


def test_one_ip_target_group_per_port_registered_on_the_service():
    t = template_of(ALB)
    tg = props(t, "ApiLbPort8080TargetGroup")
    assert (tg["TargetType"], tg["Protocol"], tg["Port"]) == ("ip", "HTTP", 8080)
    assert (tg["HealthCheckPath"], tg["HealthCheckIntervalSeconds"], tg["HealthCheckTimeoutSeconds"]) == ("/health", 10, 4)
    assert props(t, "DocsLbPort80TargetGroup")["HealthCheckPath"] == "/"
    assert len(of_type(t, "AWS::ElasticLoadBalancingV2::TargetGroup")) == 2  # two rules, one port: one group
    svc = t["Resources"]["ApiService"]
    assert svc["Properties"]["LoadBalancers"] == [
        {"ContainerName": "web", "ContainerPort": 8080, "TargetGroupArn": {"Ref": "ApiLbPort8080TargetGroup"}}
    ]
    assert svc["DependsOn"] == ["VpcPublicDefaultRoute", "ApiLbListener80Rule10", "ApiLbListener80Rule20"]
    assert container(t, "ApiTaskDefinition", "web")["PortMappings"] == [{"ContainerPort": 8080, "Protocol": "tcp"}]
    ingress = props(t, "ApiLbPort8080Ingress")
    assert ingress["SourceSecurityGroupId"] == {"Ref": "LbAlbSecurityGroup"} and ingress["FromPort"] == 8080
    assert ingress["GroupId"] == {"Ref": "ApiSecurityGroup"}


def test_alb_with_custom_domains_serves_https_and_redirects_http():
    t = template_of(DOMAINS)
    https, http = props(t, "LbAlbListener443"), props(t, "LbAlbListener80")
    assert https["Protocol"] == "HTTPS" and https["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    assert https["Certificates"] == [{"CertificateArn": {"Ref": "LbApiExampleComCertificate"}}]
    assert props(t, "LbAlbListener443Certificates")["Certificates"] == [
        {"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/www"}]
    assert http["DefaultActions"] == [{"Type": "redirect", "RedirectConfig": {
        "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]
    assert props(t, "ApiLbListener443Rule1")["ListenerArn"] == {"Ref": "LbAlbListener443"}  # rules go to HTTPS
    assert props(t, "LbApiExampleComDnsRecord")["AliasTarget"] == {
        "DNSName": {"Fn::GetAtt": ["LbAlb", "DNSName"]}, "HostedZoneId": {"Fn::GetAtt": ["LbAlb", "CanonicalHostedZoneID"]},
    }
    assert "LbWwwExampleComDnsRecord" not in t["Resources"]  # disableDnsRecordCreation
    assert "LbWwwExampleComCertificate" not in t["Resources"]  # customCertificateArn
    assert "WwwExampleComHostedZoneId" not in t.get("Parameters", {})
    ports = sorted(r["FromPort"] for r in props(t, "LbAlbSecurityGroup")["SecurityGroupIngress"])
    assert ports == [80, 443]


def test_internal_alb_with_custom_listeners():
    t = template_of(CUSTOM_LISTENERS)
    lb = props(t, "LbAlb")
    assert lb["Scheme"] == "internal" and lb["Subnets"] == [{"Ref": "VpcPrivateSubnet1"}, {"Ref": "VpcPrivateSubnet2"}]
    assert "DependsOn" not in t["Resources"]["LbAlb"]
    assert props(t, "LbAlbListener8443")["Certificates"] == [
        {"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/one"}]
    assert props(t, "LbAlbListener8000")["DefaultActions"] == [{"Type": "redirect", "RedirectConfig": {
        "StatusCode": "HTTP_302", "Protocol": "HTTPS", "Port": "8443"}}]
    sources = {(r["FromPort"], r["CidrIp"]) for r in props(t, "LbAlbSecurityGroup")["SecurityGroupIngress"]}
    assert sources == {(8443, "10.1.0.0/16"), (8000, "10.0.0.0/16"), (9000, "10.0.0.0/16")}  # internal: the VPC
    # the same priority on two listeners is fine
    assert props(t, "ApiLbListener8443Rule1")["ListenerArn"] == {"Ref": "LbAlbListener8443"}
    assert props(t, "ApiLbListener9000Rule1")["ListenerArn"] == {"Ref": "LbAlbListener9000"}


def test_one_port_behind_every_entry_point_on_ec2_in_private_subnets():
    t = template_of(MIXED)
    sources = {(r["FromPort"], r["SourceSecurityGroupId"]["Ref"])
               for r in (v["Properties"] for v in of_type(t, "AWS::EC2::SecurityGroupIngress").values())}
    assert sources == {
        (8080, "LbAlbSecurityGroup"), (9090, "LbAlbSecurityGroup"),  # traffic and health-check ports
        (8080, "GwVpcLinkSecurityGroup"), (8080, "ServiceConnectClientSecurityGroup"),
    }
    tg = props(t, "ApiLbPort8080TargetGroup")
    assert (tg["HealthCheckPort"], tg["HealthCheckPath"]) == ("9090", "/hc")
    svc = props(t, "ApiService")
    assert svc["ServiceRegistries"][0]["ContainerPort"] == 8080
    assert svc["LoadBalancers"][0]["TargetGroupArn"] == {"Ref": "ApiLbPort8080TargetGroup"}
    assert svc["ServiceConnectConfiguration"]["Services"][0]["DiscoveryName"] == "api-web"
    assert props(t, "ApiGwDefaultRoute")["RouteKey"] == "$default"


def test_alb_health_checks_are_http():
    problems = problems_by_place(MIXED.replace("{healthcheckPath: /hc, healthCheckPort: 9090}", "{healthCheckProtocol: TCP}"))
    assert "checks its targets over HTTP" in problems["resources.api.properties.containers[0].events[0].properties"]


def test_too_many_condition_values_for_one_rule():
    text = ALB.replace("paths: ['/api/*']", "paths: ['/a', '/b', '/c']")
    problems = problems_by_place(text)
    message = problems["resources.api.properties.containers[0].events[0].properties"]
    assert "at most 5 values" in message and "this one has 7" in message


def test_alb_parameters():
    text = ALB + """
  reporter:
    type: worker-service
    properties:
      packaging: {type: prebuilt-image, properties: {image: 'acme/reporter:1'}}
      resources: {cpu: 0.25, memory: 512}
      environment:
        - {name: LB_DNS, value: "$ResourceParam('lb', 'domain')"}
        - {name: LB_ARN, value: "$ResourceParam('lb', 'arn')"}
"""
    env = container(template_of(text), "ReporterTaskDefinition", "reporter")["Environment"]
    assert env == [{"Name": "LB_DNS", "Value": {"Fn::GetAtt": ["LbAlb", "DNSName"]}},
                   {"Name": "LB_ARN", "Value": {"Ref": "LbAlb"}}]


# --- network-load-balancer -----------------------------------------------------------------------


def test_nlb_listener_per_event_forwards_tcp_to_the_container():
    t = template_of(NLB)
    assert props(t, "NlbNlb")["Type"] == "network"
    pg = props(t, "NlbNlbListener5432")
    assert pg["Protocol"] == "TCP" and pg["DefaultActions"] == [
        {"Type": "forward", "TargetGroupArn": {"Ref": "DbNlbListener5432TargetGroup"}}]
    tls = props(t, "NlbNlbListener443")
    assert tls["Protocol"] == "TLS" and tls["Certificates"] == [
        {"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc"}]
    tg = props(t, "DbNlbListener443TargetGroup")
    assert (tg["Protocol"], tg["Port"], tg["TargetType"], tg["HealthCheckProtocol"]) == ("TCP", 8443, "ip", "TCP")
    assert tg["HealthCheckIntervalSeconds"] == 10 and "HealthCheckPath" not in tg
    svc = t["Resources"]["DbService"]
    assert [lb["ContainerPort"] for lb in svc["Properties"]["LoadBalancers"]] == [5432, 8443]
    assert {"NlbNlbListener5432", "NlbNlbListener443"} <= set(svc["DependsOn"])
    sources = {(r["FromPort"], r["CidrIp"]) for r in props(t, "NlbNlbSecurityGroup")["SecurityGroupIngress"]}
    assert sources == {(5432, "203.0.113.0/24"), (443, "0.0.0.0/0")}
    assert props(t, "DbNlbPort8443Ingress")["SourceSecurityGroupId"] == {"Ref": "NlbNlbSecurityGroup"}


def test_tls_listener_without_certificate_is_an_error():
    text = NLB.replace("          customCertificateArns: ['arn:aws:acm:us-east-1:123456789012:certificate/abc']\n", "")
    problems = problems_by_place(text)
    assert "TLS listener 443 has no certificate" in problems["resources.nlb.properties.listeners[1]"]


# --- one-container services ----------------------------------------------------------------------


def test_web_service_gets_its_own_http_api_with_a_default_route():
    t = template_of(SERVICES)
    assert props(t, "FrontHttpApiDefaultRoute")["RouteKey"] == "$default"
    assert props(t, "FrontHttpApi")["CorsConfiguration"]["AllowOrigins"] == ["*"]
    assert props(t, "FrontHttpApiIntegration")["ConnectionId"] == {"Ref": "FrontVpcLink"}
    assert props(t, "FrontService")["ServiceRegistries"][0]["ContainerPort"] == 3000
    assert t["Outputs"]["FrontUrl"]["Value"] == {"Fn::GetAtt": ["FrontHttpApi", "ApiEndpoint"]}
    assert t["Metadata"]["Stp"]["resources"]["front"]["outputs"]["url"] == "FrontUrl"
    env = container(t, "WorkerTaskDefinition", "worker")["Environment"]
    assert env == [{"Name": "FRONT_URL", "Value": {"Fn::GetAtt": ["FrontHttpApi", "ApiEndpoint"]}}]


def test_web_service_behind_its_own_alb_with_a_custom_domain():
    t = template_of(SERVICES)
    assert props(t, "ShopAlb")["Scheme"] == "internet-facing"
    assert props(t, "ShopAlbListener443")["Certificates"] == [{"CertificateArn": {"Ref": "ShopShopExampleComCertificate"}}]
    rule = props(t, "ShopAlbListener443Rule1")
    assert rule["Priority"] == 1 and rule["Conditions"] == [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["*"]}}]
    assert props(t, "ShopService")["LoadBalancers"][0]["TargetGroupArn"] == {"Ref": "ShopAlbPort3000TargetGroup"}
    assert t["Outputs"]["ShopUrl"]["Value"] == "https://shop.example.com"


def test_web_service_behind_its_own_nlb():
    t = template_of(SERVICES)
    listener = props(t, "TcpNlbListener9000")
    assert listener["Protocol"] == "TCP" and listener["Port"] == 9000
    assert props(t, "TcpNlbListener9000TargetGroup")["Port"] == 9001
    assert props(t, "TcpService")["LoadBalancers"][0]["ContainerPort"] == 9001
    assert t["Outputs"]["TcpUrl"]["Value"] == {"Fn::Sub": "tcp://${TcpNlb.DNSName}"}


def test_web_service_nlb_tls_port_needs_a_domain():
    problems = problems_by_place(SERVICES.replace("              protocol: TCP\n", ""))  # TLS is the default
    assert "TLS listener 9000 has no certificate" in problems["resources.tcp.properties.loadBalancing.properties.ports[0]"]


def test_private_service_behind_an_internal_alb():
    t = template_of(SERVICES)
    lb = props(t, "InnerAlb")
    assert lb["Scheme"] == "internal" and lb["Subnets"][0] == {"Ref": "VpcPrivateSubnet1"}
    assert props(t, "InnerAlbListener80")["Protocol"] == "HTTP"


def test_private_service_is_reached_through_service_connect():
    t = template_of(SERVICES)
    orders = container(t, "OrdersTaskDefinition", "orders")
    assert orders["PortMappings"] == [{"ContainerPort": 8080, "Protocol": "tcp", "Name": "orders-8080", "AppProtocol": "http"}]
    config = props(t, "OrdersService")["ServiceConnectConfiguration"]
    assert config == {
        "Enabled": True, "Namespace": {"Fn::GetAtt": ["ServiceConnectNamespace", "Arn"]},
        "Services": [{"PortName": "orders-8080", "DiscoveryName": "orders",
                      "ClientAliases": [{"Port": 8080, "DnsName": "orders"}]}],
    }
    env = {e["Name"]: e["Value"] for e in container(t, "FrontTaskDefinition", "front")["Environment"]}
    assert env["ORDERS_ADDRESS"] == "orders:8080"


# --- service connect -----------------------------------------------------------------------------


def test_service_connect_ports_aliases_and_clients():
    t = template_of(CONNECT)
    assert list(of_type(t, "AWS::ServiceDiscovery::HttpNamespace")) == ["ServiceConnectNamespace"]
    assert props(t, "ServiceConnectNamespace")["Name"] == "demo-dev"
    grpc = container(t, "BackendTaskDefinition", "grpc")
    assert grpc["PortMappings"] == [{"ContainerPort": 50051, "Protocol": "tcp", "Name": "grpc-50051", "AppProtocol": "grpc"}]
    config = props(t, "BackendService")["ServiceConnectConfiguration"]
    assert config["Services"] == [
        {"PortName": "grpc-50051", "DiscoveryName": "orders", "ClientAliases": [{"Port": 50051, "DnsName": "orders"}]},
        {"PortName": "metrics-9100", "DiscoveryName": "backend-metrics",  # default alias: resource-container
         "ClientAliases": [{"Port": 9100, "DnsName": "backend-metrics"}]},
    ]
    # every workload joins the namespace as a client and wears the client security group
    client = props(t, "ClientService")
    assert client["ServiceConnectConfiguration"] == {"Enabled": True, "Namespace": {"Fn::GetAtt": ["ServiceConnectNamespace", "Arn"]}}
    assert client["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"] == [
        {"Ref": "ClientSecurityGroup"}, {"Ref": "ServiceConnectClientSecurityGroup"}]
    ingress = {k: v["Properties"] for k, v in of_type(t, "AWS::EC2::SecurityGroupIngress").items()}
    assert set(ingress) == {"BackendServiceConnectPort50051Ingress", "BackendServiceConnectPort9100Ingress"}
    assert ingress["BackendServiceConnectPort50051Ingress"]["SourceSecurityGroupId"] == {"Ref": "ServiceConnectClientSecurityGroup"}


def test_service_connect_alias_must_be_a_host_name():
    problems = problems_by_place(CONNECT.replace("alias: orders", "alias: Orders_Service"))
    assert "alias 'Orders_Service' is not a host name" in problems["resources.backend.properties.containers[0].events[0].properties"]


def test_no_namespace_when_nothing_uses_service_connect():
    t = template_of(ALB)
    assert not of_type(t, "AWS::ServiceDiscovery::HttpNamespace")
    assert "ServiceConnectConfiguration" not in props(t, "ApiService")
