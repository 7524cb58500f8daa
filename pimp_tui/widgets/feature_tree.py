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
    ) -> None:
        keep = self.selected_feature
        collapsed = {n.data for n in self._all_nodes() if n.data is not None and not n.is_expanded}
        first = self.root.data is None
        self.clear()
        root = self.root
        root.data = model.root.name
        root.set_label(feature_label(model.root, None, model.root.name in core))
        cursor: TreeNode[str] | None = root if keep == model.root.name else None

        def add(node: TreeNode[str], feature: Feature) -> None:
            nonlocal cursor
            for group in feature.groups:
                for child in group.children:
                    label = feature_label(child, group.kind, child.name in core, child.name in dead)
                    if child.groups:
                        sub = node.add(label, data=child.name)
                        add(sub, child)
                        if first or child.name not in collapsed:
                            sub.expand()
                    else:
                        sub = node.add_leaf(label, data=child.name)
                    if child.name == keep:
                        cursor = sub

        add(root, model.root)
        root.expand()
        if cursor is not None:
            target = cursor
            self.call_after_refresh(lambda: self.move_cursor(target))

    def _all_nodes(self) -> list[TreeNode[str]]:
        out, stack = [], [self.root]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(node.children)
        return out
