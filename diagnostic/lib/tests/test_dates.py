"""Date inputs carry ISO values, or browsers show them empty."""

import datetime as dt

from diagnostic.assessments.forms import DetailsForm, RoundDatesForm


def test_date_inputs_render_iso_values():
    form = RoundDatesForm(
        initial={"opens_on": dt.date(2026, 11, 5), "closes_on": dt.date(2027, 1, 2)}
    )
    html = str(form["opens_on"])
    assert 'type="date"' in html
    assert 'value="2026-11-05"' in html
    assert 'value="2027-01-02"' in str(form["closes_on"])
    assert 'value="2026-10-01"' in str(
        DetailsForm(initial={"signed_off_on": dt.date(2026, 10, 1)})["signed_off_on"]
    )
