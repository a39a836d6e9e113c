"""Local fakes of the providers Atende talks to, speaking their wire formats."""
