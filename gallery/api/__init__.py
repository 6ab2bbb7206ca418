"""REST API v1: thin DRF views over the same services as the web pages (views/api → services)."""
