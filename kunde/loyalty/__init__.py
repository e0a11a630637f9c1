"""The loyalty programme: points earned on orders, tiers, expiry and redemption, an append-only ledger."""
