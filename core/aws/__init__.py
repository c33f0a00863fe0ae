"""Everything that talks to AWS (real or the local one); the only package that imports boto3.

- `session`   clients for real AWS or the local AWS, retry configuration, AwsProblem
- `stacks`    find/read a stack grouped by config resource (`stp info`), follow events, delete
- `deploy`    parameters, change set, diff, confirmation, execution (`stp deploy`)
- `artifacts` deployment bucket, Lambda code packages, container images
- `logs`      log groups of a resource, merged history, follow (`stp logs`)
- `secrets`   `stp secret set|list` and the check of `$Secret` references
- `rollouts`  the current ECS deployment of a workload: strategy, stage, traffic (`stp rollout`)
- `console`   how these talk to the user (streams, colour, yes/no questions)
"""

from core.aws.session import Aws, AwsProblem, Target, as_problem, connect

__all__ = ["Aws", "AwsProblem", "Target", "as_problem", "connect"]
