"""Benchmarks that span packages (`make bench`): a whole simulated match with personas and scorers."""
