"""Textual screens of the warroom dashboard (one per file)."""
