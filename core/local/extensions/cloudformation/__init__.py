"""CloudFormation as AWS runs it: asynchronous operations, per-resource events, rollback, real change sets.

- `graph`     dependencies between resources (DependsOn, Ref, GetAtt, Sub)
- `changes`   per-resource Changes of a change set (Add/Modify/Remove, Replacement, Details)
- `engine`    the background operations: create, update, delete, execute, with events and rollback
- `backend`   our CloudFormation backend and Stack/ChangeSet models, built by moto's BackendDict
- `responses` patches on moto's request handlers for what the backend needs from requests
"""

from __future__ import annotations


def install() -> None:
    from core.local.extensions.cloudformation import backend, responses

    backend.install()
    responses.install()
