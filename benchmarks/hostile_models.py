"""Hostile model files: what `pimp model check` answers to each, its exit status, wall time and
peak memory.

    python benchmarks/hostile_models.py            # every case
    python benchmarks/hostile_models.py --timeout 60

Target: every case answers (a result or one located error line) in under 5 s, in well under
1 GB, with exit status 0 or 2 and no traceback. The cases are generated in a temporary folder:
deep feature trees, 10,000-deep brackets and negations, 600- and 10,000-term disjunctions, a
million-value domain, nested XML entities, 10,000-deep XML rules, and an import cycle.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

_ENTITIES = "\n".join(
    f' <!ENTITY {name} "{(("&" + prev + ";") * 20) if prev else "a" * 50}">'
    for prev, name in zip(["", "a", "b", "c", "d"], "abcde", strict=True)
)
_CHILD = (
    "import resource, sys\n"
    "from pimp_tui.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print(f'peak_kb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)
"""`pimp` in a child process that reports its peak memory last on stderr."""
_OPTIONAL = "features\n\tR\n\t\toptional\n"


def _tree(levels: int) -> str:
    lines = ["features", "\tF0"]
    for i in range(1, levels + 1):
        lines += ["\t" * (2 * i) + "optional", "\t" * (2 * i + 1) + f"F{i}"]
    return "\n".join(lines) + "\n"


def _disjunction(terms: int) -> str:
    children = "".join(f"\t\t\tA{i}\n" for i in range(terms))
    return _OPTIONAL + children + "constraints\n\t" + " | ".join(f"A{i}" for i in range(terms))


def cases() -> dict[str, Callable[[], str]]:
    """File name -> its content, made on demand (one at a time: the 10,000-level tree is
    200 MB)."""
    made = {
        "tree-200-levels.uvl": _tree(200),
        "tree-10000-levels.uvl": "",
        "or-600-terms.uvl": _disjunction(600),
        "or-10000-terms.uvl": _disjunction(10_000),
        "brackets-10000.uvl": _OPTIONAL + "\t\t\tA\nconstraints\n\t" + "(" * 10_000 + "A"
        + ")" * 10_000,
        "not-10000.uvl": _OPTIONAL + "\t\t\tA\nconstraints\n\t" + "!" * 10_000 + "A",
        "integer-million.uvl": _OPTIONAL + "\t\t\tInteger x {min 0, max 1000000}\n",
        "entities.xml": f'<?xml version="1.0"?>\n<!DOCTYPE m [\n{_ENTITIES}\n]>\n'
        '<featureModel><struct><feature name="R"><description>&e;</description></feature>'
        "</struct></featureModel>\n",
        "rule-10000-deep.xml": '<featureModel><struct><feature name="R"/></struct><constraints>'
        f"<rule>{'<not>' * 10_000}<var>R</var>{'</not>' * 10_000}</rule></constraints>"
        "</featureModel>",
        "cycle_a.uvl": "imports\n\tcycle_b\nfeatures\n\tA\n\t\toptional\n\t\t\tcycle_b.B\n",
        "cycle_b.uvl": "imports\n\tcycle_a as a\nfeatures\n\tB\n\t\toptional\n\t\t\ta.A\n",
    }  # fmt: skip
    made["tree-10000-levels.uvl"] = lambda: _tree(10_000)
    return {name: (text if callable(text) else (lambda t=text: t)) for name, text in made.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per case")
    parser.add_argument("--write", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.write:
        for name, make in cases().items():
            (Path(args.write) / name).write_text(make(), encoding="utf-8")
        return 0
    with tempfile.TemporaryDirectory() as folder:
        # Written by a child: a process's peak memory is inherited by the processes it starts.
        subprocess.run([sys.executable, __file__, "--write", folder], check=True)
        print(f"{'case':24} {'exit':>4} {'seconds':>8} {'peak MB':>8}  answer")
        for name in cases():
            if name == "cycle_b.uvl":
                continue
            start = time.perf_counter()
            try:
                done = subprocess.run(
                    [sys.executable, "-c", _CHILD, "model", "check", name],
                    cwd=folder,
                    capture_output=True,
                    text=True,
                    timeout=args.timeout,
                )
                code, answer = str(done.returncode), (done.stdout + done.stderr).strip()
            except subprocess.TimeoutExpired:
                code, answer = "-", f"no answer within {args.timeout:g} s"
            seconds = time.perf_counter() - start
            lines = answer.splitlines()
            peak = (
                lines.pop()[len("peak_kb=") :] if lines and lines[-1].startswith("peak_kb=") else ""
            )
            shown = f"{int(peak) / 1024:8.0f}" if peak else f"{'?':>8}"
            print(f"{name:24} {code:>4} {seconds:8.2f} {shown}  {(lines or [''])[-1][:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
