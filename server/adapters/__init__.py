"""One module per outside library: the rest of the code calls these, never the library."""
