"""pimp: a terminal workbench for LLM inference settings, treated as a configurable system."""

__version__ = "0.1.0"
