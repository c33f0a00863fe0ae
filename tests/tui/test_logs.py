"""Logs screen against the local AWS: merged live follow, prefixes, JSON levels, search, filter, level chips,
sources, time presets, pause with "+N new", save. Lines are put into the workload's log group by the test."""

from __future__ import annotations

import json
import time
import uuid

from stp_tui.screens.logs import LogsScreen
from stp_tui.widgets.chips import Chip
from tests.tui.support import shows, cursor_to, open_stack, screen_name, until


def tag() -> str:
    return uuid.uuid4().hex[:4]


def lines_with(screen, token: str) -> list[str]:
    return [line for line in screen.logview.lines if token in line]


async def open_logs(pilot, tui_aws, **kw) -> LogsScreen:
    app = pilot.app
    await until(pilot, lambda: app.screen.loaded, what="stacks")
    await app.push_screen(LogsScreen(tui_aws.stacks["queue-worker"], "worker", containers=["worker"], **kw))
    await until(pilot, lambda: screen_name(app) == "LogsScreen" and app.screen.loaded, what="logs loaded")
    return app.screen


async def test_l_follows_tasks_merged_with_prefixes_and_json_levels(make_app, tui_aws):
    t = tag()
    group = tui_aws.log_groups["worker"]
    now = int(time.time() * 1000)
    a = tui_aws.put_logs(group, "worker", [f"{t} first from a", json.dumps({"level": "error", "msg": f"{t} boom"})],
                         at_ms=now - 4000)
    b = tui_aws.put_logs(group, "worker", [f"{t} second from b", f"WARN {t} slow job"], at_ms=now - 3000)
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_stack(pilot, tui_aws.stacks["queue-worker"])
        await cursor_to(pilot, "g:worker")
        await pilot.press("l")
        await until(pilot, lambda: screen_name(app) == "LogsScreen" and len(lines_with(app.screen, t)) == 4,
                    what="history")
        screen = app.screen
        got = lines_with(screen, t)
        assert [line.split(" ", 2)[2].strip() for line in got] == [
            f"{t} first from a", f"ERROR {t} boom", f"{t} second from b", f"WARN {t} slow job"]
        assert got[0].split()[1] == f"worker/{a[:8]}" and got[2].split()[1] == f"worker/{b[:8]}"
        assert screen.counts["ERROR"] >= 1 and screen.counts["WARN"] >= 1
        await shows(pilot, "● following")
        tui_aws.put_logs(group, "worker", [f"{t} live one"], task=a)
        await until(pilot, lambda: len(lines_with(screen, f"{t} live one")) == 1, what="live line")
        assert screen.logview.lines[-1].endswith(f"{t} live one")


async def test_search_filter_levels_sources_and_save(make_app, tui_aws, tmp_path):
    """One session over one set of lines: `/` + n/N, `f` (regex, case, invert), `e`/`w` chips (keys and mouse),
    `c` sources (a task hidden, then the container chip), `s` save."""
    t = tag()
    group = tui_aws.log_groups["worker"]
    now = int(time.time() * 1000)
    a = tui_aws.put_logs(group, "worker", [f"{t} job 17 done", f"ERROR {t} job 18 failed", f"{t} heartbeat 19"],
                         at_ms=now - 3000)
    tui_aws.put_logs(group, "worker", [f"{t} JOB 20 done", json.dumps({"severity": "warning", "message": f"{t} slow"})],
                     at_ms=now - 2000)
    app = make_app(save_dir=tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_logs(pilot, tui_aws)
        log = screen.logview
        await until(pilot, lambda: len(lines_with(screen, t)) == 5, what="lines")

        # search: the newest match first, N back, n forward, wrapping; escape closes the bar, then clears
        await pilot.press("slash", *f"{t} j", "enter")
        assert screen.match_info == "3/3" and f"{t} JOB 20" in log.lines[log.current_line]
        await shows(pilot, "search", "3/3")
        assert log.highlighter.search is not None
        await pilot.press("N")
        assert screen.match_info == "2/3" and f"{t} job 18" in log.lines[log.current_line]
        await pilot.press("n", "n")
        assert screen.match_info == "1/3" and f"{t} job 17" in log.lines[log.current_line]
        await pilot.press("escape", "escape")
        assert screen.search_rx is None and log.current_line is None and screen_name(app) == "LogsScreen"

        # filter: regex, then case-sensitive, then inverted, then cleared
        await pilot.press("f", *f"{t} j.. [12]", "alt+r", "enter")
        await until(pilot, lambda: len(lines_with(screen, t)) == 3 and len(log.lines) == 3, what="regex filter")
        await pilot.press("f", "alt+c", "enter")
        await until(pilot, lambda: len(log.lines) == 2, what="case-sensitive filter")
        await pilot.press("f", "alt+c", "alt+i", "enter")
        await until(pilot, lambda: len(lines_with(screen, t)) == 2
                    and not [line for line in lines_with(screen, t) if "job" in line.lower()], what="inverted filter")
        await shows(pilot, "filter !")
        await pilot.press("f", "ctrl+u", "enter")
        await until(pilot, lambda: len(lines_with(screen, t)) == 5, what="filter cleared")

        # level chips: e by key, WARN by mouse, both off again
        await pilot.press("e")
        await until(pilot, lambda: len(lines_with(screen, t)) == 1, what="errors only")
        assert all("ERROR" in line for line in log.lines)
        await pilot.click("#chip-warn")
        await until(pilot, lambda: len(lines_with(screen, t)) == 2, what="errors and warnings")
        assert screen.query_one("#chip-warn", Chip).active and "WARN " in lines_with(screen, t)[1]
        await pilot.press("e", "w")
        await until(pilot, lambda: len(lines_with(screen, t)) == 5, what="all levels")

        # sources: hide task a in the picker, then the whole container with its chip
        await pilot.press("c")
        await until(pilot, lambda: screen_name(app) == "PickScreen", what="picker")
        from textual.widgets import SelectionList

        picker = app.screen.query_one(SelectionList)
        values = [picker.get_option_at_index(i).value for i in range(picker.option_count)]
        assert "c:worker" in values and f"t:{a[:8]}" in values
        while picker.highlighted != values.index(f"t:{a[:8]}"):
            await pilot.press("down")
        await pilot.press("space", "enter")
        await until(pilot, lambda: len(lines_with(screen, t)) == 2, what="task a hidden")
        await shows(pilot, "hidden")
        await pilot.click(".container-chip")
        await until(pilot, lambda: not lines_with(screen, t), what="container hidden")
        await pilot.click(".container-chip")
        await until(pilot, lambda: len(lines_with(screen, t)) == 2, what="container shown again")

        # save: the lines shown, to the save folder
        await pilot.press("s")
        assert screen.saved_path is not None and screen.saved_path.parent == tmp_path
        saved = screen.saved_path.read_text().splitlines()
        assert [line for line in saved if t in line] == lines_with(screen, t)
        assert any("saved" in n.message for n in app._notifications)


async def test_time_presets_reload_the_window(make_app, tui_aws):
    t = tag()
    now = int(time.time() * 1000)
    tui_aws.put_logs(tui_aws.log_groups["worker"], "worker", [f"{t} ten minutes ago"], at_ms=now - 600_000)
    tui_aws.put_logs(tui_aws.log_groups["worker"], "worker", [f"{t} just now"], at_ms=now - 1000)
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_logs(pilot, tui_aws)
        await until(pilot, lambda: len(lines_with(screen, t)) == 2, what="tail")
        for key, label, expected in (("1", "last 1m", 1), ("3", "last 15m", 2), ("2", "last 5m", 1), ("4", "last 1h", 2),
                                     ("0", "tail", 2)):
            await pilot.press(key)
            await until(pilot, lambda: screen.loaded and len(lines_with(screen, t)) == expected,
                        what=f"preset {label}")
            await shows(pilot, label)


async def test_t_shows_an_absolute_range_without_following(make_app, tui_aws):
    t = tag()
    now = int(time.time() * 1000)
    for minutes in (50, 30, 10):
        tui_aws.put_logs(tui_aws.log_groups["worker"], "worker", [f"{t} {minutes} minutes ago"],
                         at_ms=now - minutes * 60_000)
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_logs(pilot, tui_aws)
        await until(pilot, lambda: len(lines_with(screen, t)) == 3, what="tail")
        await pilot.press("t")
        await until(pilot, lambda: screen_name(app) == "AskScreen", what="range dialog")
        for ch in "40m 20m":
            await pilot.press("space" if ch == " " else ch)
        await pilot.press("enter")
        await until(pilot, lambda: screen.loaded and [x.split(t)[1].strip() for x in lines_with(screen, t)]
                    == ["30 minutes ago"], what="only the line inside the range")
        await shows(pilot, "■ range")
        tui_aws.put_logs(tui_aws.log_groups["worker"], "worker", [f"{t} new"], at_ms=int(time.time() * 1000))
        await pilot.pause(1.5)
        assert [x for x in lines_with(screen, t) if x.endswith("new")] == []  # a closed range does not follow
        await pilot.press("t")
        await until(pilot, lambda: screen_name(app) == "AskScreen", what="range dialog again")
        for ch in "yesterday":
            await pilot.press(ch)
        await pilot.press("enter")
        await until(pilot, lambda: any("cannot use 'yesterday'" in n.message for n in app._notifications),
                    what="the complaint about 'yesterday'")
        assert screen.range is not None and screen.range[1] is not None  # the range in force stays
        await until(pilot, lambda: screen_name(app) == "LogsScreen", what="back on the logs")
        await pilot.press("0")
        await until(pilot, lambda: len(lines_with(screen, t)) == 4, what="back to tail, following")


async def test_scrolling_up_pauses_and_G_follows_again(make_app, tui_aws):
    t = tag()
    group = tui_aws.log_groups["worker"]
    tui_aws.put_logs(group, "worker", [f"{t} line {i}" for i in range(80)])
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_logs(pilot, tui_aws)
        await until(pilot, lambda: len(lines_with(screen, t)) == 80, what="history")
        await pilot.press("g")  # top: not at the end any more
        await until(pilot, lambda: not screen.logview.is_vertical_scroll_end, what="scrolled up")
        tui_aws.put_logs(group, "worker", [f"{t} new {i}" for i in range(5)])
        await until(pilot, lambda: screen.new_count == 5, what="+5 new")
        await shows(pilot, "paused", "+5 new")
        assert not lines_with(screen, f"{t} new")
        await pilot.press("G")
        await until(pilot, lambda: len(lines_with(screen, f"{t} new")) == 5, what="flushed")
        assert screen.new_count == 0
        await shows(pilot, "● following")
        assert screen.logview.is_vertical_scroll_end
