"""Webhooks: admins subscribe URLs to domain events; deliveries are signed, retried, recorded and replayable."""
