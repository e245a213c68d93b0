"""Perception: core."""
