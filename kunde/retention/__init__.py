"""Retention plans answering the six guiding questions, binding causes per customer, plan effects."""
