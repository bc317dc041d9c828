"""The pure core: the instrument, scoring, the plan, the catalog, submissions and the rules that
protect small groups. No Flask, no SQL: everything here is a function of its arguments."""
