"""Community and co-creation: customers submit and vote on ideas about products in the portal."""
