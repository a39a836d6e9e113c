"""Operations of the platform itself: support incidents under an SLA, escalation, status page."""
