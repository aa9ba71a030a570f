"""The planned meeting a brief is checked against: an optional time and channel from the query string."""

from __future__ import annotations

import datetime as dt

from django import forms

from liaison.people.models import Channel


class PlannedMeetingForm(forms.Form):
    """`?at=2025-06-10T09:00&channel=video`; both optional, a bad value is shown next to its field."""

    at = forms.DateTimeField(
        required=False,
        label="Planned time",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean_at(self) -> dt.datetime | None:
        at = self.cleaned_data.get("at")
        if at is not None and not 1900 <= at.year <= 2200:
            raise forms.ValidationError("Pick a date between the years 1900 and 2200.")
        return at

    channel = forms.ChoiceField(
        required=False, label="Planned channel", choices=[("", "Not decided"), *Channel.choices]
    )
