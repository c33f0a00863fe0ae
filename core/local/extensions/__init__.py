"""Our in-process extensions of moto, one module per gap. `install()` applies them all, once.

How they hook in (no moto file is edited; everything happens after import, before serving):

- resource types moto's CloudFormation skips get models registered in its model map
  (`registry.register`): apigatewayv2, servicediscovery, application_autoscaling, codedeploy;
  any other unknown type resolves to a placeholder (`placeholders`), never silently skipped;
- `ecs_service` patches moto's ECS Service model and CreateService handler to keep every property, and
  `ecs_deployments` adds service deployments (stages, traffic shifting, rollback) on top of it;
- `logs_tail` makes Live Tail follow and gives filter_log_events CloudWatch's filter patterns;
- `deletions` gives moto models that CloudFormation cannot delete a `delete()` (routes, route tables,
  gateways, listeners, target groups, ECS clusters and task definitions...);
- `inplace_updates` gives moto models without a CloudFormation update one (log groups);
- `cloudformation` replaces the CloudFormation backend class moto instantiates per account/region with
  ours (asynchronous engine) and patches a few request handlers.
"""

from __future__ import annotations

import threading

_installed = False
_lock = threading.Lock()


def install() -> None:
    global _installed
    with _lock:
        if _installed:
            return
        from core.local.extensions import (
            apigatewayv2,
            application_autoscaling,
            cloudformation,
            codedeploy,
            deletions,
            ecs_service,
            inplace_updates,
            placeholders,
            servicediscovery,
        )

        for module in (apigatewayv2, servicediscovery, application_autoscaling, codedeploy, ecs_service,
                       deletions, inplace_updates, placeholders, cloudformation):
            module.install()
        _installed = True
