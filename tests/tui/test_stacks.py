"""Stacks screen against the local AWS: the live table, the header, `/` filter, Enter opens, mouse."""

from __future__ import annotations

from textual.widgets import DataTable

from tests.tui.support import shows, screen_name, until


async def test_lists_the_deployed_stacks_with_status_and_header(make_app, tui_aws):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: app.screen.loaded, what="stacks")
        text = await shows(pilot, *tui_aws.stacks.values(), "region us-east-1")
        for stack in tui_aws.stacks.values():
            assert stack in text
        assert "_COMPLETE" in text
        assert f"local {tui_aws.endpoint}" in text and "region us-east-1" in text and "stage tui" in text
        table = app.screen.query_one(DataTable)
        assert [str(c.label) for c in table.columns.values()][:5] == ["NAME", "STATUS", "STAGE", "LAST UPDATED", "AGE"]


async def test_filter_narrows_then_escape_clears(make_app, tui_aws):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: len(app.screen._keys) == 2, what="both stacks")
        await pilot.press("slash", *"canary")
        await until(pilot, lambda: app.screen._keys == [tui_aws.stacks["canary-alb"]], what="filtered")
        await shows(pilot, "filter /canary")
        await pilot.press("enter")  # keeps the filter, back to the table
        assert app.screen.query_one(DataTable).has_focus
        await pilot.press("escape")
        await until(pilot, lambda: len(app.screen._keys) == 2, what="filter cleared")


async def test_enter_and_mouse_open_a_stack(make_app, tui_aws):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: len(app.screen._keys) == 2, what="stacks")
        await pilot.press("enter")
        await until(pilot, lambda: screen_name(app) == "StackScreen", what="stack screen")
        assert app.screen.stack_name == app.screen_stack[0]._keys[0]
        await pilot.press("escape")
        await until(pilot, lambda: screen_name(app) == "StacksScreen", what="back")
        row = app.screen._keys.index(tui_aws.stacks["queue-worker"])
        await pilot.click(DataTable, offset=(3, row + 1))  # the header is line 0
        await pilot.click(DataTable, offset=(3, row + 1))  # a click on the highlighted row selects it
        await until(pilot, lambda: screen_name(app) == "StackScreen", what="stack screen by mouse")
        assert app.screen.stack_name == tui_aws.stacks["queue-worker"]


async def test_stage_filter_and_all_stages(make_app, tui_aws):
    app = make_app(stage="nope")
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: app.screen.loaded, what="stacks")
        assert app.screen._keys == []
        await shows(pilot, "no stack matches")
        await pilot.press("a")
        await until(pilot, lambda: len(app.screen._keys) >= 2, what="all stages")
