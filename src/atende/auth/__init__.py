"""Users, roles, sessions and API credentials."""
