from django.contrib import admin

from diagnostic.organisations.models import Cluster, CombinedAuthority, Organisation, Region


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "gss_code", "type", "region", "start_date", "end_date"]
    list_filter = ["nation", "type", "region"]
    search_fields = ["name", "short_name", "gss_code"]


admin.site.register(Region)
admin.site.register(CombinedAuthority)


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["name", "region"]
    filter_horizontal = ["organisations"]
