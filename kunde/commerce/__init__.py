"""Products, price lists, quotes with VAT and PDF, orders (the purchase history)."""
