"""Contacts, conversations, messages, protocol numbers and transcripts."""
