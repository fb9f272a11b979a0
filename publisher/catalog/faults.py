"""What a failed API call says: what happened and what to do, not the portal's raw answer.

With PostgreSQL down CKAN answers every call with its HTML "Internal Server Error" page; a
DataStore load retried after the first attempt failed half-way (the search index down while the
resource was updated) is refused with PostgreSQL's "duplicate key value violates unique
constraint", which reads as if the data held duplicates. Each becomes a sentence a person can act on.
"""

from __future__ import annotations

import re

HTML = re.compile(r"<\s*(!doctype|html|head|body|title)\b", re.I)
DUPLICATE_KEY = "duplicate key value violates unique constraint"
LIMIT = 300


def explain_refusal(errors: dict) -> str:
    """What a portal's validation refusal says (ckanapi.ValidationError's errors)."""
    if DUPLICATE_KEY in str(errors):
        return ("the DataStore refused rows as duplicates (duplicate key): it already holds rows of this table "
                "from an earlier attempt that failed part-way (the portal's search index or database failing "
                "during it); the data itself has no duplicate key. Check the portal (publisher ckan status) and "
                "run sync again: a table not marked loaded is loaded anew.")
    return f"the portal refused it: {errors}"


def explain_failure(action: str, status: int | None, answer: str) -> str:
    """The message of a failed call, from its action, HTTP status and the portal's answer (already
    redacted of the token)."""
    if DUPLICATE_KEY in answer and action.startswith("datastore_"):
        return (f"{action}: HTTP {status}: the DataStore already holds rows of this table from an earlier "
                "attempt that failed part-way (the portal's search index or database failing during it), so "
                "it refused them as duplicates; the data itself has no duplicate key. Check the portal "
                "(publisher ckan status) and run sync again: a table not marked loaded is loaded anew.")
    if HTML.search(answer):
        title = re.search(r"<title>\s*([^<]{1,80}?)\s*</title>", answer, re.I)
        what = f" ({title.group(1)})" if title else ""
        return (f"{action}: HTTP {status}: the portal failed inside{what} and answered with an error page, "
                "not an API answer: one of its services (its database, search index or cache) is down or "
                "failing. Check it (publisher ckan status; the portal's log, .stack/logs/ckan.log for the "
                "local one), then run sync again.")
    text = " ".join(answer.split())
    return f"{action}: HTTP {status}: {text[:LIMIT]}" + ("…" if len(text) > LIMIT else "")
