"""Pure domain code: plain values in, plain values out. No Flask, no database."""
