"""Backdrop: conversational video background removal and replacement."""

__version__ = "0.1.0"
