"""Check that the uploadable pack holds what a user needs: the unified integration with its code, image and
description, and every content item of the pack. Usage: python tools/check_pack_zip.py dist/uploadable_packs/X.zip"""
import sys
import zipfile
from pathlib import Path

import yaml

PACK = Path(__file__).resolve().parent.parent / 'Packs' / 'CadoSecurity'
CONTENT_FOLDERS = ('Classifiers', 'IncidentFields', 'IncidentTypes', 'Layouts', 'Playbooks', 'PreProcessRules', 'Scripts')


def problems_in(zip_path: str) -> list[str]:
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        integration_name = 'Integrations/integration-CadoSecurity.yml'
        if integration_name not in names:
            return [f'{integration_name} is missing from {zip_path}']
        integration = yaml.safe_load(archive.read(integration_name))
    problems = []
    if 'def main()' not in integration.get('script', {}).get('script', ''):
        problems.append('the unified integration does not contain the Python code')
    if not integration.get('image', '').startswith('data:image/png;base64,'):
        problems.append('the unified integration does not contain the image')
    if not integration.get('detaileddescription', '').strip():
        problems.append('the unified integration does not contain the description')
    for folder in CONTENT_FOLDERS:
        if (PACK / folder).is_dir() and not any(name.startswith(f'{folder}/') and not name.endswith('/') for name in names):
            problems.append(f'no {folder} content in the zip')
    problems += [f'{name} is missing from the zip' for name in ('pack_metadata.json', 'README.md', 'Author_image.png')
                 if name not in names]
    return problems


if __name__ == '__main__':
    found = problems_in(sys.argv[1])
    print('\n'.join(found) or f'{sys.argv[1]}: integration (code, image, description) and all content present')
    sys.exit(1 if found else 0)
