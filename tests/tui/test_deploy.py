"""Deploy screen against the local AWS: plan → diff (replacements in red) → confirm → per-resource progress →
summary; `c` discards a change set under review, and cancels a running deployment (both after confirming)."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from tests.tui.support import shows, screen_name, screen_text, until


async def start_deploy(pilot, config, stage: str = "tui"):
    app = pilot.app
    await until(pilot, lambda: app.screen.loaded, what="stacks")
    await pilot.press("D")
    await until(pilot, lambda: screen_name(app) == "DeployScreen", what="deploy screen")
    screen = app.screen
    screen.query_one("#deploy-config", Input).value = str(config)
    screen.query_one("#deploy-stage", Input).value = stage
    screen.query_one("#diff", DataTable).focus()
    await pilot.press("p")
    return screen


def diff_rows(screen) -> dict[str, list[str]]:
    table = screen.query_one("#diff", DataTable)
    rows = {}
    for key in table.rows:
        cells = [str(c) for c in table.get_row(key)]
        rows[cells[2]] = cells
    return rows


async def test_plan_discard_plan_again_confirm_and_follow_an_update(make_app, tui_aws, example_copy):
    config = example_copy("queue-worker")
    config.write_text(config.read_text().replace("memory: 512", "memory: 1024"))
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await start_deploy(pilot, config)
        await until(pilot, lambda: screen.state == "review", timeout=20, what="change set")
        rows = diff_rows(screen)
        assert rows["WorkerTaskDefinition"][0] == "~ modify" and rows["WorkerTaskDefinition"][4] == "REPLACE"
        assert rows["WorkerService"][4] == "" and rows["WorkerService"][1] == "worker"
        text = await shows(pilot, "to remove")
        assert "0 to add" in text and "to modify (1 replaced" in text and "0 to remove" in text, text
        assert "◉ Review" in text
        table = screen.query_one("#diff", DataTable)
        replaced = next(k for k in table.rows if str(table.get_row(k)[2]) == "WorkerTaskDefinition")
        assert "red" in str(table.get_row(replaced)[4].style) and "red" in str(table.get_row(replaced)[2].style)

        # c: discard the change set under review (after confirming); nothing changes
        change_set = screen.plan.plan.change_set
        await pilot.press("c")
        await until(pilot, lambda: "Discard the change set?" in screen_text(app), what="confirm discard")
        await pilot.press("y")
        await until(pilot, lambda: "change set discarded" in screen_text(app), what="discarded")
        cfn = tui_aws.client("cloudformation")
        await until(pilot, lambda: change_set not in {s["ChangeSetName"] for s in cfn.list_change_sets(
            StackName="queue-worker-tui")["Summaries"]}, what="change set deleted")

        # p again, a, the confirmation names stack, stage and region; y deploys and follows every resource
        await pilot.press("p")
        await until(pilot, lambda: screen.state == "review", timeout=20, what="change set again")
        await pilot.press("a")
        await until(pilot, lambda: "Deploy these changes?" in screen_text(app), what="confirmation")
        asked = screen_text(app)
        assert "queue-worker-tui" in asked and "stage tui" in asked and "us-east-1" in asked
        await pilot.press("y")
        await until(pilot, lambda: screen.state in ("done", "failed"), timeout=30, what="deployment")
        assert screen.final_status == "UPDATE_COMPLETE", screen_text(app)
        progress = screen.query_one("#progress", DataTable)
        statuses = {str(progress.get_row(k)[1]): str(progress.get_row(k)[3]) for k in progress.rows}
        assert statuses["WorkerTaskDefinition"] == "UPDATE_COMPLETE" and statuses["WorkerService"] == "UPDATE_COMPLETE"
        assert all(str(progress.get_row(k)[4]).endswith("s") for k in progress.rows)  # each row has its timer
        await until(pilot, lambda: "deploy finished: UPDATE_COMPLETE" in screen_text(app)
                    and "● Done" in screen_text(app), what="summary")


async def test_c_cancels_a_running_update_which_rolls_back(make_app, tui_aws, example_copy):
    config = example_copy("queue-worker")
    config.write_text(config.read_text().replace("visibilityTimeoutSeconds: 60", "visibilityTimeoutSeconds: 90"))
    tui_aws.config({"type_delays": {"AWS::SQS::Queue": 1.5}})
    try:
        app = make_app()
        async with app.run_test(size=(140, 40)) as pilot:
            screen = await start_deploy(pilot, config)
            await until(pilot, lambda: screen.state == "review", timeout=20, what="change set")
            await pilot.press("a")
            await until(pilot, lambda: screen_name(app) == "ConfirmScreen", what="confirm deploy")
            await pilot.press("y")
            await until(pilot, lambda: screen.rows.get("JobsQueue", {}).get("status") == "UPDATE_IN_PROGRESS",
                        what="queue updating")
            await pilot.press("c")
            await until(pilot, lambda: "Cancel the deployment of queue-worker-tui" in screen_text(app),
                        what="confirm cancel")
            await pilot.press("y")
            await until(pilot, lambda: any(n.title == "cancel" for n in app._notifications), what="cancel answer")
            await until(pilot, lambda: screen.state in ("done", "failed"), timeout=30, what="settled")
            answer = [n for n in app._notifications if n.title == "cancel"][-1]
            if screen.final_status == "UPDATE_ROLLBACK_COMPLETE":
                assert "cancel requested" in answer.message
                await until(pilot, lambda: "deploy failed" in screen_text(app)
                            and "back to its previous version" in screen_text(app), what="the rollback said")
            else:  # an endpoint without CancelUpdateStack (the local AWS lacks it so far): said, not hidden
                assert answer.severity == "error" and "CancelUpdateStack" in answer.message, answer.message
                assert screen.final_status == "UPDATE_COMPLETE"
    finally:
        tui_aws.config({"type_delays": {}})


async def test_a_config_with_errors_fails_in_prepare(make_app, tui_aws, tmp_path):
    bad = tmp_path / "stacktape.yml"
    bad.write_text("serviceName: bad\nresources:\n  q:\n    type: no-such-type\n")
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await start_deploy(pilot, bad)
        await until(pilot, lambda: screen.state == "failed", timeout=20, what="prepare failure")
        await until(pilot, lambda: "Prepare failed" in screen_text(app) and "✖ Prepare" in screen_text(app),
                    what="failure shown")
