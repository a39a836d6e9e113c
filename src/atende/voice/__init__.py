"""Calls: the IVR, the queue, the agent's conference, transfers, recordings and callbacks."""
