"""Stack screen against the local AWS: resource tree, `d` detail pane, `y` template, `l`/`r` entry points."""

from __future__ import annotations


from stp_tui.widgets.resource_tree import ResourceTree
from tests.tui.support import shows, cursor_to, open_stack, screen_name, screen_text, until


async def test_tree_groups_aws_resources_under_config_resources(make_app, tui_aws):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_stack(pilot, tui_aws.stacks["queue-worker"])
        tree = app.screen.query_one(ResourceTree)
        groups = [n.data.group.name for n in tree.root.children]
        assert groups[:3] == ["jobs", "results", "worker"] and "(shared)" in groups
        await cursor_to(pilot, "g:worker", expand=True)
        await until(pilot, lambda: "WorkerService" in screen_text(app), what="worker expanded")
        text = await shows(pilot, "worker-service", "WorkerTaskDefinition")
        assert "worker-service" in text and "AWS::ECS::Service" in text and "WorkerTaskDefinition" in text
        # the ECS service lists its tasks → containers (or the task definition's containers while none run)
        service = tree.node_for("a:worker:WorkerService")
        kinds = {c.data.kind for c in service.children} | {g.data.kind for c in service.children for g in c.children}
        assert "container" in kinds
        await shows(pilot, "▣ worker")


async def test_d_detail_pane_and_y_template(make_app, tui_aws):
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await open_stack(pilot, tui_aws.stacks["queue-worker"])
        await cursor_to(pilot, "g:jobs")
        await pilot.press("d")
        detail = app.screen.query_one("#detail")
        await until(pilot, lambda: detail.display and "queueUrl" in screen_text(app), what="detail of jobs")
        await shows(pilot, "sqs-queue")
        await cursor_to(pilot, "g:worker", expand=True)
        await cursor_to(pilot, "a:worker:WorkerTaskDefinition")
        await until(pilot, lambda: "physical id" in screen_text(app) and "ContainerDefinitions" in screen_text(app),
                    what="detail of the task definition")
        await pilot.press("d")
        await until(pilot, lambda: not detail.display, what="detail hidden")

        # y: the compiled template of the config resource (its AWS resources only)
        await cursor_to(pilot, "g:worker")
        await pilot.press("y")
        await until(pilot, lambda: screen_name(app) == "TextScreen" and '"Type"' in screen_text(app),
                    what="template view")
        body = app.screen.body
        assert "WorkerService" in body["Resources"] and "JobsQueue" not in body["Resources"]
        assert body["Resources"]["WorkerService"]["Type"] == "AWS::ECS::Service"
        await shows(pilot, "compiled template of worker")
        await pilot.press("escape")
        await until(pilot, lambda: screen_name(app) == "StackScreen", what="closed")


async def test_logs_and_rollout_need_a_workload(make_app, tui_aws):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_stack(pilot, tui_aws.stacks["queue-worker"])
        await cursor_to(pilot, "g:jobs")
        await pilot.press("l")
        await pilot.press("r")
        await pilot.pause(0.1)
        assert screen_name(app) == "StackScreen"
        messages = [n.message for n in app._notifications]
        assert any("writes no logs" in m for m in messages) and any("has no rollouts" in m for m in messages)
