"""The desk: the browser screens of agents, supervisors and administrators."""
