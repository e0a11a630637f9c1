"""Demo data: realistic German and English customers with a year of history (`kunde demo`)."""
