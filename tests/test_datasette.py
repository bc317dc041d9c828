"""The database opens in Datasette, with the metadata of `lmcself datasette-metadata`: the data
tables browsable, the account tables and arbitrary SQL closed."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

from datasette.app import Datasette

from lmcself.commands import main
from lmcself.staff.accounts import add_user
from lmcself.storage import devices as device_table
from lmcself.storage.db import get_db

from .conftest import PASSWORD, random_records, store


def test_the_database_opens_in_datasette_with_accounts_closed(app, instrument, tmp_path):
    store(app, random_records(instrument, 12))
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
        return (
            await get(f"/{name}/facts.json?_shape=array"),
            await get(f"/{name}/workshops.json?_shape=array"),
            await get(f"/{name}/users.json"),
            await get(f"/{name}/devices.json"),
            await get(f"/{name}.json?sql=select+password_hash+from+users"),
            await get(f"/{name}"),
        )

    # In a thread of its own: Playwright's browser tests leave an event loop on this one.
    with ThreadPoolExecutor(1) as thread:
        answers = thread.submit(lambda: asyncio.run(browse())).result()
    facts, workshops, users, devices, sql, page = answers
    assert facts.status_code == 200 and len(facts.json()) == 12
    assert workshops.json()[0]["code"] == "HANOI-01"
    assert users.status_code == devices.status_code == sql.status_code == 403
    assert page.status_code == 200 and "password_hash" not in page.text
