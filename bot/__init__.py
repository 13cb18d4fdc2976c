"""chiiki: a community-building (地域づくり) chat bot for Japanese municipalities."""
