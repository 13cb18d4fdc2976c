"""What staff do (from the command line, later the dashboard): feature services over storage."""
