"""App-wide behaviour: `?` help on every screen, the command palette, themes, --read-only, failing calls that
are notified and retried (the app never exits), the example offered with --local, the command line."""

from __future__ import annotations

import pytest

from stp_tui.app import StpApp, main, parse_args
from stp_tui.backend import AwsBackend
from stp_tui.fake import FakeBackend
from stp_tui.screens.deploy import DeployScreen
from stp_tui.screens.logs import LogsScreen
from stp_tui.screens.rollout import RolloutScreen
from stp_tui.screens.stack import StackScreen
from tests.tui.support import shows, screen_name, screen_text, until

SCREENS = {
    "StacksScreen": (None, ["Open", "Filter", "All stages", "Help · Stacks"]),
    "StackScreen": (lambda: StackScreen("queue-worker-dev"), ["Detail", "Template", "Logs", "Rollout"]),
    "LogsScreen": (lambda: LogsScreen("queue-worker-dev", "worker", containers=["worker"]),
                   ["Search", "Filter", "Errors", "Save", "Follow", "n / N", "1 2 3 4"]),
    "DeployScreen": (lambda: DeployScreen("examples/queue-worker/stacktape.yml", "dev"), ["Plan", "Apply", "Help · Deploy"]),
    "RolloutScreen": (lambda: RolloutScreen("canary-alb-dev", "api"), ["Rollback", "Help · Rollout"]),
}


@pytest.mark.parametrize("name", list(SCREENS))
async def test_question_mark_shows_the_keys_of_each_screen(name):
    app = StpApp(FakeBackend())
    make, expected = SCREENS[name]
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.screen.loaded, what="stacks")
        if make is not None:
            await app.push_screen(make())
            await until(pilot, lambda: screen_name(app) == name, what=name)
            await pilot.pause(0.1)
        app.screen.query_one("Footer")  # every screen has key hints
        await pilot.press("question_mark")
        await until(pilot, lambda: screen_name(app) == "HelpScreen", what="help")
        text = await shows(pilot, "everywhere")
        for word in expected:
            assert word in text, (word, text)
        assert "command palette" in text and "everywhere" in text
        await pilot.press("escape")
        await until(pilot, lambda: screen_name(app) == name, what="help closed")


async def test_command_palette_has_the_screen_commands():
    app = StpApp(FakeBackend())
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: app.screen.loaded, what="stacks")
        await pilot.press("ctrl+p")
        await until(pilot, lambda: screen_name(app) == "CommandPalette", what="palette")
        await pilot.press(*"canary")
        await until(pilot, lambda: "Open stack canary-alb-dev" in screen_text(app), what="command listed")
        await pilot.press("enter")
        await until(pilot, lambda: screen_name(app) == "StackScreen" and app.screen.loaded, what="stack opened")
        assert app.screen.stack_name == "canary-alb-dev"
        await pilot.press("ctrl+p", *"detail")
        await shows(pilot, "Toggle the detail pane")
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.query_one("#detail").display, what="detail by palette")


async def test_ctrl_t_toggles_dark_and_light():
    app = StpApp(FakeBackend())
    async with app.run_test(size=(120, 36)) as pilot:
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-dark"


async def test_read_only_hides_every_mutating_action():
    backend = FakeBackend()
    app = StpApp(backend, read_only=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: app.screen.loaded, what="stacks")
        text = await shows(pilot, "READ-ONLY", "queue-worker-dev")
        assert "READ-ONLY" in text and "Deploy" not in text.splitlines()[-1]
        await pilot.press("D")
        await pilot.pause(0.1)
        assert screen_name(app) == "StacksScreen"
        await pilot.press("ctrl+p", *"deploy")
        await pilot.pause(0.2)
        assert "Deploy…" not in screen_text(app)
        await pilot.press("escape")
        await app.push_screen(RolloutScreen("canary-alb-dev", "api"))
        await until(pilot, lambda: screen_name(app) == "RolloutScreen" and app.screen.state is not None,
                    what="rollout")
        assert app.screen.state.can_rollback  # the fake deployment is in flight, yet:
        assert "Rollback" not in screen_text(app) and "roll back" not in screen_text(app)
        await pilot.press("b")
        await pilot.pause(0.1)
        assert screen_name(app) == "RolloutScreen" and backend.calls == []


async def test_a_failing_call_is_notified_and_retried_with_backoff(monkeypatch):
    from stp_tui.workers import Retry

    monkeypatch.setattr(Retry, "BASE", 0.25)  # 0.25 s, then 0.5 s (1 s, 2 s … 30 s for real)
    backend = FakeBackend(fail_stacks=2)
    app = StpApp(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: any("does not answer" in n.message for n in app._notifications), what="notified")
        await until(pilot, lambda: app.screen.loaded, timeout=10, what="retried")
        assert any("retrying in 0.5s" in n.message for n in app._notifications)  # the delay doubled
        assert app.is_running and len(app.screen._keys) == 4
        assert backend.fail_stacks == 0  # both failures were retried
        assert any(n.message == "working again" for n in app._notifications)


async def test_an_unreachable_endpoint_never_ends_the_app():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = StpApp(AwsBackend(local=True, endpoint=f"http://127.0.0.1:{port}"))
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: any("does not answer" in n.message for n in app._notifications), timeout=15,
                    what="error notified")
        assert app.is_running and screen_name(app) == "StacksScreen"
        await pilot.press("D")  # still usable
        await until(pilot, lambda: screen_name(app) == "DeployScreen", what="deploy screen")


async def test_local_without_stacks_offers_the_example_then_deploys_it():
    backend = FakeBackend(stacks=False)
    app = StpApp(backend, offer_example=True, stage="dev")
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: screen_name(app) == "ConfirmScreen" and "Deploy" in screen_text(app), what="offer")
        text = screen_text(app)
        assert "queue-worker" in text and "queue-worker-dev" in text and "stage dev" in text and "us-east-1" in text
        await pilot.press("y")
        await until(pilot, lambda: screen_name(app) == "DeployScreen" and app.screen.state == "done", what="deployed")
        assert [c[0] for c in backend.calls] == ["secrets", "plan", "execute"]
        await shows(pilot, "deploy finished: UPDATE_COMPLETE")


async def test_the_offer_can_be_declined():
    backend = FakeBackend(stacks=False)
    app = StpApp(backend, offer_example=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: screen_name(app) == "ConfirmScreen", what="offer")
        await pilot.press("n")
        await until(pilot, lambda: screen_name(app) == "StacksScreen", what="declined")
        assert backend.calls == []
        await shows(pilot, "no stacks")


def test_command_line():
    args = parse_args(["--local", "--stage", "dev", "--read-only", "--config", "x.yml"])
    assert args.local and args.stage == "dev" and args.read_only and args.config == "x.yml"
    assert main(["--local", "--profile", "prod"]) == 2
    assert main(["--config", "/no/such/stacktape.yml"]) == 2
