"""The suppression threshold in page text: `{% load suppression_tags %}{% threshold %}`, so the
words on a page always match the rule in `analytics/suppression.py`."""

from django import template

from diagnostic.analytics import suppression

register = template.Library()


@register.simple_tag
def threshold() -> int:
    return suppression.THRESHOLD
