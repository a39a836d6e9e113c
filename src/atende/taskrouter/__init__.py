"""TaskRouter v1-compatible API: workspaces, workers, queues, workflows, tasks, reservations."""
