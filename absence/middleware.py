from django.shortcuts import render

from absence.figures import FiguresNeedPostgreSQL


class FiguresNeedPostgreSQLMiddleware:
    """Show a Danish explanation, not a server error, when figures need PostgreSQL."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, FiguresNeedPostgreSQL):
            return render(request, "absence/needs_postgresql.html", status=503)
        return None
