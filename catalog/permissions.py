"""Who may work on what: editors on their assigned municipalities, reviewers everywhere."""

from django.db.models import QuerySet

from catalog.models import Municipality


def sees_all_municipalities(user) -> bool:
    return user.is_superuser or user.has_perm("catalog.edit_all_municipalities")


def editable_municipalities(user) -> QuerySet | None:
    """The municipalities ``user`` may work on, or None for all of them."""
    if sees_all_municipalities(user):
        return None
    return Municipality.objects.filter(editor_assignments__user=user)


def limit_to_editable(queryset: QuerySet, user, municipality_path: str) -> QuerySet:
    """``queryset`` narrowed to rows whose municipality (at ``municipality_path``) the user
    may work on."""
    allowed = editable_municipalities(user)
    if allowed is None:
        return queryset
    return queryset.filter(**{f"{municipality_path}__in": allowed.values("pk")})


def can_publish(user) -> bool:
    return user.has_perm("catalog.publish_service")


def may_preview(user, service) -> bool:
    """Whether ``user`` may see ``service`` before it is published: signed-in staff who may
    view services, in a local government they work on."""
    if not (user.is_active and user.is_staff and user.has_perm("catalog.view_service")):
        return False
    allowed = editable_municipalities(user)
    return allowed is None or allowed.filter(pk=service.plan.municipality_id).exists()
