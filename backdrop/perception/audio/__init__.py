"""Perception: audio."""
