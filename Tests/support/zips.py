"""Zip bodies as Cado answers a file download or a pipeline's logs, for the unit and reliability suites."""
from __future__ import annotations

import io
import zipfile


def zip_of(files: dict[str, bytes]) -> bytes:
    """A zip holding `files` (name: content)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()
