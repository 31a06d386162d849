"""Readers who follow by e-mail: their address, what they follow (all posts, a tag or a
series), and each post's delivery to each of them.

A subscription counts once its reader has confirmed it from the link e-mailed to them; each
post is e-mailed once to each subscriber, recorded as a Delivery (see posts.mailing).
"""

from django.core import signing
from django.db import models
from django.db.models import Q
from django.urls import reverse
from taggit.models import Tag

from posts.series import Series
from posts.tagging import TaggedPost

# A confirmation link works this long after it was sent.
CONFIRMATION_DAYS = 7
CONFIRM_SALT = "gutbrain.subscribers.confirm"
MANAGE_SALT = "gutbrain.subscribers.manage"


class Subscriber(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        SUBSCRIBED = "subscribed", "Subscribed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

    # Kept in lower case, so that one reader is one subscriber however they type it.
    email = models.EmailField("e-mail address", unique=True)
    state = models.CharField(max_length=12, choices=State, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    # At most one confirmation e-mail a day, however often the address is entered.
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.email

    def confirmation_token(self):
        """The key to confirming the subscriptions waiting now: those, and not any asked
        for in this reader's name after the link was sent."""
        waiting = self.subscriptions.filter(confirmed_at=None).values_list("pk", flat=True)
        return signing.dumps([self.pk, *waiting], salt=CONFIRM_SALT)

    def manage_token(self):
        """The key to this subscriber's page (and their one-click unsubscribe): it names
        them, signed, so that it can be neither forged nor guessed."""
        return signing.dumps(self.pk, salt=MANAGE_SALT)

    @classmethod
    def from_confirmation_token(cls, token):
        """The subscriber the link names and the ids of the subscriptions it confirms; None
        and none if it was forged, altered or has expired."""
        try:
            ids = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRMATION_DAYS * 86400)
        except signing.BadSignature:
            return None, []
        if not (isinstance(ids, list) and ids and all(type(pk) is int for pk in ids)):
            return None, []
        return cls.objects.filter(pk=ids[0]).first(), ids[1:]

    @classmethod
    def from_manage_token(cls, token):
        try:
            pk = signing.loads(token, salt=MANAGE_SALT)
        except signing.BadSignature:
            return None
        return cls.objects.filter(pk=pk).first() if isinstance(pk, int) else None

    def get_manage_url(self):
        return reverse("posts:subscriptions", args=[self.manage_token()])

    def get_unsubscribe_url(self):
        return reverse("posts:unsubscribe", args=[self.manage_token()])


class Subscription(models.Model):
    """What one subscriber follows: every post (no tag, no series), a tag or a series."""

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="subscriptions"
    )
    tag = models.ForeignKey(Tag, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tag=None) | Q(series=None), name="subscription_one_topic"
            ),
            models.UniqueConstraint(
                fields=["subscriber"],
                condition=Q(tag=None, series=None),
                name="subscription_all_posts_once",
            ),
            models.UniqueConstraint(
                fields=["subscriber", "tag"], condition=Q(tag__isnull=False), name="tag_once"
            ),
            models.UniqueConstraint(
                fields=["subscriber", "series"],
                condition=Q(series__isnull=False),
                name="series_once",
            ),
        ]

    def __str__(self):
        if self.tag_id:
            return f"Posts tagged “{self.tag.name}”"
        if self.series_id:
            return f"The series “{self.series.title}”"
        return "All new posts"

    @staticmethod
    def matching(post):
        """Confirmed subscriptions that want this post."""
        return Subscription.objects.filter(
            Q(tag=None, series=None)
            | Q(tag__in=TaggedPost.objects.filter(content_object=post).values("tag_id"))
            | Q(series__in=post.series_parts.values("series_id")),
            confirmed_at__isnull=False,
            subscriber__state=Subscriber.State.SUBSCRIBED,
        )


class Announcement(models.Model):
    """A post announced on first going public: e-mailed to those who follow it (unless its
    author said not to), hubs told. Made once: a post published again is not news again."""

    post = models.OneToOneField(
        "posts.Post", on_delete=models.CASCADE, primary_key=True, related_name="announcement"
    )
    announced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-announced_at"]
        verbose_name = "e-mailed post"

    def __str__(self):
        return str(self.post)


class Delivery(models.Model):
    """One post e-mailed to one subscriber: made once, when the post is first public, and
    marked sent only once the mail server has taken it."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=10, choices=State, default=State.WAITING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Not tried before this (a retry's back-off); a sweep asks again for what has waited
    # well past it.
    next_attempt_at = models.DateTimeField()
    # Set by the worker sending it: another may take over only once this is overdue.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Why the last attempt failed, as the mail server said it (never an address).
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["post", "subscriber"], name="delivered_once")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self):
        return f"{self.post} to subscriber {self.subscriber_id}"
