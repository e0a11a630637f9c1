"""Interoperability formats: vCard export and import, iCalendar feeds of tasks and meetings."""
