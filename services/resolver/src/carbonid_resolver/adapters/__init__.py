"""Identifier-node adapters behind one interface: Handle.Net REST and SNMS."""
