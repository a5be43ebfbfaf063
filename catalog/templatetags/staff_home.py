"""What the admin home shows a member of staff besides the list of models."""

from django import template

from catalog.review_queue import ReviewQueue, review_queue

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_review_queue(context) -> ReviewQueue | None:
    """``{% staff_review_queue as queue %}``: the review queue of the signed-in user."""
    return review_queue(context["request"].user)
