"""Examples of checking your own protocol with Synod (see docs/explorer.md)."""
