"""Writes to the register that people make in the product: clusters of organisations."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from diagnostic.accounts import access
from diagnostic.accounts.models import User
from diagnostic.audit.services import record
from diagnostic.organisations.models import Cluster, Organisation, Region


def regions_user_can_cluster(user: User) -> list[Region]:
    if access.is_national_admin(user):
        return list(Region.objects.all())
    return list(Region.objects.filter(pk__in=access.led_region_ids(user)))


def do_save_cluster(
    *,
    by: User,
    name: str,
    region: Region | None,
    organisations: list[Organisation],
    description: str = "",
    cluster: Cluster | None = None,
) -> Cluster:
    """Create or update a named cluster. Regional leads cluster councils of their own region."""
    allowed = regions_user_can_cluster(by)
    if not allowed:
        raise PermissionDenied("Only national admins and regional leads can form clusters.")
    if not access.is_national_admin(by) and (region is None or region not in allowed):
        raise PermissionDenied("You can form clusters only in your own region.")
    if region is not None:
        outside = [o.short_name for o in organisations if o.region_id != region.pk]
        if outside:
            raise ValidationError(f"Not in {region.name}: {', '.join(outside)}.")
    if len(organisations) < 2:
        raise ValidationError("A cluster needs at least two organisations.")
    name = name.strip()
    clash = Cluster.objects.filter(region=region, name__iexact=name)
    if cluster is not None:
        clash = clash.exclude(pk=cluster.pk)
    if clash.exists():
        raise ValidationError("There is already a cluster with this name here.")
    with transaction.atomic():
        created = cluster is None
        cluster = cluster or Cluster(created_by=by)
        cluster.name, cluster.description, cluster.region = name, description.strip(), region
        cluster.save()
        cluster.organisations.set(organisations)
        record(
            "cluster.created" if created else "cluster.changed",
            actor=by,
            obj=cluster,
            members=sorted(o.gss_code for o in organisations),
        )
    return cluster


def do_delete_cluster(*, by: User, cluster: Cluster) -> None:
    record("cluster.deleted", actor=by, obj=cluster, name=cluster.name)
    cluster.delete()
