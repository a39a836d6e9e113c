"""`atende demo`: a contact center shaped like the broker's, with simulated traffic."""
