"""One module per platform: verify, parse, render, send. Only here may a platform SDK appear."""
