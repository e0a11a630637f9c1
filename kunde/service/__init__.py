"""Tickets, SLAs, routing rules, the customer portal and satisfaction (CSAT)."""
