"""The SQLite bulk path runs ADBC in a child process; the file stays intact while this process holds it open."""

from __future__ import annotations

import sqlite3

import pyarrow as pa

from kunde.analytics import sqlite_bridge


def test_read_and_replace_through_the_child_keep_the_database_intact(tmp_path):
    path = tmp_path / "kunde.sqlite3"
    mine = sqlite3.connect(path)
    mine.execute("PRAGMA journal_mode=WAL")
    mine.execute("CREATE TABLE scores (id INTEGER PRIMARY KEY, person_id INTEGER, value REAL, label TEXT)")
    mine.executemany("INSERT INTO scores (person_id, value, label) VALUES (?, ?, ?)",
                     [(i, i / 10, "alt") for i in range(1000)])
    mine.commit()
    mine.execute("SELECT COUNT(*) FROM scores").fetchone()  # this process keeps the file open

    tables = sqlite_bridge.read(str(path), {"all": "SELECT person_id, value * 2 FROM scores ORDER BY person_id",
                                            "count": "SELECT COUNT(*) FROM scores"})
    assert tables["count"].column(0).to_pylist() == [1000]
    assert tables["all"].column(1).to_pylist()[:3] == [0.0, 0.2, 0.4]

    new = pa.table({"person_id": list(range(5)), "value": [1.5] * 5, "label": ["neu"] * 5})
    sqlite_bridge.replace(str(path), new, target="scores", staging="scores_staging",
                          insert_sql="INSERT INTO scores (person_id, value, label) "
                                     "SELECT person_id, value, label FROM scores_staging")

    assert mine.execute("SELECT COUNT(*), MIN(label), MAX(label) FROM scores").fetchone() == (5, "neu", "neu")
    assert mine.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert not mine.execute("SELECT name FROM sqlite_master WHERE name = 'scores_staging'").fetchall()
    # Without an INSERT statement the rows are appended to the emptied table directly.
    sqlite_bridge.replace(str(path), pa.table({"person_id": [7], "value": [2.5], "label": ["direkt"]}),
                          target="scores")
    assert mine.execute("SELECT person_id, value, label FROM scores").fetchall() == [(7, 2.5, "direkt")]
    assert mine.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    mine.close()


def test_a_failing_child_reports_the_error(tmp_path):
    path = tmp_path / "empty.sqlite3"
    sqlite3.connect(path).close()
    try:
        sqlite_bridge.read(str(path), {"x": "SELECT * FROM missing_table"})
    except sqlite_bridge.BridgeError as error:
        assert "missing_table" in str(error)
    else:
        raise AssertionError("expected a BridgeError")
