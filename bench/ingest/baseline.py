"""baseline.py JSONL DB - the ingest baseline: Python's json + sqlite3 loading
the same Kaggle JSON lines into one table (id primary key, upsert of the
main fields, one transaction per 2000 records). It does less than paperboy
(no versions/authors tables, no validation), so it is a floor to beat, not
a like-for-like copy."""
import json
import sqlite3
import sys

src, dbpath = sys.argv[1], sys.argv[2]
con = sqlite3.connect(dbpath)
con.execute("PRAGMA journal_mode=WAL")
con.execute("PRAGMA synchronous=NORMAL")
con.execute("CREATE TABLE IF NOT EXISTS papers(id TEXT PRIMARY KEY, title TEXT, abstract TEXT,"
            " authors TEXT, categories TEXT, versions INT, updated TEXT)")
batch = []
n = 0


def flush():
    con.executemany(
        "INSERT INTO papers VALUES(?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET"
        " title=excluded.title, abstract=excluded.abstract, authors=excluded.authors,"
        " categories=excluded.categories, versions=excluded.versions, updated=excluded.updated"
        " WHERE excluded.versions > papers.versions", batch)
    con.commit()
    batch.clear()


with open(src, encoding="utf-8") as f:
    for line in f:
        r = json.loads(line)
        v = r.get("versions") or []
        batch.append((r["id"], " ".join(r["title"].split()), " ".join(r["abstract"].split()),
                      r.get("authors"), r.get("categories"), len(v),
                      v[-1]["created"] if v else None))
        n += 1
        if len(batch) >= 2000:
            flush()
flush()
print(n)
