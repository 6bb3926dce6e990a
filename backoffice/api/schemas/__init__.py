"""Pydantic models of the API: the serializers, the request bodies and the query parameters.

The OpenAPI document is generated from them (docs.py), so the document describes exactly what
the views send and accept."""
