"""A package_search page is read as it arrives, each dataset parsed alone: the value must be
exactly what ``json.loads`` of the whole answer gives, however the bytes are cut."""

from __future__ import annotations

import json
import random

import pytest

from publisher.catalog.client import read_streamed

TRICKY = ['ข้อมูล "อ้าง" {วงเล็บ} [ก้ามปู]', "\\", '\\"', "\\\\", "}]", "\"results\": [", "", "๑๒๓"]


def answer(rng: random.Random, datasets: int) -> dict:
    def value(depth: int):
        kind = rng.randrange(6 if depth < 3 else 3)
        if kind == 0:
            return rng.choice(TRICKY) + rng.choice(["", "x", "ไทย"])
        if kind == 1:
            return rng.choice([0, -1, 2.5, 1e20, None, True, False])
        if kind == 2:
            return rng.choice(TRICKY)
        if kind == 3:
            return [value(depth + 1) for _ in range(rng.randrange(4))]
        return {rng.choice(TRICKY) + str(n): value(depth + 1) for n in range(rng.randrange(4))}

    results = [{"name": f"d{n}", "title": rng.choice(TRICKY), "resources": [value(1) for _ in range(3)],
                "extras": {"results": [value(2)]}} for n in range(datasets)]
    return {"help": "http://portal/api/3/action/help_show?name=package_search", "success": True,
            "result": {"count": datasets, "facets": {"state": {"active": datasets}}, "results": results,
                       "sort": "name asc", "search_facets": {"results": {"items": [value(1)]}}}}


@pytest.mark.parametrize("seed", range(12))
def test_a_page_cut_anywhere_reads_as_json_loads_reads_it(seed):
    rng = random.Random(seed)
    document = answer(rng, rng.randrange(0, 30))
    text = json.dumps(document, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 1])).encode()
    for size in (1, 2, 3, 5, 64, 4096, len(text) + 1):
        chunks = [text[i:i + size] for i in range(0, len(text), size)]
        assert read_streamed(chunks) == json.loads(text) == document, size


def test_an_answer_cut_off_or_not_of_datasets_is_refused():
    text = json.dumps(answer(random.Random(1), 3)).encode()
    with pytest.raises(ValueError):
        read_streamed([text[: len(text) // 2]])
    with pytest.raises(ValueError):
        read_streamed([b'{"success": true, "result": {"count": 1, "results": ["a name"]}}'])
