"""Alerts: what each import and each morning tells subscribers and operators, in the app and by
e-mail through a real SMTP server (aiosmtpd, in the test process), in each user's language."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from settlements.alerts import services
from settlements.alerts.models import Notice, Subscription
from settlements.importing.service import import_list
from settlements.models import AdminArea, ImportRun, Pledge, UserPreference
from settlements.roles import COORDINATOR, MANAGER
from tests import factories
from tests.conftest import free_port, start_celery_worker, stop

pytestmark = pytest.mark.django_db

HEADER = "Governorate,Settlement,P-code,Population,Food need (t)"
FIRST = ["Homs,Qaryatein,C2663,1000,5", "Homs,Hawarin,C2664,800,2", "Hama,Oqeirbat,C3315,900,1"]
SECOND = ["Homs,Qaryatein,C2663,2000,5", "Homs,Bado,C2600,300,1", "Hama,Oqeirbat,C3315,5000,1"]


def a_list(day: str, rows, capture) -> ImportRun:
    with capture(execute=True):
        run = import_list("\n".join([HEADER, *rows]).encode(), source=f"list-{day}.csv").run
    return run


def follow(user, *pcodes, **options) -> Subscription:
    areas = AdminArea.objects.filter(pcode__in=pcodes)
    defaults = {"categories": [], "jump_percent": 50, "after_import": True, "every_morning": True, "active": True}
    return services.save_subscription(user=user, areas=areas, **{**defaults, **options})


@pytest.fixture
def rana():
    return factories.user(role=COORDINATOR, username="rana", email="rana@example.org", first_name="Rana")


@pytest.fixture
def omar():
    return factories.user(role=MANAGER, username="omar", email="omar@example.org")


def notices(user) -> set[tuple]:
    return {(n.kind, n.settlement.pcode if n.settlement else None, n.field) for n in Notice.objects.filter(user=user)}


def test_an_import_tells_each_subscriber_what_changed_in_their_areas(rana, django_capture_on_commit_callbacks):
    a_list("2017-09-13", FIRST, django_capture_on_commit_callbacks)
    follow(rana, "SY04")  # Homs governorate

    a_list("2017-09-14", SECOND, django_capture_on_commit_callbacks)

    assert notices(rana) == {
        ("added", "C2600", ""),
        ("dropped", "C2664", ""),
        ("jumped", "C2663", "population"),  # 1,000 -> 2,000; Oqeirbat's jump is in Hama
    }


def test_jumps_follow_each_subscribers_threshold_and_categories(rana, django_capture_on_commit_callbacks):
    a_list("2017-09-13", ["Homs,Qaryatein,C2663,1000,5"], django_capture_on_commit_callbacks)
    farah = factories.user(role=COORDINATOR, username="farah", email="farah@example.org")
    follow(rana, "SY0401", jump_percent=20)  # Homs district
    follow(farah, categories=["medicine"])  # all of Syria, medicine only

    a_list("2017-09-14", ["Homs,Qaryatein,C2663,1300,20"], django_capture_on_commit_callbacks)
    a_list("2017-09-15", ["Homs,Qaryatein,C2663,1305,20"], django_capture_on_commit_callbacks)  # +5: no jump

    assert notices(rana) == {("jumped", "C2663", "population"), ("jumped", "C2663", "food_t")}
    assert notices(farah) == set()  # +30 % is below her 50 %, and food (+300 %) is not medicine


def test_a_failed_import_goes_to_operators_whatever_they_follow(rana, omar, django_capture_on_commit_callbacks):
    follow(rana)

    with django_capture_on_commit_callbacks(execute=True):
        run = import_list(b"%PDF-1.7 not a list", source="list-2017-09-14.csv").run

    assert run.status == ImportRun.Status.FAILED
    assert notices(omar) == {("import_failed", None, "")}
    assert notices(rana) == set()
    assert services.digest_recipients({omar.pk}, "import") == [omar.pk]


def test_each_morning_tells_of_requests_past_their_date_once(rana):
    follow(rana, "SY04", categories=["food"])
    today = datetime.date(2026, 12, 4)
    nobody = factories.aid_request(
        settlement=factories.settlement("C2663"), quantity=100, needed_by=today - datetime.timedelta(days=2)
    )
    pledged = factories.aid_request(
        settlement=factories.settlement("C2664"), quantity=10, needed_by=today - datetime.timedelta(days=1)
    )
    Pledge.objects.create(organization=factories.organization(), request=pledged, quantity=10, unit="t")
    factories.aid_request(
        settlement=factories.settlement("C2663"), category="water", needed_by=today - datetime.timedelta(days=1)
    )
    factories.aid_request(
        settlement=factories.settlement("C3315"), needed_by=today - datetime.timedelta(days=1)
    )  # Hama
    due_today = factories.aid_request(settlement=factories.settlement("C2663"), needed_by=today)  # not past yet

    assert services.notices_each_morning(today) == {rana.pk}
    found = {(n.kind, n.request_id) for n in Notice.objects.filter(user=rana)}
    assert found == {("uncovered", nobody.pk), ("overdue", pledged.pk)}
    assert services.notices_each_morning(today) == set()  # told once

    assert services.notices_each_morning(today + datetime.timedelta(days=1)) == {rana.pk}
    assert Notice.objects.filter(user=rana).count() == 3
    assert Notice.objects.filter(user=rana, request=due_today, kind="uncovered").exists()


def test_a_late_list_is_told_to_operators_only(rana, omar):
    follow(rana)
    ImportRun.objects.create(
        source="list.csv", status=ImportRun.Status.SUCCEEDED, finished_at=timezone.now() - datetime.timedelta(hours=40)
    )

    assert services.notices_each_morning() == {omar.pk}
    [late] = Notice.objects.filter(user=omar)
    assert late.kind == "list_late"
    assert "40 hours" in services.describe(late)


def test_the_digest_mail_says_what_changed_with_links(rana, smtp, django_capture_on_commit_callbacks):
    a_list("2017-09-13", FIRST, django_capture_on_commit_callbacks)
    follow(rana, "SY04")
    a_list("2017-09-14", SECOND, django_capture_on_commit_callbacks)

    assert services.send_digest(rana.pk) == 3
    assert services.send_digest(rana.pk) == 0  # nothing twice

    [(recipients, message)] = smtp.messages
    assert recipients == ["rana@example.org"]
    assert message["Subject"] == ("AidTrack: Added to the list: 1, Dropped from the list: 1, Figures that jumped: 1")
    text = message.get_body(("plain",)).get_content()
    assert "Hello Rana," in text
    assert "Bado (C2600) is on the list of Sept. 14, 2017." in text
    assert "Hawarin (C2664) is no longer on the list of Sept. 14, 2017." in text
    assert "Population of Qaryatein (C2663): 1,000 → 2,000 on the list of Sept. 14, 2017." in text
    assert "https://aidtrack.example.org/settlements/C2600/" in text
    html = message.get_body(("html",)).get_content()
    assert '<a href="https://aidtrack.example.org/settlements/C2663/">' in html
    assert Notice.objects.filter(user=rana, emailed_at=None).count() == 0


def test_the_digest_comes_in_the_users_language(rana, smtp, django_capture_on_commit_callbacks):
    UserPreference.objects.create(user=rana, language="ar")
    a_list("2017-09-13", FIRST, django_capture_on_commit_callbacks)
    follow(rana, "SY04")
    a_list("2017-09-14", SECOND, django_capture_on_commit_callbacks)

    services.send_digest(rana.pk)

    [(_, message)] = smtp.messages
    assert message["Subject"].strip().startswith("AidTrack: أضيفت إلى القائمة: 1")  # folded: starts on a new line
    text = message.get_body(("plain",)).get_content()
    assert "القريتين" in text and "Qaryatein" not in text
    assert 'dir="rtl"' in message.get_body(("html",)).get_content()


def test_a_mail_server_that_is_down_leaves_the_notices_to_send_again(
    rana, settings, django_capture_on_commit_callbacks
):
    a_list("2017-09-13", FIRST, django_capture_on_commit_callbacks)
    follow(rana, "SY04")
    a_list("2017-09-14", SECOND, django_capture_on_commit_callbacks)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens

    with pytest.raises(OSError):
        services.send_digest(rana.pk)

    assert Notice.objects.filter(user=rana, emailed_at=None).count() == 3


def test_who_wants_mail_when(rana, omar):
    farah = factories.user(role=COORDINATOR, username="farah", email="farah@example.org")
    follow(rana, after_import=False, every_morning=True)
    follow(farah, after_import=True, every_morning=False)

    assert services.digest_recipients({rana.pk, farah.pk, omar.pk}, "import") == [farah.pk]
    assert services.digest_recipients({rana.pk, farah.pk, omar.pk}, "morning") == [rana.pk]


def test_the_morning_digest_is_on_the_schedule_staff_edit():
    task = PeriodicTask.objects.get(name="Send the morning alert digests")
    assert task.task == "settlements.alerts_every_morning"
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("7", "0", "Asia/Damascus")


def test_operators_are_managers_and_superusers_with_an_address(omar):
    root = factories.user(username="root", superuser=True, email="root@example.org")
    factories.user(role=COORDINATOR, username="farah", email="farah@example.org")
    factories.user(role=MANAGER, username="nomail")

    assert set(services.operators()) == {omar, root}
    assert Permission.objects.filter(codename="receive_operator_alerts").exists()


def test_the_notices_page_lists_a_users_own_notices_and_marks_them_read(
    rana, client, django_capture_on_commit_callbacks
):
    a_list("2017-09-13", FIRST, django_capture_on_commit_callbacks)
    follow(rana, "SY04")
    a_list("2017-09-14", SECOND, django_capture_on_commit_callbacks)
    farah = factories.user(role=COORDINATOR, username="farah")
    client.force_login(rana)

    page = client.get(reverse("alerts:list")).content.decode()
    dashboard = client.get(reverse("home")).content.decode()
    client.post(reverse("alerts:read"))
    after = client.get(reverse("home")).content.decode()
    client.force_login(farah)
    theirs = client.get(reverse("alerts:list")).content.decode()

    assert page.count('class="unread"') == 3
    assert "Bado (C2600) is on the list of Sept. 14, 2017." in page
    assert 'href="/settlements/C2600/"' in page
    assert '<span class="badge" title="unread">3</span>' in dashboard
    assert 'class="badge"' not in after
    assert Notice.objects.filter(user=rana, read_at=None).count() == 0
    assert "Bado" not in theirs and "No notices yet." in theirs


def test_a_user_chooses_what_to_follow(rana, client):
    client.force_login(rana)
    homs, hama = AdminArea.objects.get(pcode="SY04"), AdminArea.objects.get(pcode="SY0503")

    form = client.get(reverse("alerts:subscription"))
    saved = client.post(
        reverse("alerts:subscription"),
        {
            "areas": [homs.pk, hama.pk],
            "categories": ["food", "water"],
            "jump_percent": 30,
            "every_morning": "on",
            "active": "on",
        },
    )
    refused = client.post(reverse("alerts:subscription"), {"jump_percent": 0, "active": "on"})

    assert form.status_code == 200 and "Homs (governorate, SY04)" in form.content.decode()
    assert saved.status_code == 302
    subscription = Subscription.objects.get(user=rana)
    assert set(subscription.areas.all()) == {homs, hama}
    assert (subscription.categories, subscription.jump_percent) == (["food", "water"], 30)
    assert (subscription.after_import, subscription.every_morning) == (False, True)
    assert refused.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_mails_the_digest_after_an_import(gazetteer, smtp, settings):
    rana = factories.user(role=COORDINATOR, username="rana", email="rana@example.org")
    import_list("\n".join([HEADER, *FIRST]).encode(), source="list-2017-09-13.csv")
    follow(rana, "SY04")
    worker = start_celery_worker(settings.ALERTS_QUEUE, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp.port))
    try:
        import_list("\n".join([HEADER, *SECOND]).encode(), source="list-2017-09-14.csv")  # commits: the alerts follow
        [(recipients, message)] = smtp.wait(1)
    finally:
        stop(worker)

    assert recipients == ["rana@example.org"]
    assert "Figures that jumped: 1" in message["Subject"]
    assert Notice.objects.filter(user=rana, emailed_at__isnull=False).count() == 3
    assert Decimal(Notice.objects.get(user=rana, kind="jumped").new) == 2000
