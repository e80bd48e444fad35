"""The window's pages, one module each; the main window wires their signals together."""
