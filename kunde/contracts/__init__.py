"""Subscriptions and contracts: terms, notice periods, renewals, MRR/ARR and contract churn."""
