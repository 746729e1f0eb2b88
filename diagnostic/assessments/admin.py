from django.contrib import admin

from diagnostic.assessments.models import Response, Round


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["name", "framework_version", "opens_on", "closes_on", "status"]
    # Rounds are run from the product (/rounds/); the admin is for looking only.
    readonly_fields = ["framework_version", "eligibility_date", "nations", "created_by"]


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["organisation", "round", "status", "answered_count", "last_activity_at"]
    list_filter = ["round", "status"]
    search_fields = ["organisation__name"]

    def has_change_permission(self, request, obj=None):
        return False  # every change goes through the services, which keep the rules

    def has_delete_permission(self, request, obj=None):
        return False
