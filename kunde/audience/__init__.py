"""Segments over any attribute and the consent ledger (DSGVO Art. 7) with suppression."""
