"""Final review of the mirroring link: a pushed incident whose project an incident the instance fetched already
mirrors records mirrored_elsewhere (the link answers linked false with no incident ID to name), not link_failed."""
import json

import CadoSecurity
from test_intake import cado, detection_incident, run
from test_mirror_link import MIRROR_ATTRIBUTES, links, mirroring


def test_a_project_a_fetched_incident_mirrors_is_recorded_as_mirrored_elsewhere():
    fake, incident = cado(), detection_incident()
    fake.mirroring.context.text = json.dumps({'mirror': {  # as fetch registers it (XSOAR names the incident later)
        'projects': {'17': [CadoSecurity.UNNAMED_MIRROR, None, None]}, 'pending': {}}})
    runner = run(incident, fake)
    assert links(runner)
    assert mirroring(incident) == dict.fromkeys(MIRROR_ATTRIBUTES)
    assert incident['CustomFields']['cadomirrorstate'] == 'mirrored_elsewhere'
    assert runner.manual == []
