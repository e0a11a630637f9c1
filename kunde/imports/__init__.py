"""Importing people from CSV and XLSX: mapping, validation, matching, dry run, resumable runs, undo."""
