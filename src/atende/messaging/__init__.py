"""Messaging channels as routed conversations: webhooks, delivery, the bot and the desk API."""
