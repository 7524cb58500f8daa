"""Tasks: prompts, reference answers and scorers."""
