"""pimp: a terminal workbench for the inference settings of LLMs, treated as a configurable system."""

__version__ = "0.1.0"
