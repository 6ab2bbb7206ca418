"""The REST API's kit: what every feature's endpoints share (base, errors, parsers, pagination,
schema). The endpoints are in each feature's ``api.py``; they meet in gallery/api_urls.py."""
