"""Simulator and staffing calculator: simulated days driven through the real routing engine,
and Erlang C / Erlang A forecasts of the agents a queue needs."""
