"""Road networks: sources (bundled, OSM XML, PBF, download, GraphML), schema, summary, export."""
