"""(placeholder: CloudFront CDN settings, filled in by its owner)"""

from core.model.base import AnyValue

CdnConfig = AnyValue  # web-service, http-api-gateway, function
AlbCdnConfig = AnyValue  # application-load-balancer
BucketCdnConfig = AnyValue  # bucket
