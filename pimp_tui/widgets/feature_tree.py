"""The feature tree: one node per feature, marked by the kind of group it sits in, with core
features in bold and dead ones struck through."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from pimp_tui.variability.model import Feature, FeatureModel, FeatureType, GroupKind

MARKERS = {
    GroupKind.MANDATORY: "■",
    GroupKind.OPTIONAL: "□",
    GroupKind.ALTERNATIVE: "○",
    GroupKind.OR: "◇",
    GroupKind.CARDINALITY: "#",
}
LEGEND = "■ mandatory  □ optional  ○ alternative  ◇ or  # cardinality"


def feature_label(
    feature: Feature, kind: GroupKind | None, core: bool = False, dead: bool = False
) -> Text:
    text = Text()
    if kind is not None:
        text.append(MARKERS[kind] + " ", style="dim")
    style = "bold" if core else ""
    if dead:
        style = "red strike"
    if feature.abstract:
        style += " italic"
    text.append(feature.name, style=style.strip())
    if feature.type is not FeatureType.BOOLEAN:
        domain = feature.domain()
        size = f" ({len(domain)})" if domain is not None else " (unbounded)"
        text.append(f" {feature.type.value}{size}", style="dim cyan")
    return text


class FeatureTree(Tree[str]):
    """Node data is the feature name; `show_model` redraws keeping the cursor and expansion."""

    DEFAULT_CSS = "FeatureTree { padding: 0; }"

    def __init__(self, **kwargs: object) -> None:
        super().__init__("(no model)", **kwargs)  # type: ignore[arg-type]
        self.show_root = True
        self.guide_depth = 2

    @property
    def selected_feature(self) -> str | None:
        node = self.cursor_node
        return node.data if node is not None else None

    def show_model(
        self,
        model: FeatureModel,
        core: set[str] | frozenset[str] = frozenset(),
        dead: set[str] | frozenset[str] = frozenset(),
        select: str | None = None,
    ) -> None:
        """Rebuild from `model`; the cursor stays on the same feature, or goes to `select`."""
        keep = select or self.selected_feature
        collapsed = {n.data for n in self._all_nodes() if n.data is not None and not n.is_expanded}
        first = self.root.data is None
        self.clear()
        root = self.root
        root.data = model.root.name
        root.set_label(feature_label(model.root, None, model.root.name in core))

        def add(node: TreeNode[str], feature: Feature) -> None:
            for group in feature.groups:
                for child in group.children:
                    label = feature_label(child, group.kind, child.name in core, child.name in dead)
                    if child.groups:
                        sub = node.add(label, data=child.name)
                        add(sub, child)
                        if first or child.name not in collapsed:
                            sub.expand()
                    else:
                        node.add_leaf(label, data=child.name)

        add(root, model.root)
        root.expand()
        if keep is not None:
            self.call_after_refresh(self.select_feature, keep)

    def select_feature(self, name: str) -> None:
        """Put the cursor on the feature called `name` (expanding its ancestors)."""
        node = next((n for n in self._all_nodes() if n.data == name), None)
        if node is None:
            return
        parent = node.parent
        while parent is not None:
            parent.expand()
            parent = parent.parent
        for index, line in enumerate(self._tree_lines):
            if line.node is node:
                self.cursor_line = index
                self.scroll_to_line(index)
                return

    def _all_nodes(self) -> list[TreeNode[str]]:
        out, stack = [], [self.root]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(node.children)
        return out
