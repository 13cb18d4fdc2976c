"""Channel-neutral conversation logic: what a resident can ask and what the bot answers."""
