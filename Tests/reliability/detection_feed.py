"""A synthetic, arbitrarily long `GET /api/v3/detections` feed, served like the API serves it.

Detection i (0-based) has id `first_id + i` and `updated_datetime = start_ms + i * step_ms` (milliseconds), so
ids and update times rise together and nothing is held in memory per detection: a page is computed from
`updated_start_timestamp` (seconds, inclusive), `updated_end_timestamp` (seconds, exclusive), `detection_type`
(`alert` when absent, as in the contract; `incident`; `all`), `order_by` (`id` or `updated_datetime`), `page` and
`per_page` (1-based pages, default 10, at most 100). Detections sharing an updated_datetime come back, under
`order_by=updated_datetime`, in an order that changes from one request to the next, as from a database sorting on a
key with ties. Each detection is the shape of the pack's contract-checked `detection_list.json` fixture.
"""
from __future__ import annotations

import copy
import itertools
import math
from typing import Any

from .cado_api import fixture

MAX_PER_PAGE = 100
DETECTION_TYPES = ('alert', 'incident', 'all')


class DetectionFeed:
    def __init__(self, total: int, start_ms: int = 1_717_000_000_000, step_ms: int = 1_000, first_id: int = 1,
                 first_burst: int = 1, incident_every: int = 0):
        """The first `first_burst` detections share one updated_datetime (a bulk update touching many at once);
        the others follow `step_ms` apart. Every `incident_every`-th detection (0: none, else at least 2) is of type
        incident, the others are alerts."""
        self.total = total
        self.start_ms = start_ms
        self.step_ms = step_ms
        self.first_id = first_id
        self.first_burst = max(1, first_burst)
        self.incident_every = incident_every
        self._template = fixture('detection_list')['data'][0]

    def updated_ms(self, index: int) -> int:
        slot = 0 if index < self.first_burst else index - self.first_burst + 1
        return self.start_ms + slot * self.step_ms

    def first_index_at_or_after(self, ms: int) -> int:
        if ms <= self.start_ms:
            return 0
        slot = -(-(ms - self.start_ms) // self.step_ms)  # ceil
        return min(self.total, self.first_burst + slot - 1)

    def count(self, kind: str, below: int) -> int:
        """How many of the detections with index < `below` are of `kind`."""
        incidents = below // self.incident_every if self.incident_every else 0
        return {'all': below, 'alert': below - incidents, 'incident': incidents}[kind]

    def index_of(self, kind: str, rank: int) -> int:
        """The index of the `rank`-th (0-based) detection of `kind`."""
        every = self.incident_every
        if kind == 'all' or not every:
            return rank
        return rank * every + every - 1 if kind == 'incident' else rank + rank // (every - 1)

    def is_incident(self, index: int) -> bool:
        return bool(self.incident_every) and index % self.incident_every == self.incident_every - 1

    def detection(self, index: int) -> dict[str, Any]:
        item = copy.deepcopy(self._template)
        updated = self.updated_ms(index)
        item.update(id=self.first_id + index, updated_datetime=updated, created_datetime=updated,
                    name=f'{self._template["name"]} #{index}')
        return item

    def all_ids(self) -> list[int]:
        return list(range(self.first_id, self.first_id + self.total))

    def incident_ids(self) -> list[int]:
        return [self.first_id + index for index in range(self.total) if self.is_incident(index)]

    def page(self, query: dict[str, Any]) -> dict[str, Any]:
        def one(name, default):
            value = query.get(name, default)
            value = value[0] if isinstance(value, list) else value
            return default if value in (None, '') else value

        start_seconds = float(one('updated_start_timestamp', 0))
        end_seconds = one('updated_end_timestamp', None)
        kind = one('detection_type', 'alert')
        if kind not in DETECTION_TYPES:
            raise ValueError(f'detection_type {kind!r} is not in the contract')
        page = max(1, int(one('page', 1)))
        per_page = max(1, min(MAX_PER_PAGE, int(one('per_page', 10))))
        first = self.first_index_at_or_after(math.ceil(start_seconds * 1000))
        last = self.total if end_seconds is None else self.first_index_at_or_after(math.ceil(float(end_seconds) * 1000))
        low, high = self.count(kind, first), self.count(kind, max(first, last))
        offsets = range((page - 1) * per_page, min(page * per_page, high - low))
        if one('order_by', 'severity') == 'updated_datetime':
            tied = self.count(kind, min(self.first_burst, last)) - low  # the burst's detections in range share a time
            salt = hash((page, per_page, int(start_seconds)))
            offsets = [shuffled(offset, tied, salt) for offset in offsets]
        items = [self.detection(self.index_of(kind, low + offset)) for offset in offsets]
        return {'status': 'success', 'data': items,
                'pagination': {'type': 'page', 'total_records': high - low, 'current_page': page,
                               'total_pages': max(1, -(-(high - low) // per_page)), 'per_page': per_page}}


def shuffled(offset: int, tied: int, salt: int) -> int:
    """Where the `offset`-th detection of a page comes from when the first `tied` ones share one time: a permutation
    of those, chosen by `salt`, computed without holding them."""
    if offset >= tied or tied < 2:
        return offset
    step = next(a for a in itertools.count(salt % tied + 1) if math.gcd(a, tied) == 1)
    return (step * offset + salt) % tied
