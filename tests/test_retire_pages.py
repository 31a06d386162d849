"""`manage.py retire_pages`: after a release, readers get pages built by the new code."""

import pytest
from django.core.management import call_command

from posts.models import Post

pytestmark = pytest.mark.django_db


def test_retiring_pages_serves_what_changed_outside_the_site_on_the_next_request(
    client, settings, make_post
):
    settings.GUTBRAIN_PAGE_CACHE = True
    post = make_post(title="The gut-brain axis", slug="gut-brain-axis")
    assert b"The gut-brain axis" in client.get("/").content
    # Changed behind the site's back, as a release's new templates would be: no page retires.
    Post.objects.filter(pk=post.pk).update(title="The vagus nerve")
    assert b"The gut-brain axis" in client.get("/").content

    call_command("retire_pages")

    home = client.get("/").content
    assert b"The vagus nerve" in home
    assert b"The gut-brain axis" not in home
