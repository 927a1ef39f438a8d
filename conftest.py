"""Puts XSOAR's run-time modules (the project's test doubles, or XSOAR's real ones placed at the same paths)
and every pack integration/script folder on sys.path, as XSOAR's content repository does."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
_PATHS = [ROOT / 'Tests' / name for name in ('demistomock', 'CommonServerPython', 'CommonServerUserPython')]
_PATHS += sorted(ROOT.glob('Packs/*/Integrations/*')) + sorted(ROOT.glob('Packs/*/Scripts/*'))
for path in _PATHS:
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
