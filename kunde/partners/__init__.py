"""Partners (collaborative CRM): partner organisations, the partner portal, shared records and lead handover."""
