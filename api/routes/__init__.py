"""One module per group of routes; each exposes ``add_routes(app)``."""
