"""Leads, pipelines, deals, forecasts and lead scoring."""
