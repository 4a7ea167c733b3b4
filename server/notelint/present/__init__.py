"""Presenters: turn Reports into text, JSON and other formats. No analysis here."""
