from diagnostic.analytics.charts import chart_viewer, pending_charts, store_pending


class ChartViewerMiddleware:
    """Chart URLs minted while this request is handled are for this signed-in person only, and
    their images are stored (in one statement) before the response leaves, so the browser's
    request for them finds them whichever worker answers it (docs/decisions/0028)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        token = chart_viewer.set(user.pk if user is not None and user.is_authenticated else None)
        pending = pending_charts.set({})
        try:
            response = self.get_response(request)
            store_pending()
            return response
        finally:
            pending_charts.reset(pending)
            chart_viewer.reset(token)
