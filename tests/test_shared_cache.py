"""Without Redis, the page cache lives in files every process on the machine shares: a change
made anywhere (a management command, a shell, another worker) reaches every worker's next
request."""

from tests.test_production import fetch, gunicorn, manage

SEED_POST = "the-link-between-mental-health-and-gut-health"
RENAME = (
    "from posts.models import Post; "
    f"post = Post.objects.get(slug='{SEED_POST}'); "
    "post.title = 'Renamed from a management command'; post.save()"
)


def test_a_change_made_by_a_management_command_is_on_every_workers_next_request(tmp_path):
    environ = {
        "DJANGO_SECRET_KEY": "gunicorn-test-only",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "GUTBRAIN_CACHE_DIR": str(tmp_path / "cache"),
    }
    for command in (["migrate"], ["load_demo"]):
        result = manage(*command, **environ)
        assert result.returncode == 0, result.stdout + result.stderr
    with gunicorn(tmp_path, GUTBRAIN_PAGE_CACHE="true", GUNICORN_WORKERS="3", **environ) as site:
        # Each request on a connection of its own, so that the workers take turns.
        for _ in range(15):
            status, home, _ = fetch(f"{site}/", {})
            assert status == 200
            assert "The Link between Mental Health and Gut Health" in home
        assert any((tmp_path / "cache").iterdir()), "the pages were not kept in the files"

        result = manage("shell", "-c", RENAME, **environ)
        assert result.returncode == 0, result.stdout + result.stderr

        for _ in range(15):
            status, home, _ = fetch(f"{site}/", {})
            assert status == 200
            assert "Renamed from a management command" in home
            assert "The Link between Mental Health and Gut Health" not in home
