"""TaskRouter statistics: real-time figures from the in-memory engines, cumulative ones from
per-minute counters written with each command, so neither scans every worker or task."""
