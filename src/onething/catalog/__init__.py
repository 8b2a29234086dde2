"""Regions, departments, service items, bundles and situations (the catalog)."""
