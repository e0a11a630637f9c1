"""End-to-end tests in a real Chromium driven by Playwright (marked `browser`)."""
