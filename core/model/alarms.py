"""(placeholder: alarm definitions per resource type, filled in by its owner)"""

from core.model.base import AnyValue

WebServiceAlarm = AnyValue
HttpApiGatewayAlarm = AnyValue
AlbAlarm = AnyValue
SqsQueueAlarm = AnyValue
FunctionAlarm = AnyValue
RelationalDatabaseAlarm = AnyValue
