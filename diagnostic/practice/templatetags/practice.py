"""Template helpers for good practice: Markdown, and the quiet links to examples in context.

The in-context tags are self-contained so the pages that use them (framework, questionnaire,
results, action plan) need one line each: `{% load practice %}` then the tag.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from diagnostic.practice import queries
from diagnostic.practice.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str):
    return render_markdown(text or "")


@register.inclusion_tag("practice/_next_level_link.html")
def practice_next_level_link(value_code, current_level=None):
    """A quiet link beside a value code's descriptors: examples at the level above `current_level`
    (the lowest level when unanswered). No query: the library works out the next level."""
    params = {"value_code": value_code.code}
    params["above"] = current_level if current_level is not None else 0
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
    level just above the council's own (three queries whatever the number of value codes)."""
    from diagnostic.assessments.models import Answer

    user = getattr(context.get("request"), "user", None)
    levels = dict(
        Answer.objects.filter(response=response, current_level__isnull=False).values_list(
            "value_code__code", "current_level"
        )
    )
    found = queries.examples_above(
        user, version_id=response.round.framework_version_id, levels_by_code=levels
    )
    rows = [(code, found[code]) for code in sorted(found)]
    return {"rows": rows, "levels": levels, "h": f"h{heading_level}"}
