"""API machinery shared by every app's `api.py`: authentication, the error schema,
keyset pages with filter parameters, ETag/If-Match and idempotency keys."""
