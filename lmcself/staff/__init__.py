"""The staff area: sign-in, workshops and their room view, dashboard, report, exports, imports."""
