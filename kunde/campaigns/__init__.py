"""Templates, e-mail campaigns, surveys (NPS/CSAT) and automation rules."""
