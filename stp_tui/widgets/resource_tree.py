"""The stack as a tree: config resource → AWS resources (an ECS service → its tasks → their containers).

Refreshing keeps what the user sees: when the shape is unchanged only labels change in place; when it
changed (a task started, a resource appeared) the tree is rebuilt with the same nodes expanded and the
cursor on the same node.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from core.aws.dashboard import AwsResource, ContainerRow, ResourceGroup, StackView, TaskRow
from stp_tui.format import age, short_id, status_style


@dataclass
class NodeRef:
    kind: str  # stack | group | aws | task | container | note
    key: str
    group: ResourceGroup | None = None
    child: AwsResource | None = None
    task: TaskRow | None = None
    container: str | None = None
    container_row: ContainerRow | None = None


def _pad(value: str, width: int) -> str:
    return value.ljust(width)


class ResourceTree(Tree[NodeRef]):
    DEFAULT_CSS = """
    ResourceTree { height: 1fr; width: 1fr; padding: 0 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("stack", **kwargs)
        self.guide_depth = 3
        self._shape: list[tuple[str, str]] = []
        self._by_key: dict[str, TreeNode[NodeRef]] = {}
        self.loaded = False

    # ------------------------------------------------------------------ building

    def _entries(self, view: StackView, tasks: dict[str, list[TaskRow]], now: datetime):
        """(parent key, key, label, ref, can expand) in display order."""
        out = []
        groups = view.groups
        name_w = max([len(g.name) for g in groups] + [8])
        type_w = max([len(g.type) for g in groups] + [8])
        for g in groups:
            gkey = f"g:{g.name}"
            label = Text()
            label.append(_pad(g.name, name_w), style="bold")
            label.append("  ")
            label.append(_pad(g.type, type_w), style="cyan")
            label.append("  ")
            label.append(g.status, style=status_style(g.status))
            strategy = view.strategy(g)
            if strategy and strategy != "ROLLING":
                label.append(f"  ⇄ {strategy.lower()}", style="magenta")
            out.append(("", gkey, label, NodeRef("group", gkey, g), bool(g.children)))
            lid_w = max([len(c.logical_id) for c in g.children] + [8])
            ctype_w = max([len(c.type) for c in g.children] + [8])
            st_w = max([len(c.status) for c in g.children] + [8])
            for c in g.children:
                ckey = f"a:{g.name}:{c.logical_id}"
                lab = Text()
                lab.append(_pad(c.logical_id, lid_w))
                lab.append("  ")
                lab.append(_pad(c.type, ctype_w), style="dim")
                lab.append("  ")
                lab.append(_pad(c.status, st_w), style=status_style(c.status))
                if c.physical_id:
                    lab.append("  " + short_id(c.physical_id, 48), style="dim")
                is_service = c.type == "AWS::ECS::Service"
                group_tasks = (tasks.get(g.name) or []) if is_service else []
                containers = view.task_containers(g) if is_service else []
                if is_service:
                    running = sum(1 for t in group_tasks if t.status == "RUNNING")
                    lab.append(f"  {running} task{'s' if running != 1 else ''} running",
                               style="green" if running else "dim")
                out.append((gkey, ckey, lab, NodeRef("aws", ckey, g, c), is_service and bool(group_tasks or containers)))
                if not is_service:
                    continue
                if group_tasks:
                    for t in group_tasks:
                        tkey = f"t:{g.name}:{t.task_id}"
                        tl = Text()
                        tl.append("task ", style="dim")
                        tl.append(t.task_id[:12], style="bold")
                        tl.append("  ")
                        tl.append(t.status, style=status_style(t.status))
                        if t.revision:
                            tl.append(f"  rev {t.revision}", style="dim")
                        if t.health and t.health != "UNKNOWN":
                            tl.append(f"  {t.health}", style=status_style(t.health))
                        if t.started:
                            tl.append(f"  up {age(t.started, now)}", style="dim")
                        if t.stopped_reason:
                            tl.append(f"  {t.stopped_reason}", style="red")
                        out.append((ckey, tkey, tl, NodeRef("task", tkey, g, c, t), bool(t.containers)))
                        for cr in t.containers:
                            kkey = f"c:{g.name}:{t.task_id}:{cr.name}"
                            cl = Text()
                            cl.append("▣ ", style="cyan")
                            cl.append(cr.name, style="bold")
                            cl.append("  ")
                            cl.append(cr.status or "-", style=status_style(cr.status))
                            if cr.exit_code is not None:
                                cl.append(f"  exit {cr.exit_code}", style="red" if cr.exit_code else "dim")
                            if cr.reason:
                                cl.append(f"  {cr.reason}", style="red")
                            out.append((tkey, kkey, cl, NodeRef("container", kkey, g, c, t, cr.name, cr), False))
                else:
                    for name in containers:
                        kkey = f"c:{g.name}::{name}"
                        cl = Text()
                        cl.append("▣ ", style="cyan")
                        cl.append(name, style="bold")
                        cl.append("  container (no running tasks reported)", style="dim")
                        out.append((ckey, kkey, cl, NodeRef("container", kkey, g, c, None, name), False))
        return out

    def _root_label(self, view: StackView, now: datetime) -> Text:
        text = Text()
        text.append(view.name, style="bold")
        text.append("  ")
        text.append(view.status, style=status_style(view.status))
        when = view.updated or view.created
        if when:
            text.append(f"  updated {age(when, now)} ago", style="dim")
        return text

    def show(self, view: StackView, tasks: dict[str, list[TaskRow]], now: datetime) -> None:
        entries = self._entries(view, tasks, now)
        shape = [(p, k) for p, k, *_ in entries]
        root_ref = NodeRef("stack", "stack")
        if self.loaded and shape == self._shape:
            self.root.set_label(self._root_label(view, now))
            self.root.data = root_ref
            for parent, key, label, ref, can_expand in entries:
                node = self._by_key.get(key)
                if node is not None:
                    node.set_label(label)
                    node.data = ref
            self._last_view = view
            return
        expanded = {k for k, n in self._by_key.items() if n.is_expanded}
        cursor = self.cursor_node.data.key if self.cursor_node is not None and self.cursor_node.data else None
        first = not self.loaded
        self.clear()
        self.root.set_label(self._root_label(view, now))
        self.root.data = root_ref
        self._by_key = {}
        for parent, key, label, ref, can_expand in entries:
            parent_node = self.root if not parent else self._by_key[parent]
            open_it = key in expanded or (ref.kind == "aws" and ref.child is not None
                                          and ref.child.type == "AWS::ECS::Service") or ref.kind == "task"
            node = parent_node.add(label, data=ref, expand=open_it, allow_expand=can_expand)
            self._by_key[key] = node
        self.root.expand()
        self._shape = shape
        self.loaded = True
        self._last_view = view
        if cursor and cursor in self._by_key:
            self.call_after_refresh(self.move_cursor, self._by_key[cursor])
        elif first and view.groups:
            self.call_after_refresh(self.move_cursor, self._by_key.get(f"g:{view.groups[0].name}"))

    def node_for(self, key: str) -> TreeNode[NodeRef] | None:
        return self._by_key.get(key)

    @property
    def selected_ref(self) -> NodeRef | None:
        node = self.cursor_node
        return node.data if node is not None else None
