"""Central collection: results moved from workshop laptops to a central server by bundle files,
owners' answers files and pushes, each checked like any other way in and idempotent."""
