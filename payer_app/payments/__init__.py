"""Payments: signed mock payment requests, keys, history, mock acquirer."""
