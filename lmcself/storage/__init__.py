"""Storage: every SQL statement, on one SQLite file. Views, commands and exporters call these
functions; they never write SQL of their own."""
