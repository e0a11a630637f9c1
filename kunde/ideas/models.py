"""Models of ideas."""
