"""Outputs for planners: tables, GeoJSON, reports, console summaries (and, later, maps)."""
