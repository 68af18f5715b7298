"""Analyses: each is a config, a result and one function (isolation: ``run``)."""
