"""The admin home's review queue: what waits for a person, per local government, oldest first.

Two things wait: drafts (services not yet published) and fields an import suggested, awaiting
confirmation (``category_basis = suggested``). Each user sees them within the local governments
they may work on: a reviewer everywhere, an editor their assigned ones, with their own drafts
counted apart. Each count links to the service list filtered to exactly those services.
"""

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from django.db.models import Count, Min, Q
from django.urls import reverse

from catalog.models import EditorAssignment, Municipality, Service
from catalog.permissions import can_publish, limit_to_editable, sees_all_municipalities

SUGGESTED = Q(category_basis=Service.CategoryBasis.SUGGESTED)
DRAFT = Q(is_published=False)
ROWS_SHOWN = 15
# The service list's filters (catalog.admin): drafts, suggested fields, one local government,
# services the user created.
DRAFTS_FILTER = {"is_published__exact": "0"}
SUGGESTED_FILTER = {"category_review": "waiting"}
MUNICIPALITY_FILTER = "plan__municipality__id__exact"
CREATED_BY_FILTER = {"created_by": "me"}


def service_list_url(**filters) -> str:
    return f"{reverse('admin:catalog_service_changelist')}?{urlencode(filters)}"


@dataclass(frozen=True)
class QueueRow:
    municipality: Municipality
    drafts: int
    suggested: int
    oldest: datetime

    @property
    def drafts_url(self) -> str:
        return service_list_url(**DRAFTS_FILTER, **{MUNICIPALITY_FILTER: self.municipality.pk})

    @property
    def suggested_url(self) -> str:
        return service_list_url(**SUGGESTED_FILTER, **{MUNICIPALITY_FILTER: self.municipality.pk})


@dataclass
class ReviewQueue:
    rows: list[QueueRow]
    reviews: bool  # the user publishes and confirms (a reviewer), or only prepares (an editor)
    assignments: list[Municipality] | None  # None: every local government
    own_drafts: int = 0
    hidden: int = field(init=False)

    def __post_init__(self):
        self.hidden = max(len(self.rows) - ROWS_SHOWN, 0)

    @property
    def shown(self) -> list[QueueRow]:
        return self.rows[:ROWS_SHOWN]

    @property
    def drafts(self) -> int:
        return sum(row.drafts for row in self.rows)

    @property
    def suggested(self) -> int:
        return sum(row.suggested for row in self.rows)

    @property
    def drafts_url(self) -> str:
        return service_list_url(**DRAFTS_FILTER)

    @property
    def suggested_url(self) -> str:
        return service_list_url(**SUGGESTED_FILTER)

    @property
    def own_drafts_url(self) -> str:
        return service_list_url(**DRAFTS_FILTER, **CREATED_BY_FILTER)


def created_by(user):
    """The ids of the services ``user`` created (their first history record is theirs)."""
    return Service.history.filter(history_type="+", history_user=user).values("id")


def review_queue(user) -> ReviewQueue | None:
    """The queue ``user`` sees, or None for staff who may not see services."""
    if not user.has_perm("catalog.view_service"):
        return None
    waiting = limit_to_editable(
        Service.objects.filter(DRAFT | SUGGESTED), user, "plan__municipality"
    )
    counted = (
        waiting.values("plan__municipality")
        .annotate(
            drafts=Count("pk", filter=DRAFT),
            suggested=Count("pk", filter=SUGGESTED),
            oldest=Min("created_at"),
        )
        .order_by("oldest", "plan__municipality")
    )
    places = Municipality.objects.select_related("parent").in_bulk(
        [row["plan__municipality"] for row in counted]
    )
    rows = [
        QueueRow(places[row["plan__municipality"]], row["drafts"], row["suggested"], row["oldest"])
        for row in counted
    ]
    queue = ReviewQueue(rows, reviews=can_publish(user), assignments=assignments_of(user))
    if not queue.reviews:
        queue.own_drafts = waiting.filter(DRAFT, pk__in=created_by(user)).count()
    return queue


def assignments_of(user) -> list[Municipality] | None:
    """The local governments ``user`` is assigned to, or None when they work on all."""
    if sees_all_municipalities(user):
        return None
    assigned = EditorAssignment.objects.filter(user=user).select_related("municipality__parent")
    return [assignment.municipality for assignment in assigned.order_by("municipality__code")]
