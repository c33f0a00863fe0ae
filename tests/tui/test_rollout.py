"""Rollout screen against the local AWS: strategy, traffic bar, next shift, hook timeline, guarded rollback."""

from __future__ import annotations

import threading

import pytest

from stp_tui.widgets.traffic_bar import TrafficBar
from tests.tui.conftest import deploy_example
from tests.tui.support import shows, cursor_to, open_stack, screen_name, screen_text, until


async def test_r_shows_strategy_traffic_and_hooks(make_app, tui_aws):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_stack(pilot, tui_aws.stacks["canary-alb"])
        await cursor_to(pilot, "g:api")
        await pilot.press("r")
        await until(pilot, lambda: screen_name(app) == "RolloutScreen" and app.screen.state is not None,
                    what="rollout")
        text = await shows(pilot, "strategy canary", "lifecycle")
        assert "strategy canary" in text and "10% first, the rest after 5 min" in text and "stage tui" in text
        assert "POST_PRODUCTION_TRAFFIC_SHIFT" in text and "hook canary-alb-tui-checkRelease" in text
        bar = app.screen.query_one(TrafficBar)
        assert bar.old + bar.new == pytest.approx(100.0)
        assert "%" in text and "█" in text
        assert not app.screen.state.can_rollback  # nothing in flight: the key is disabled
        await pilot.press("b")
        assert screen_name(app) == "RolloutScreen"
        # back on the tree, `l` on a container of the workload opens the logs of that container
        await pilot.press("escape")
        await until(pilot, lambda: screen_name(app) == "StackScreen", what="back to the stack")
        await cursor_to(pilot, "g:api", expand=True)
        await cursor_to(pilot, "c:api:*")
        await pilot.press("l")
        await until(pilot, lambda: screen_name(app) == "LogsScreen" and app.screen.loaded, what="logs")
        assert app.screen.resource == "api"
        await shows(pilot, "logs api › web")


async def test_rolling_workload_shows_a_rolling_update(make_app, tui_aws):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_stack(pilot, tui_aws.stacks["queue-worker"])
        await cursor_to(pilot, "g:worker")
        await pilot.press("r")
        await until(pilot, lambda: screen_name(app) == "RolloutScreen" and app.screen.state is not None,
                    what="rollout")
        await shows(pilot, "strategy rolling")


async def test_in_flight_canary_shifts_then_guarded_rollback(make_app, tui_aws, example_copy):
    """A new release of a canary workload: 10 % on the new revision, then `b` + typing the name rolls it back."""
    aws = tui_aws.aws()
    try:
        aws.client("ecs").list_service_deployments(cluster="nope", service="nope")
    except Exception as exc:  # noqa: BLE001
        if "ServiceNotFound" not in str(exc) and "ClusterNotFound" not in str(exc):
            pytest.skip(f"the local AWS does not simulate service deployments here ({type(exc).__name__})")
    config = example_copy("canary-alb")
    stack = tui_aws.stacks["canary-alb"]
    config.write_text(config.read_text().replace("value: 8080", "value: 8081"))
    before = tui_aws.config()["time_scale"]
    tui_aws.config({"time_scale": 60})  # scale-up takes 1 s, the canary's 5 minutes 5 s
    try:
        update = threading.Thread(target=deploy_example, args=(aws, config, "tui"), daemon=True)
        update.start()
        app = make_app()
        async with app.run_test(size=(120, 36)) as pilot:
            await open_stack(pilot, stack)
            await cursor_to(pilot, "g:api")
            await pilot.press("r")
            screen = app.screen
            await until(pilot, lambda: screen.state is not None and screen.state.new_percent == pytest.approx(10.0),
                        timeout=30, what="10 % on the new revision")
            text = await shows(pilot, "10.0%", "next shift at")
            assert "PRODUCTION_TRAFFIC_SHIFT" in text and "10.0%" in text and "90.0%" in text
            assert "next shift at" in text and "→ 100% new" in text
            await until(pilot, lambda: "b Rollback" in screen_text(app), what="the rollback key")
            await pilot.press("b")
            await until(pilot, lambda: screen_name(app) == "ConfirmScreen", what="guard")
            await pilot.press("y", "enter")  # neither confirms: the name must be typed
            assert screen_name(app) == "ConfirmScreen"
            await pilot.press("ctrl+u", *"api", "enter")
            await until(pilot, lambda: any(n.title == "rollback" for n in app._notifications), what="rollback asked")
            await until(pilot, lambda: screen.state.status.startswith("ROLLBACK"), timeout=20, what="rolling back")
            await until(pilot, lambda: screen.state.new_percent == 0.0 or screen.state.old_percent == 100.0,
                        timeout=20, what="traffic back on the old revision")
        update.join(timeout=20)
    finally:
        tui_aws.config({"time_scale": before})
