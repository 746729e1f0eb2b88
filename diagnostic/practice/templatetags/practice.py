"""Template helpers for good practice: Markdown, and the quiet links to examples in context.

The in-context tags are self-contained so the pages that use them (framework, questionnaire,
results, action plan) need one line each: `{% load practice %}` then the tag.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html_join

from diagnostic.practice import queries
from diagnostic.practice.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str):
    return render_markdown(text or "")


@register.simple_tag
def select_options(choices, selected, numbered: bool = False):
    """The `<option>`s of one of the library's filters, the chosen one selected: one Python loop
    (escaped by format_html_join) instead of a template loop with an `if` per option, which
    was about a fifth of the library page's time (a hundred options). `numbered` shows each
    value before its label ("4 Leader")."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, " selected" if value == selected else "",
             f"{value} {label}" if numbered else label)
            for value, label in choices
        ),
    )  # fmt: skip


@register.inclusion_tag("practice/_next_level_link.html")
def practice_next_level_link(value_code, current_level=None):
    """A quiet link beside a value code's descriptors: examples at the level above `current_level`
    (the lowest level when unanswered). No query: the library works out the next level."""
    try:
        above = int(current_level)
    except (TypeError, ValueError):
        above = 0  # unanswered: the lowest level is the next one
    params = {"value_code": value_code.code, "above": above}
    return {"url": f"{reverse('practice:library')}?{urlencode(params)}", "code": value_code.code}


@register.inclusion_tag("practice/_value_code_examples.html", takes_context=True)
def practice_value_code_examples(context, value_code, limit: int = 5):
    """Published case studies on one value code (the framework's value code page)."""
    user = getattr(context.get("request"), "user", None)
    studies = list(
        queries.published_for(user)
        .filter(value_codes=value_code)
        .select_related("organisation__region", "level")
        .order_by("-published_at", "-pk")[:limit]
    )
    url = f"{reverse('practice:library')}?{urlencode({'value_code': value_code.code})}"
    return {"studies": studies, "url": url, "vc": value_code}


@register.inclusion_tag("practice/_examples_above.html", takes_context=True)
def practice_examples_above(context, response, heading_level: int = 2):
    """For a council's results or action plan: published examples, per value code, at the
    level just above the council's own (one query whatever the number of value codes)."""
    user = getattr(context.get("request"), "user", None)
    found = queries.examples_above_for_response(user, response)
    rows = [(code, found[code]) for code in sorted(found)]
    return {"rows": rows, "h": f"h{heading_level}"}


@register.inclusion_tag("practice/_examples_above_lazy.html")
def practice_examples_above_lazy(response):
    """The same examples, fetched after the page has loaded (no query on the page itself):
    for pages held to a query budget, such as the action plan. Without JavaScript, a link."""
    return {"url": reverse("practice:examples_for_response", args=[response.pk])}
