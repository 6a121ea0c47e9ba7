"""Helpers shared by the benchmark programs: data sets, a served process, HTTP clients, the report."""
