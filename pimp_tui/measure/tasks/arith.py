"""`arith`: generated arithmetic questions of graded difficulty, seeded, scored on the number.

Difficulty climbs with the question's index (cycling through the levels), so any prompt count
covers easy and hard questions alike and small models land between 0 and 100%.
"""

from __future__ import annotations

import random

from pimp_tui.measure.tasks.base import Prompt, Task

LEVELS = 5
# Worked examples that restate the expression: small instruct models follow the pattern and
# answer on one line ('6 + 3 = 9'), where a bare question draws a paragraph.
SHOTS = (
    ("What is 3 + 5?", "3 + 5 = 8"),
    ("What is 42 - 7?", "42 - 7 = 35"),
    ("What is 6 * 7?", "6 * 7 = 42"),
)


def _question(level: int, rng: random.Random) -> tuple[str, int]:
    if level == 0:
        a, b = rng.randint(1, 9), rng.randint(1, 9)
        return f"{a} + {b}", a + b
    if level == 1:
        a, b = rng.randint(10, 99), rng.randint(1, 9)
        return (f"{a} + {b}", a + b) if rng.random() < 0.5 else (f"{a} - {b}", a - b)
    if level == 2:
        a, b = rng.randint(2, 9), rng.randint(2, 9)
        return f"{a} * {b}", a * b
    if level == 3:
        a, b = rng.randint(10, 99), rng.randint(10, 99)
        return (f"{a} + {b}", a + b) if rng.random() < 0.5 else (f"{a} - {b}", a - b)
    a, b, c = rng.randint(2, 20), rng.randint(2, 20), rng.randint(2, 9)
    return f"({a} + {b}) * {c}", (a + b) * c


def arith_task(count: int, seed: int = 0) -> Task:
    """`count` questions, the same for the same seed."""
    rng = random.Random(f"arith:{seed}")
    prompts = []
    for index in range(count):
        expression, value = _question(index % LEVELS, rng)
        prompts.append(Prompt(f"What is {expression}?", str(value), "arith"))
    return Task("arith", tuple(prompts), chat=True, shots=SHOTS)
