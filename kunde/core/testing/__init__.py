"""Test helpers shared by every app: users per role, factories, API clients."""
