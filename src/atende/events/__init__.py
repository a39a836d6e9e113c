"""One event definition feeding push streams, webhooks, the audit trail and statistics."""
