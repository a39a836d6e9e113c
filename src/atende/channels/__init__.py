"""Providers behind one connector protocol: Twilio voice and messaging, WhatsApp Cloud, web chat,
and the sandbox that simulates a carrier."""
