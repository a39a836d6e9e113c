"""Declarative IVR and bot flows: one shape for voice menus and chat bots."""
