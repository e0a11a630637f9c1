"""Models of customer events."""
