from diagnostic.analytics.charts import chart_viewer


class ChartViewerMiddleware:
    """Chart URLs minted while this request is handled are for this signed-in person only."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        token = chart_viewer.set(user.pk if user is not None and user.is_authenticated else None)
        try:
            return self.get_response(request)
        finally:
            chart_viewer.reset(token)
