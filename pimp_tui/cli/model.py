"""`pimp model check|count|show|convert`: feature models from the shell.

Exit status: 0 success; 1 a well-formed model that is unsatisfiable or uses a construct the
reasoner does not support; 2 a malformed model (FILE:LINE:COL: message) or another user error.
"""

from __future__ import annotations

import argparse
import sys

from pimp_tui.errors import PimpError, UnsupportedConstruct
from pimp_tui.variability.model import Feature, FeatureModel, GroupKind, Value


def register(subparsers: argparse._SubParsersAction) -> None:
    model = subparsers.add_parser(
        "model",
        help="check, count, show or convert a feature model",
        description="Reason about a feature model (.uvl or FeatureIDE .xml).",
    )
    commands = model.add_subparsers(dest="model_command", metavar="ACTION", required=True)

    check = commands.add_parser(
        "check", help="is the model well-formed and satisfiable? (exit 0, 1 or 2)"
    )
    check.add_argument("file", metavar="FILE")
    _add_given(check, "also check that some valid configuration has this value")
    check.set_defaults(func=check_command)

    count = commands.add_parser(
        "count", help="exact number of valid configurations (alone on the last line)"
    )
    count.add_argument("file", metavar="FILE")
    _add_given(count, "count only configurations with this value")
    count.set_defaults(func=count_command)

    show = commands.add_parser(
        "show", help="tree, sizes, valid-configuration count, core and dead features"
    )
    show.add_argument("file", metavar="FILE")
    show.set_defaults(func=show_command)

    convert = commands.add_parser("convert", help="convert between .uvl and .xml by extension")
    convert.add_argument("source", metavar="IN")
    convert.add_argument("target", metavar="OUT")
    convert.set_defaults(func=convert_command)


def _add_given(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--given",
        action="append",
        default=[],
        metavar="FEATURE=VALUE",
        help=f"{what} (true, false, none, or a value of the feature's domain); repeatable",
    )


def _reasoner(path: str):  # -> tuple[FeatureModel, Reasoner]
    from pimp_tui.variability.io import load_model
    from pimp_tui.variability.reasoning import Reasoner

    model = load_model(path)
    try:
        return model, Reasoner(model)
    except UnsupportedConstruct as exc:
        raise UnsupportedConstruct(f"{path}: not supported by the reasoner: {exc}") from None


def check_command(args: argparse.Namespace) -> int:
    model, reasoner = _reasoner(args.file)
    features = sum(1 for _ in model.features())
    if not reasoner.is_satisfiable():
        conflict = "; ".join(reasoner.conflict())
        print(
            f"pimp: {args.file}: unsatisfiable: no configuration is valid "
            f"(together these admit none: {conflict})",
            file=sys.stderr,
        )
        return 1
    given = _parse_given(args.given)
    if given and not reasoner.can_complete(given):
        shown = ", ".join(args.given)
        conflict = "; ".join(reasoner.conflict(given))
        print(
            f"pimp: {args.file}: no valid configuration has {shown} (it clashes with: {conflict})",
            file=sys.stderr,
        )
        return 1
    suffix = " and completable as given" if given else ""
    print(
        f"{args.file}: ok: {features} features, {len(model.constraints)} constraints, "
        f"satisfiable{suffix}"
    )
    return 0


def count_command(args: argparse.Namespace) -> int:
    _, reasoner = _reasoner(args.file)
    print(reasoner.count(_parse_given(args.given)))
    return 0


def _parse_given(items: list[str]) -> dict[str, Value | None]:
    words: dict[str, Value | None] = {"true": True, "false": False, "none": None}
    given: dict[str, Value | None] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise PimpError(f"--given {item!r}: expected FEATURE=VALUE")
        given[name] = words.get(text.lower(), text)
    return given


def show_command(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.tree import Tree

    model, reasoner = _reasoner(args.file)
    console = Console(highlight=False)
    tree = Tree(_label(model.root))
    _grow(tree, model.root)
    console.print(tree)
    features = list(model.features())
    abstract = sum(f.abstract for f in features)
    typed = sum(f.type.value != "Boolean" for f in features)
    console.print(
        f"features: {len(features)} ({abstract} abstract, {typed} typed); "
        f"constraints: {len(model.constraints)}",
        markup=False,
    )
    if not reasoner.is_satisfiable():
        console.print("valid configurations: 0 (the model is unsatisfiable)", markup=False)
        return 1
    console.print(f"valid configurations: {reasoner.count():,}", markup=False)
    console.print(f"core features: {_names(reasoner.core_features())}", markup=False)
    console.print(f"dead features: {_names(reasoner.dead_features())}", markup=False)
    return 0


def _names(names: list[str]) -> str:
    return f"{len(names)}: " + ", ".join(names) if names else "none"


def _grow(node, feature: Feature) -> None:
    for group in feature.groups:
        if group.kind is GroupKind.CARDINALITY:
            upper = "*" if group.upper is None else group.upper
            kind = f"[{group.lower}..{upper}]"
        else:
            kind = group.kind.value
        branch = node.add(f"[dim]{kind}[/dim]")
        for child in group.children:
            _grow(branch.add(_label(child)), child)


def _label(feature: Feature) -> str:
    from rich.markup import escape

    parts = [f"[bold]{escape(feature.name)}[/bold]"]
    if feature.type.value != "Boolean":
        domain = feature.domain()
        shown = "no finite domain" if domain is None else _domain_text(domain)
        parts.append(f"[cyan]{feature.type.value}[/cyan] {escape(shown)}")
    if feature.abstract:
        parts.append("[italic]abstract[/italic]")
    if feature.cardinality is not None:
        lo, hi = feature.cardinality
        parts.append(f"cardinality [{lo}..{'*' if hi is None else hi}]".replace("[", "\\["))
    return " ".join(parts)


def _domain_text(domain: tuple) -> str:
    values = [repr(v) if isinstance(v, str) else str(v) for v in domain]
    if len(values) > 6:
        values = [*values[:3], "...", *values[-2:]]
    return "{" + ", ".join(values) + "}"


def convert_command(args: argparse.Namespace) -> int:
    from pimp_tui.files import check_output
    from pimp_tui.variability.io import load_model, save_model

    check_output(args.target, "OUT", protect=[args.source])
    model: FeatureModel = load_model(args.source)
    save_model(model, args.target)
    print(f"wrote {args.target}", file=sys.stderr)
    return 0
