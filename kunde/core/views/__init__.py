"""Web views of cross-app pages; one module per area."""
