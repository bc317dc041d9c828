"""The public web: the assessment pages, the action plan and its PDF, the JSON API, the PWA."""
