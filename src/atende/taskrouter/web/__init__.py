"""The HTTP layer of the TaskRouter-compatible API: parsing Twilio-style requests, shaping
Twilio-style responses, and one module of routes per resource."""
