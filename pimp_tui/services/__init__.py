"""Thin façades the screens call from their workers; no Textual here, no widgets."""
