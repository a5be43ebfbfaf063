"""Form data for the admin's idea-cluster page, as a browser posts it."""


def inline_data(cluster, members, extra=None, delete=(), confirmed=False):
    """The cluster page's form: its members (``delete`` ticks some for removal), ``extra`` a
    service to add, ``confirmed`` the 확정 box."""
    data = {
        "label": cluster.label,
        "members-TOTAL_FORMS": str(len(members) + (1 if extra else 0)),
        "members-INITIAL_FORMS": str(len(members)),
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
    }
    if confirmed:
        data["is_confirmed"] = "on"
    for i, member in enumerate(members):
        data[f"members-{i}-id"] = member.pk
        data[f"members-{i}-cluster"] = cluster.pk
        data[f"members-{i}-service"] = member.service_id
        if member.service_id in delete:
            data[f"members-{i}-DELETE"] = "on"
    if delete:  # as posted again from the page that confirms what setting apart records
        data["confirm_set_apart"] = "1"
    if extra:
        data[f"members-{len(members)}-service"] = extra.pk
        data[f"members-{len(members)}-cluster"] = cluster.pk
    return data
