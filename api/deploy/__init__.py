"""Production deployment files: the micro-caching nginx configuration and its renderer."""
