"""`stp-tui`: a k9s-like terminal dashboard for stacktape stacks on AWS or the local AWS.

    stp-tui [--local] [--profile P] [--region R] [--stage S] [--config PATH] [--read-only]

Screens (stp_tui/screens): Stacks → Stack (resources → AWS resources → tasks → containers) → Logs /
Rollout, and Deploy. Everything that talks to AWS runs in thread workers over core.aws (stp_tui never
imports boto3); a failing read is notified and retried with backoff, and no worker error ends the app.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import var
from textual.screen import Screen

from stp_tui.backend import AwsBackend, Backend, Context, problem_text, project_of
from stp_tui.workers import Cancelled, Retry

STYLES = Path(__file__).parent / "styles"
DARK, LIGHT = "textual-dark", "textual-light"


class StpApp(App):
    TITLE = "stp"
    CSS_PATH = [STYLES / "app.tcss", STYLES / "stacks.tcss", STYLES / "stack.tcss", STYLES / "logs.tcss",
                STYLES / "deploy.tcss", STYLES / "rollout.tcss", STYLES / "dialogs.tcss"]
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?", show=False),
        Binding("D", "deploy", "Deploy", show=False),
        Binding("ctrl+t", "toggle_theme", "Theme", show=False),
        Binding("q", "quit", "Quit", show=False),
    ]
    MUTATING = frozenset({"deploy"})

    context: var[Context | None] = var(None)

    def __init__(self, backend: Backend, *, stage: str | None = None, config: str | Path | None = None,
                 read_only: bool = False, offer_example: bool = False, max_lines: int | None = None,
                 save_dir: str | Path | None = None, theme: str | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.stage = stage or ""
        self.config = str(config) if config else ""
        self.read_only = read_only
        self.offer_example = offer_example
        self.max_lines = max_lines
        self.save_dir = save_dir
        self.offered = False
        self._theme_name = theme or DARK
        self.context = backend.context(self.stage, read_only)

    # ------------------------------------------------------------------ start

    def get_default_screen(self) -> Screen:
        from stp_tui.screens.stacks import StacksScreen

        return StacksScreen()

    def on_mount(self) -> None:
        self.theme = self._theme_name
        self.connect()

    @work(thread=True, exit_on_error=False, group="connect")
    def connect(self) -> None:
        retry = Retry(self, "connecting")
        try:
            retry.call(self.backend.connect)
        except Cancelled:
            return
        self.call_from_thread(self._connected)

    def _connected(self) -> None:
        self.context = self.backend.context(self.stage, self.read_only)
        if getattr(self.backend, "started_local", False):
            self.notify(f"started the local AWS at {self.context.target.removeprefix('local ')}", title="local AWS")

    def stacks_loaded(self, rows) -> None:
        """First answer of the stacks screen: with --local and no stack, offer to deploy the example."""
        if rows or self.offered or not self.offer_example or self.read_only:
            return
        self.offered = True
        from rich.text import Text

        from core.aws.dashboard import example_config
        from stp_tui.screens.dialogs import ConfirmScreen

        config = self.config or str(example_config())
        stage = self.stage or "dev"
        stack = f"{project_of(config)}-{stage}"
        what = "the bundled example" if not self.config else "the config"
        message = Text()
        message.append(f"There is no stack in the local AWS yet. Deploy {what} ")
        message.append(str(Path(config).parent.name if Path(config).name.startswith("stacktape") else config),
                       style="bold")
        message.append(" as stack ")
        message.append(stack, style="bold")
        message.append(" (stage ")
        message.append(stage, style="bold")
        message.append(f") in region {self.context.region} of {self.context.target}?\n\n")
        message.append("Secrets it reads that do not exist get placeholder values in the local AWS.", style="dim")

        def answered(yes: bool | None) -> None:
            if yes:
                from stp_tui.screens.deploy import DeployScreen

                self.push_screen(DeployScreen(config, stage, auto=True))

        self.push_screen(ConfirmScreen("Deploy an example?", message, yes="Deploy"), answered)

    def deploy_finished(self, stack: str, status: str) -> None:
        """A deployment ended: the stacks screen refreshes by itself; nothing else to do yet."""

    @work(thread=True, exit_on_error=False, group="discard")
    def discard_plan(self, plan) -> None:
        try:
            self.backend.discard(plan)
        except Exception as exc:  # noqa: BLE001
            self.call_from_thread(self.notify, problem_text(exc), severity="error", title="discarding the change set")

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.MUTATING and self.read_only:
            return False
        return True

    def action_help(self) -> None:
        from stp_tui.screens.help import HelpScreen

        screen = self.screen
        if isinstance(screen, HelpScreen):
            return
        self.push_screen(HelpScreen.for_screen(screen))

    def action_deploy(self) -> None:
        if self.read_only:
            self.notify("read-only: deploying is disabled", severity="warning")
            return
        from stp_tui.screens.deploy import DeployScreen

        if isinstance(self.screen, DeployScreen):
            return
        config = self.config
        if not config:
            here = Path.cwd() / "stacktape.yml"
            config = str(here) if here.is_file() else ""
        self.push_screen(DeployScreen(config or None, self.stage or "dev"))

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.theme == DARK else DARK

    def action_stacks(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    # ------------------------------------------------------------------ command palette

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        own = getattr(screen, "palette_commands", None)
        if callable(own):
            for title, help_text, callback in own():
                yield SystemCommand(title, help_text, callback)
        yield SystemCommand("Stacks", "go back to the list of stacks", self.action_stacks)
        if not self.read_only:
            yield SystemCommand("Deploy…", "pick a config and a stage, review the change set, deploy (D)",
                                self.action_deploy)
        yield SystemCommand("Toggle dark / light theme", "ctrl+t", self.action_toggle_theme)
        yield SystemCommand("Help", "the keys of this screen (?)", self.action_help)
        for command in super().get_system_commands(screen):
            if command.title in ("Keys", "Screenshot"):
                continue
            yield command


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="stp-tui", description="A terminal dashboard for stacktape stacks: stacks,"
                                " resources, tasks, live logs, deployments and rollouts.")
    p.add_argument("--local", action="store_true", help="use the local AWS (started when it is not running)")
    p.add_argument("--profile", help="AWS profile (default: AWS_PROFILE or the default credentials)")
    p.add_argument("--region", help="AWS region (default: the profile's; us-east-1 with --local)")
    p.add_argument("--stage", help="only this stage's stacks; the default stage to deploy")
    p.add_argument("--config", help="the stacktape.yml to deploy (default: ./stacktape.yml; with --local and no"
                   " stack, the bundled example)")
    p.add_argument("--read-only", action="store_true", help="hide and refuse every action that changes AWS")
    p.add_argument("--max-lines", type=int, default=20_000, help="lines kept by the log screen (default: 20000)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.local and args.profile:
        print("stp-tui: --profile and --local do not go together: the local AWS takes any credentials",
              file=sys.stderr)
        return 2
    if args.config and not Path(args.config).exists():
        print(f"stp-tui: {args.config}: no such file", file=sys.stderr)
        return 2
    backend = AwsBackend(local=args.local, profile=args.profile, region=args.region)
    app = StpApp(backend, stage=args.stage, config=args.config, read_only=args.read_only,
                 offer_example=args.local, max_lines=args.max_lines)
    app.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
