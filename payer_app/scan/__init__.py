"""Scan engine: frame sources, decoders, confirmation. No Qt widgets here."""
