"""What is asked of posts: the one definition of public, and the rest the pages ask."""

from django.db import models
from django.utils import timezone

from posts.links import PreviousSlug

# A post's status once published (Post.Status.PUBLISHED), for the queries below.
PUBLISHED = "published"
# Editors' permission; without it, staff work on their own posts only, bylined by themselves.
EDIT_OTHERS_POSTS = "posts.edit_others_posts"


class PostQuerySet(models.QuerySet):
    def published(self):
        """The one definition of public: published, and its time has come."""
        return self.filter(self.published_condition())

    @staticmethod
    def published_condition(prefix=""):
        """published() as a condition, for aggregates that count public posts among others,
        or (with a prefix such as "post__") for rows that belong to a post."""
        return models.Q(
            **{
                f"{prefix}status": PUBLISHED,
                f"{prefix}published_at__lte": timezone.now(),
            }
        )

    def named(self, slugs):
        """{slug: post} of the posts these slugs name now, or named before a rename."""
        posts = {post.slug: post for post in self.filter(slug__in=slugs)}
        missing = slugs - posts.keys()
        if missing:
            for previous in PreviousSlug.objects.filter(slug__in=missing).select_related("post"):
                posts[previous.slug] = previous.post
        return posts

    def scheduled(self):
        """Published, but not yet: their time has not come."""
        return self.filter(status=PUBLISHED, published_at__gt=timezone.now())

    def with_tags(self):
        """Each post's tags as the list `tag_list`, from one query. (Left on the manager,
        prefetched tags cost a filtered queryset built per post, more than the query.)"""
        return self.prefetch_related(models.Prefetch("tags", to_attr="tag_list"))

    def for_listing(self):
        return self.select_related("author").with_tags()

    def editable_by(self, user):
        """The posts this user may open, change, publish and delete (as far as their permissions
        on posts allow): everyone's for editors, their own for authors. Post.is_editable_by()
        says the same of one post."""
        if user.has_perm(EDIT_OTHERS_POSTS):
            return self
        return self.filter(author=user)
