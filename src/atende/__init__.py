"""Atende: an open-source programmable contact center."""
