"""A synthetic, arbitrarily long `GET /api/v3/detections` feed, served like the API serves it.

Detection i (0-based) has id `first_id + i` and `updated_datetime = start_ms + i * step_ms` (milliseconds), so
the feed is ordered by updated_datetime and nothing is held in memory per detection: a page is computed from
`updated_start_timestamp` (seconds, inclusive), `page` and `per_page` (1-based pages, default 10, at most 100).
Each detection is the shape of the pack's contract-checked `detection_list.json` fixture.
"""
from __future__ import annotations

import copy
from typing import Any

from .cado_api import fixture

MAX_PER_PAGE = 100


class DetectionFeed:
    def __init__(self, total: int, start_ms: int = 1_717_000_000_000, step_ms: int = 1_000, first_id: int = 1,
                 first_burst: int = 1):
        """The first `first_burst` detections share one updated_datetime (a bulk update touching many at once);
        the others follow `step_ms` apart."""
        self.total = total
        self.start_ms = start_ms
        self.step_ms = step_ms
        self.first_id = first_id
        self.first_burst = max(1, first_burst)
        self._template = fixture('detection_list')['data'][0]

    def updated_ms(self, index: int) -> int:
        slot = 0 if index < self.first_burst else index - self.first_burst + 1
        return self.start_ms + slot * self.step_ms

    def first_index_at_or_after(self, ms: int) -> int:
        if ms <= self.start_ms:
            return 0
        slot = -(-(ms - self.start_ms) // self.step_ms)  # ceil
        return min(self.total, self.first_burst + slot - 1)

    def detection(self, index: int) -> dict[str, Any]:
        item = copy.deepcopy(self._template)
        updated = self.updated_ms(index)
        item.update(id=self.first_id + index, updated_datetime=updated, created_datetime=updated,
                    name=f'{self._template["name"]} #{index}')
        return item

    def all_ids(self) -> list[int]:
        return list(range(self.first_id, self.first_id + self.total))

    def page(self, query: dict[str, Any]) -> dict[str, Any]:
        def one(name, default):
            value = query.get(name, default)
            value = value[0] if isinstance(value, list) else value
            return default if value in (None, '') else value

        start_seconds = int(one('updated_start_timestamp', 0))
        page = max(1, int(one('page', 1)))
        per_page = max(1, min(MAX_PER_PAGE, int(one('per_page', 10))))
        first = self.first_index_at_or_after(start_seconds * 1000)
        matching = self.total - first
        begin = first + (page - 1) * per_page
        items = [self.detection(i) for i in range(begin, min(begin + per_page, self.total))]
        return {'status': 'success', 'data': items,
                'pagination': {'type': 'page', 'total_records': matching, 'current_page': page,
                               'total_pages': max(1, -(-matching // per_page)), 'per_page': per_page}}
