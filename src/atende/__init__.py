"""Atende: an open-source programmable contact center."""

__version__ = "0.1.0"
