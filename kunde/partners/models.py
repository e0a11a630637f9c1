"""Models of partners."""
