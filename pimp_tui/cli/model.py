"""`pimp model check|count|show|convert`: feature models from the shell.

Exit status: 0 success; 1 a well-formed model that is unsatisfiable or uses a construct the
reasoner does not support; 2 a malformed model (FILE:LINE:COL: message) or another user error.
"""

from __future__ import annotations

import argparse
import sys

from pimp_tui.variability.model import Feature, GroupKind


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
        help=f"{what}: NAME=VALUE (true/false, yes/no, 1/0, none, or a value of its domain), "
        "NAME or !NAME; repeatable",
    )


def check_command(args: argparse.Namespace) -> int:
    from pimp_tui.services.analysis import check_file

    given = args.given
    checked = check_file(args.file, given)
    if not checked.satisfiable:
        conflict = "; ".join(checked.conflict)
        print(
            f"pimp: {args.file}: unsatisfiable: no configuration is valid "
            f"(together these admit none: {conflict})",
            file=sys.stderr,
        )
        return 1
    if given and not checked.completable:
        shown = ", ".join(args.given)
        conflict = "; ".join(checked.given_conflict)
        print(
            f"pimp: {args.file}: no valid configuration has {shown} (it clashes with: {conflict})",
            file=sys.stderr,
        )
        return 1
    suffix = " and completable as given" if given else ""
    print(
        f"{args.file}: ok: {checked.features} features, {checked.constraints} constraints, "
        f"satisfiable{suffix}"
    )
    return 0


def count_command(args: argparse.Namespace) -> int:
    from pimp_tui.services.analysis import count_file, count_text

    print(count_text(count_file(args.file, args.given)))
    return 0


def show_command(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.tree import Tree

    from pimp_tui.services.analysis import count_text, summarise_file

    summary = summarise_file(args.file)
    model = summary.model
    console = Console(highlight=False)
    tree = Tree(_label(model.root))
    _grow(tree, model.root)
    console.print(tree)
    console.print(
        f"features: {summary.features} ({summary.abstract} abstract, {summary.typed} typed); "
        f"constraints: {summary.constraints}",
        markup=False,
    )
    if not summary.satisfiable:
        console.print("valid configurations: 0 (the model is unsatisfiable)", markup=False)
        return 1
    console.print(f"valid configurations: {count_text(summary.count, True)}", markup=False)
    console.print(f"core features: {_names(summary.core)}", markup=False)
    console.print(f"dead features: {_names(summary.dead)}", markup=False)
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
    from pimp_tui.services.analysis import convert_file

    check_output(args.target, "OUT", protect=[args.source])
    convert_file(args.source, args.target)
    print(f"wrote {args.target}", file=sys.stderr)
    return 0
