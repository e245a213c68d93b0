"""Perception: vision."""
