"""reformbot application: settings, answer service, HTTP server, CLI and Slack bot."""
