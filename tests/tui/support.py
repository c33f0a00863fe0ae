"""Helpers for the dashboard tests: wait on conditions (never fixed sleeps), read the screen as text."""

from __future__ import annotations

import io
import time

from rich.console import Console


async def until(pilot, condition, timeout: float = 10.0, what: str = "condition") -> None:
    """Let the app run until ``condition()`` holds (checked every 30 ms)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except Exception:  # noqa: BLE001 - a widget not mounted yet
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{screen_text(pilot.app)}")
        await pilot.pause(0.03)


def screen_text(app) -> str:
    """What the terminal shows, as plain text."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, color_system="truecolor",
                      record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


def screen_name(app) -> str:
    return type(app.screen).__name__


async def open_stack(pilot, name: str) -> None:
    """On the stacks screen: wait for the stack's row, move the cursor to it, press enter, wait for its tree."""
    app = pilot.app
    await until(pilot, lambda: screen_name(app) == "StacksScreen" and name in app.screen._keys, what=f"row {name}")
    screen = app.screen
    while screen.selected() != name:
        await pilot.press("down")
    await pilot.press("enter")
    await until(pilot, lambda: screen_name(app) == "StackScreen" and app.screen.loaded, what=f"stack {name}")


async def cursor_to(pilot, key: str, *, expand: bool = False, limit: int = 80) -> None:
    """On the stack screen: press down (wrapping to the top once) until the tree cursor is on node ``key``."""
    from stp_tui.widgets.resource_tree import ResourceTree

    tree = pilot.app.screen.query_one(ResourceTree)
    if not key.endswith("*"):
        await until(pilot, lambda: tree.node_for(key) is not None, what=f"node {key}")

        def on_it() -> bool:  # the tree may be rebuilt by a refresh meanwhile: move again until it sticks
            ref = tree.selected_ref
            if ref is not None and ref.key == key:
                return True
            node = tree.node_for(key)
            if node is not None:
                tree.move_cursor(node)
            return False

        await until(pilot, on_it, what=f"cursor on {key}")
        if expand and tree.cursor_node is not None and not tree.cursor_node.is_expanded:
            await pilot.press("enter")
        return
    tree.cursor_line = 0
    await pilot.pause()
    for _ in range(limit):
        ref = tree.selected_ref
        if ref is not None and (ref.key == key or (key.endswith("*") and ref.key.startswith(key[:-1]))):
            if expand and tree.cursor_node is not None and not tree.cursor_node.is_expanded:
                await pilot.press("enter")
            return
        await pilot.press("down")
    raise AssertionError(f"no tree node {key}\n{screen_text(pilot.app)}")


async def shows(pilot, *texts: str, timeout: float = 10.0) -> str:
    """Wait until every text is on the screen (the next frame may still be on its way); the screen's text."""
    await until(pilot, lambda: all(t in screen_text(pilot.app) for t in texts), timeout=timeout,
                what=f"{texts} on the screen")
    return screen_text(pilot.app)
