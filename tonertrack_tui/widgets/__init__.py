"""Reusable views. They render values computed in core/; they decide nothing."""
