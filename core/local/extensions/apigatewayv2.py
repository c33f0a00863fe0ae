"""AWS::ApiGatewayV2::* in CloudFormation, backed by moto's apigatewayv2 backend.

Api, Stage, Integration, Route, Authorizer, VpcLink, DomainName, ApiMapping use the backend (so
`apigatewayv2.get_api/get_routes/get_integrations/get_stages/...` show them); Deployment, which moto's
apigatewayv2 does not have, is a record with an id. Updates keep ids: the backend object is rebuilt
under the same id, as AWS keeps it.
"""

from __future__ import annotations

from typing import Any

from moto.apigatewayv2.models import Stage, apigatewayv2_backends
from moto.moto_api._internal import mock_random as random

from core.local.extensions.base import ExtensionModel
from core.local.extensions.registry import camel, register, tags_as_dict


def _backend(model: ExtensionModel):
    return apigatewayv2_backends[model.account_id][model.region_name]


def _bool(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _rekey(collection: dict, new_obj: Any, id_attr: str, old_id: str) -> None:
    """Give an object re-created by the backend the id of the one it replaces."""
    new_id = getattr(new_obj, id_attr)
    collection.pop(new_id, None)
    setattr(new_obj, id_attr, old_id)
    collection[old_id] = new_obj


class Api(ExtensionModel):
    TYPE = "AWS::ApiGatewayV2::Api"
    ATTRIBUTES = ("ApiEndpoint", "ApiId")
    REPLACE_ON = ("ProtocolType",)

    def _create(self) -> None:
        backend = _backend(self)
        self.api = backend.create_api(
            api_key_selection_expression=self.prop("ApiKeySelectionExpression"),
            cors_configuration=camel(self.prop("CorsConfiguration")),
            description=self.prop("Description"),
            disable_schema_validation=_bool(self.prop("DisableSchemaValidation")),
            disable_execute_api_endpoint=_bool(self.prop("DisableExecuteApiEndpoint")),
            name=self.prop("Name") or self.name,
            protocol_type=self.prop("ProtocolType") or "HTTP",
            route_selection_expression=self.prop("RouteSelectionExpression"),
            tags=tags_as_dict(self.prop("Tags")),
            version=self.prop("Version"),
        )
        self._quick_create()

    def _quick_create(self) -> None:
        """`Target` (+ `RouteKey`): the integration, route and $default stage AWS's quick create makes."""
        target = self.prop("Target")
        if not target:
            return
        integration = self.api.create_integration(
            connection_type="INTERNET",
            description="",
            integration_method="ANY" if "lambda" not in str(target) else "POST",
            integration_type="AWS_PROXY" if ":lambda:" in str(target) else "HTTP_PROXY",
            integration_uri=target,
            payload_format_version="2.0" if ":lambda:" in str(target) else "1.0",
            credentials_arn=self.prop("CredentialsArn"),
        )
        self.api.create_route(
            api_key_required=False,
            authorization_scopes=[],
            route_key=self.prop("RouteKey") or "$default",
            target=f"integrations/{integration.id}",
        )
        self.api.create_stage({"stageName": "$default", "autoDeploy": True})

    def _update(self, old_properties: dict[str, Any]) -> None:
        self.api.update(
            api_key_selection_expression=self.prop("ApiKeySelectionExpression"),
            cors_configuration=camel(self.prop("CorsConfiguration")),
            description=self.prop("Description"),
            disable_schema_validation=_bool(self.prop("DisableSchemaValidation")),
            disable_execute_api_endpoint=_bool(self.prop("DisableExecuteApiEndpoint")),
            name=self.prop("Name") or self.name,
            route_selection_expression=self.prop("RouteSelectionExpression"),
            version=self.prop("Version"),
        )
        if self.prop("CorsConfiguration") is None and old_properties.get("CorsConfiguration") is not None:
            self.api.delete_cors_configuration()
        backend = _backend(self)
        backend.tag_resource(self.api.arn, tags_as_dict(self.prop("Tags")))

    def _delete(self) -> None:
        _backend(self).delete_api(self.api.api_id)

    @property
    def physical_resource_id(self) -> str:
        return self.api.api_id

    def attribute(self, name: str) -> Any:
        return self.api.api_endpoint if name == "ApiEndpoint" else self.api.api_id


class _ApiChild(ExtensionModel):
    REPLACE_ON = ("ApiId",)

    @property
    def api(self):
        return _backend(self).get_api(self.prop("ApiId"))


class _RebuiltChild(_ApiChild):
    """An API child moto cannot update in place: built by ``_new()``, rebuilt on update under its old id.

    Subclasses say where moto keeps them (``TABLE`` on the api, the id attribute ``ID_ATTR``) and how moto
    deletes one (``DELETE``, a method of the api taking the id).
    """

    TABLE = ""
    ID_ATTR = "id"
    DELETE = ""

    def _new(self):  # pragma: no cover - every subclass builds its own
        raise NotImplementedError

    @property
    def child_id(self) -> str:
        return getattr(self.child, self.ID_ATTR)

    def _create(self) -> None:
        self.child = self._new()

    def _update(self, old_properties: dict[str, Any]) -> None:
        old_id = self.child_id
        self.child = self._new()
        _rekey(getattr(self.api, self.TABLE), self.child, self.ID_ATTR, old_id)

    def _delete(self) -> None:
        getattr(self.api, self.DELETE)(self.child_id)

    @property
    def physical_resource_id(self) -> str:
        return self.child_id

    def attribute(self, name: str) -> Any:
        return self.child_id


class ApiStage(_ApiChild):
    TYPE = "AWS::ApiGatewayV2::Stage"
    NAME_PROPERTY = "StageName"
    REPLACE_ON = ("ApiId", "StageName")

    def _config(self) -> dict[str, Any]:
        config = camel({k: v for k, v in self.properties.items() if k not in ("ApiId", "Tags")})
        config["stageName"] = self.prop("StageName") or self.name
        config["tags"] = tags_as_dict(self.prop("Tags"))
        if "autoDeploy" in config:
            config["autoDeploy"] = _bool(config["autoDeploy"])
        return config

    def _create(self) -> None:
        self.stage = self.api.create_stage(self._config())

    def _update(self, old_properties: dict[str, Any]) -> None:
        api = self.api
        created = self.stage.created
        self.stage = Stage(api=api, config=self._config())
        self.stage.created = created
        api.stages[self.stage.name] = self.stage

    def _delete(self) -> None:
        self.api.delete_stage(self.stage.name)

    @property
    def physical_resource_id(self) -> str:
        return self.stage.name


class Integration(_RebuiltChild):
    TYPE = "AWS::ApiGatewayV2::Integration"
    TABLE, ID_ATTR, DELETE = "integrations", "id", "delete_integration"
    ATTRIBUTES = ("IntegrationId",)

    def _new(self):
        p = self.prop
        return self.api.create_integration(
            connection_type=p("ConnectionType") or "INTERNET",
            description=p("Description"),
            integration_method=p("IntegrationMethod"),
            integration_type=p("IntegrationType"),
            integration_uri=p("IntegrationUri"),
            connection_id=p("ConnectionId"),
            content_handling_strategy=p("ContentHandlingStrategy"),
            credentials_arn=p("CredentialsArn"),
            passthrough_behavior=p("PassthroughBehavior"),
            payload_format_version=p("PayloadFormatVersion"),
            integration_subtype=p("IntegrationSubtype"),
            request_parameters=p("RequestParameters"),
            request_templates=p("RequestTemplates"),
            response_parameters=p("ResponseParameters"),
            template_selection_expression=p("TemplateSelectionExpression"),
            timeout_in_millis=p("TimeoutInMillis"),
            tls_config=camel(p("TlsConfig")),
        )


class Route(_RebuiltChild):
    TYPE = "AWS::ApiGatewayV2::Route"
    TABLE, ID_ATTR, DELETE = "routes", "route_id", "delete_route"
    ATTRIBUTES = ("RouteId",)

    def _new(self):
        p = self.prop
        return self.api.create_route(
            api_key_required=_bool(p("ApiKeyRequired", False)),
            authorization_scopes=p("AuthorizationScopes") or [],
            route_key=p("RouteKey"),
            target=p("Target"),
            authorization_type=p("AuthorizationType") or "NONE",
            authorizer_id=p("AuthorizerId"),
            model_selection_expression=p("ModelSelectionExpression"),
            operation_name=p("OperationName"),
            request_models=p("RequestModels"),
            request_parameters=camel(p("RequestParameters"), keep_keys=True),
            route_response_selection_expression=p("RouteResponseSelectionExpression"),
        )


class Authorizer(_RebuiltChild):
    TYPE = "AWS::ApiGatewayV2::Authorizer"
    TABLE, ID_ATTR, DELETE = "authorizers", "id", "delete_authorizer"
    ATTRIBUTES = ("AuthorizerId",)

    def _new(self):
        p = self.prop
        identity = p("IdentitySource")
        return _backend(self).create_authorizer(
            api_id=p("ApiId"),
            auth_creds_arn=p("AuthorizerCredentialsArn"),
            auth_payload_format_version=p("AuthorizerPayloadFormatVersion"),
            auth_result_ttl=p("AuthorizerResultTtlInSeconds"),
            authorizer_uri=p("AuthorizerUri"),
            authorizer_type=p("AuthorizerType"),
            enable_simple_response=_bool(p("EnableSimpleResponses")),
            identity_source=identity if isinstance(identity, list) or identity is None else [identity],
            identity_validation_expr=p("IdentityValidationExpression"),
            jwt_config=camel(p("JwtConfiguration")),
            name=p("Name") or self.name,
        )


class VpcLink(ExtensionModel):
    TYPE = "AWS::ApiGatewayV2::VpcLink"
    ATTRIBUTES = ("VpcLinkId",)
    REPLACE_ON = ("SubnetIds", "SecurityGroupIds")

    def _create(self) -> None:
        self.link = _backend(self).create_vpc_link(
            name=self.prop("Name") or self.name,
            sg_ids=self.prop("SecurityGroupIds") or [],
            subnet_ids=self.prop("SubnetIds") or [],
            tags=tags_as_dict(self.prop("Tags")),
        )

    def _update(self, old_properties: dict[str, Any]) -> None:
        self.link.update(self.prop("Name") or self.name)
        _backend(self).tag_resource(self.link.arn, tags_as_dict(self.prop("Tags")))

    def _delete(self) -> None:
        _backend(self).delete_vpc_link(self.link.id)

    @property
    def physical_resource_id(self) -> str:
        return self.link.id

    def attribute(self, name: str) -> Any:
        return self.link.id


class DomainName(ExtensionModel):
    TYPE = "AWS::ApiGatewayV2::DomainName"
    NAME_PROPERTY = "DomainName"
    ATTRIBUTES = ("RegionalDomainName", "RegionalHostedZoneId", "DomainName")
    REPLACE_ON = ("DomainName",)

    def _configurations(self) -> list[dict[str, Any]]:
        configs = camel(self.prop("DomainNameConfigurations") or [{}])
        for config in configs:
            config.setdefault("endpointType", "REGIONAL")
            config.setdefault("domainNameStatus", "AVAILABLE")
            config.setdefault("apiGatewayDomainName", f"d-{random.get_random_string(10, lower_case=True)}"
                              f".execute-api.{self.region_name}.amazonaws.com")
            config.setdefault("hostedZoneId", "Z1UJRXOUMOOFQ8")
        return configs

    def _create(self) -> None:
        self.domain = _backend(self).create_domain_name(
            domain_name=self.name,
            domain_name_configurations=self._configurations(),
            mutual_tls_authentication=camel(self.prop("MutualTlsAuthentication")),
            tags=tags_as_dict(self.prop("Tags")),
        )

    def _update(self, old_properties: dict[str, Any]) -> None:
        self.domain.domain_name_configurations = self._configurations()
        self.domain.mutual_tls_authentication = camel(self.prop("MutualTlsAuthentication"))
        self.domain.tags = tags_as_dict(self.prop("Tags"))

    def _delete(self) -> None:
        _backend(self).delete_domain_name(self.domain.domain_name)

    @property
    def physical_resource_id(self) -> str:
        return self.domain.domain_name

    def attribute(self, name: str) -> Any:
        config = (self.domain.domain_name_configurations or [{}])[0]
        if name == "RegionalDomainName":
            return config.get("apiGatewayDomainName")
        if name == "RegionalHostedZoneId":
            return config.get("hostedZoneId")
        return self.domain.domain_name


class ApiMapping(ExtensionModel):
    TYPE = "AWS::ApiGatewayV2::ApiMapping"
    REPLACE_ON = ("DomainName",)

    def _create(self) -> None:
        self.mapping = _backend(self).create_api_mapping(
            api_id=self.prop("ApiId"),
            api_mapping_key=self.prop("ApiMappingKey") or "",
            domain_name=self.prop("DomainName"),
            stage=self.prop("Stage"),
        )

    def _update(self, old_properties: dict[str, Any]) -> None:
        self.mapping.api_id = self.prop("ApiId")
        self.mapping.api_mapping_key = self.prop("ApiMappingKey") or ""
        self.mapping.stage = self.prop("Stage")

    def _delete(self) -> None:
        _backend(self).delete_api_mapping(self.mapping.api_mapping_id, self.mapping.domain_name)

    @property
    def physical_resource_id(self) -> str:
        return self.mapping.api_mapping_id


class Deployment(ExtensionModel):
    """moto's apigatewayv2 has no deployments: a record with an id, and the stage pointing at it."""

    TYPE = "AWS::ApiGatewayV2::Deployment"
    ATTRIBUTES = ("DeploymentId",)
    REPLACE_ON = ("ApiId",)

    def _create(self) -> None:
        self.deployment_id = random.get_random_string(6, lower_case=True)

    def _update(self, old_properties: dict[str, Any]) -> None:
        pass

    def _delete(self) -> None:
        pass

    @property
    def physical_resource_id(self) -> str:
        return self.deployment_id

    def attribute(self, name: str) -> Any:
        return self.deployment_id


MODELS = (Api, ApiStage, Integration, Route, Authorizer, VpcLink, DomainName, ApiMapping, Deployment)


def install() -> None:
    register(*MODELS)
