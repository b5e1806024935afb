"""Plumbing shared by every layer: atomic files and locks, safe text."""
