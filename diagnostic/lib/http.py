from django.http import HttpRequest


def posted(request: HttpRequest):
    """The POST data to bind a form to, or None for GET: an empty POST is still validated."""
    return request.POST if request.method == "POST" else None
