from django.http import HttpRequest


def posted(request: HttpRequest):
    """The POST data to bind a form to, or None for GET: an empty POST is still validated."""
    return request.POST if request.method == "POST" else None


def date_input():
    """An HTML date input. Browsers only accept ISO dates in its value, whatever the locale."""
    from django import forms

    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
