"""The database opens in Datasette, with the metadata of `lmcself datasette-metadata`: the
workshops browsable; the account tables, every record-level table (submissions with their exact
dates and re-entry codes, facts, releases) and arbitrary SQL closed, tried as a viewer would."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

from datasette.app import Datasette

from lmcself.commands import main
from lmcself.core.plan import reentry_code
from lmcself.staff.accounts import add_user
from lmcself.storage import devices as device_table
from lmcself.storage.db import get_db

from .conftest import PASSWORD, random_records, store


def test_the_database_opens_in_datasette_with_accounts_closed(app, instrument, tmp_path):
    records = random_records(instrument, 12)
    store(app, records)
    first_id = records[0]["id"]
    with app.app_context():
        add_user(get_db(), "lina", PASSWORD, "staff")
        device_table.add(get_db(), "laptop-1")
    out = tmp_path / "metadata.json"
    result = app.test_cli_runner().invoke(main, ["datasette-metadata", "--out", str(out)])
    assert result.exit_code == 0, result.output
    database = app.config["DATABASE"]
    name = database.rsplit("/", 1)[-1].rsplit(".", 1)[0]

    async def browse():
        ds = Datasette([database], metadata=json.loads(out.read_text()))
        await ds.invoke_startup()
        get = ds.client.get
        closed = [
            f"/{name}/{table}{suffix}"
            for table in ("submissions", "facts", "fact_sums", "releases", "users", "devices")
            for suffix in (".json", ".json?_shape=array", ".csv", "")
        ]
        closed += [
            f"/{name}/submissions/{first_id}.json",
            f"/{name}/submissions/{first_id}",
            f"/{name}/submissions.json?_col=reentry&_col=created_on",
            f"/{name}/facts.json?_facet=month",
            f"/{name}.json?sql=select+password_hash+from+users",
            f"/{name}.json?sql=select+reentry,created_on+from+submissions",
            f"/{name}.csv?sql=select+*+from+facts",
        ]
        return (
            await get(f"/{name}/workshops.json?_shape=array"),
            [(path, (await get(path)).status_code) for path in closed],
            await get(f"/{name}"),
            await get(f"/{name}.json"),
        )

    # In a thread of its own: Playwright's browser tests leave an event loop on this one.
    with ThreadPoolExecutor(1) as thread:
        answers = thread.submit(lambda: asyncio.run(browse())).result()
    workshops, closed, page, listing = answers
    assert workshops.json()[0]["code"] == "HANOI-01"
    assert [(path, status) for path, status in closed if status != 403] == []
    assert page.status_code == 200 and "password_hash" not in page.text
    for record in records:  # nothing of one submission anywhere on the open pages
        for text in (page.text, listing.text, workshops.text):
            assert record["id"] not in text and reentry_code(record["id"]) not in text
