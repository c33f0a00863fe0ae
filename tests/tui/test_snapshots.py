"""SVG snapshots of each screen at 120x36 over stp_tui.fake.FakeBackend: fixed data and a fixed clock, so the
pictures only change when the UI does. Update them with `pytest tests/tui/test_snapshots.py --snapshot-update`."""

from __future__ import annotations

from stp_tui.app import StpApp
from stp_tui.fake import FakeBackend
from stp_tui.screens.deploy import DeployScreen
from stp_tui.screens.logs import LogsScreen
from stp_tui.screens.rollout import RolloutScreen
from stp_tui.screens.stack import StackScreen
from tests.tui.support import cursor_to, screen_name, until

SIZE = (120, 36)


def app(**options) -> StpApp:
    return StpApp(FakeBackend(**options.pop("backend", {})), **options)


async def stacks_loaded(pilot) -> None:
    await until(pilot, lambda: pilot.app.screen.loaded, what="stacks")


def test_stacks_screen(snap_compare):
    assert snap_compare(app(), terminal_size=SIZE, run_before=stacks_loaded)


def test_stacks_screen_light_read_only_filtered(snap_compare):
    async def before(pilot):
        await stacks_loaded(pilot)
        await pilot.press("ctrl+t", "slash", *"dev", "enter")

    assert snap_compare(app(read_only=True), terminal_size=SIZE, run_before=before)


def test_stack_screen_tree_and_detail(snap_compare):
    async def before(pilot):
        await stacks_loaded(pilot)
        await pilot.app.push_screen(StackScreen("queue-worker-dev"))
        await until(pilot, lambda: screen_name(pilot.app) == "StackScreen" and pilot.app.screen.loaded, what="tree")
        await cursor_to(pilot, "g:worker", expand=True)
        await cursor_to(pilot, "a:worker:WorkerService")
        await pilot.press("d")

    assert snap_compare(app(), terminal_size=SIZE, run_before=before)


def test_template_view(snap_compare):
    async def before(pilot):
        await stacks_loaded(pilot)
        await pilot.app.push_screen(StackScreen("queue-worker-dev"))
        await until(pilot, lambda: screen_name(pilot.app) == "StackScreen" and pilot.app.screen.loaded, what="tree")
        await cursor_to(pilot, "g:jobs")
        await pilot.press("y")
        await until(pilot, lambda: screen_name(pilot.app) == "TextScreen", what="template")

    assert snap_compare(app(), terminal_size=SIZE, run_before=before)


def test_logs_screen_with_search(snap_compare):
    async def before(pilot):
        await stacks_loaded(pilot)
        await pilot.app.push_screen(LogsScreen("queue-worker-dev", "worker", containers=["worker"]))
        await until(pilot, lambda: pilot.app.screen.loaded and pilot.app.screen.logview.line_count == 24,
                    what="log lines")
        await pilot.press("slash", *"job 18", "enter", "e")

    assert snap_compare(app(), terminal_size=SIZE, run_before=before)


def test_logs_screen_paused_with_new_lines(snap_compare):
    async def before(pilot):
        await stacks_loaded(pilot)
        await pilot.app.push_screen(LogsScreen("queue-worker-dev", "worker", containers=["worker"]))
        screen = pilot.app.screen
        await until(pilot, lambda: screen.loaded and screen.logview.line_count == 60, what="log lines")
        await pilot.press("g")
        await until(pilot, lambda: not screen.logview.is_vertical_scroll_end, what="scrolled up")
        from stp_tui.widgets.log_view import record

        screen.ingest([record(1768478400000 + i, "worker", "worker/worker/4f1c2b7d9e0a4b5c", f"new line {i}")
                       for i in range(7)])

    assert snap_compare(app(backend={"history_lines": 60}), terminal_size=SIZE, run_before=before)


def test_deploy_screen_review(snap_compare):
    async def before(pilot):
        await stacks_loaded(pilot)
        await pilot.app.push_screen(DeployScreen("examples/queue-worker/stacktape.yml", "dev"))
        await pilot.press("p")
        await until(pilot, lambda: pilot.app.screen.state == "review", what="review")

    assert snap_compare(app(stage="dev"), terminal_size=SIZE, run_before=before)


def test_deploy_screen_done(snap_compare):
    async def before(pilot):
        await stacks_loaded(pilot)
        await pilot.app.push_screen(DeployScreen("examples/queue-worker/stacktape.yml", "dev", auto=True))
        await until(pilot, lambda: pilot.app.screen.state == "done", what="deployed")
        pilot.app.clear_notifications()

    assert snap_compare(app(stage="dev"), terminal_size=SIZE, run_before=before)


def test_deploy_confirm_dialog(snap_compare):
    async def before(pilot):
        await stacks_loaded(pilot)
        await pilot.app.push_screen(DeployScreen("examples/queue-worker/stacktape.yml", "dev"))
        await pilot.press("p")
        await until(pilot, lambda: pilot.app.screen.state == "review", what="review")
        await pilot.press("a")
        await until(pilot, lambda: screen_name(pilot.app) == "ConfirmScreen", what="confirm")

    assert snap_compare(app(stage="dev"), terminal_size=SIZE, run_before=before)


def test_rollout_screen(snap_compare):
    async def before(pilot):
        await stacks_loaded(pilot)
        await pilot.app.push_screen(RolloutScreen("canary-alb-dev", "api"))
        await until(pilot, lambda: pilot.app.screen.state is not None, what="rollout")

    assert snap_compare(app(stage="dev"), terminal_size=SIZE, run_before=before)


def test_help_screen(snap_compare):
    async def before(pilot):
        await stacks_loaded(pilot)
        await pilot.app.push_screen(StackScreen("queue-worker-dev"))
        await until(pilot, lambda: screen_name(pilot.app) == "StackScreen" and pilot.app.screen.loaded, what="tree")
        await pilot.press("question_mark")
        await until(pilot, lambda: screen_name(pilot.app) == "HelpScreen", what="help")

    assert snap_compare(app(), terminal_size=SIZE, run_before=before)
