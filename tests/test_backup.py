"""`make backup` and `make restore`, run as an operator runs them, against the real PostgreSQL."""

import os
import subprocess
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from aidtrack.database import connect
from settlements import services
from settlements.importing.service import import_list
from settlements.models import Settlement
from settlements.roles import STAFF
from tests import factories
from tests.conftest import ROOT
from tests.paths import DAILY_LISTS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SAMPLES = ROOT / "settlements/data/samples"
# What staff type in, and the record of who changed it.
STAFF_TABLES = [
    "settlements_settlement",
    "settlements_historicalsettlement",
    "settlements_aidrequest",
    "settlements_historicalaidrequest",
    "settlements_delivery",
    "settlements_camp",
    "settlements_organization",
    "settlements_organization_members",
    "settlements_figurecorrection",
    "auth_user",
]


def database_url(name: str) -> str:
    db = connection.settings_dict
    return f"postgis://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def make(target: str, name: str, **variables) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url(name)}
    args = [f"{key}={value}" for key, value in variables.items()]
    return subprocess.run(
        ["make", "--no-print-directory", target, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def fingerprint(name: str) -> dict[str, tuple[int, str]]:
    """Every table's row count, and a checksum of each staff table's rows in key order."""
    conn = connect(name)
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys'"
            )
            tables = sorted(row[0] for row in cursor.fetchall())
            result = {}
            for table in tables:
                digest = "md5(string_agg(t::text, '|' ORDER BY t::text))" if table in STAFF_TABLES else "''"
                cursor.execute(f"SELECT count(*), {digest} FROM {table} t")  # noqa: S608 (names from pg_tables)
                result[table] = cursor.fetchone()
            return result
    finally:
        conn.close()


def drop(name: str) -> None:
    conn = connect("postgres")
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


@pytest.fixture
def staff_work(gazetteer):
    """Two days of lists, and the records staff typed in around them."""
    import_list((SAMPLES / "settlement-list-2017-09-11.csv").read_bytes(), source="settlement-list-2017-09-11.csv")
    second = (DAILY_LISTS / "2017-09-12" / "settlement-list.csv").read_bytes()
    import_list(second, source="settlement-list-2017-09-12.csv")
    partner = factories.organization(name="Syrian Arab Red Crescent", acronym="SARC")
    editor = factories.user(role=STAFF, username="rania", member_of=[partner])
    settlement = Settlement.objects.get(pcode="C2663")
    settlement.population = 12345
    services.save_record(obj=settlement, user=editor)
    request = factories.aid_request(settlement=settlement, quantity=Decimal("80"), requesting_organization=partner)
    services.save_record(obj=request, user=editor)
    factories.delivery(request, quantity="20")
    factories.camp(name_en="Rukban", population=60000)


@pytest.fixture
def fresh_database():
    name = f"aidtrack_restore_{uuid.uuid4().hex[:8]}"
    yield name
    drop(name)


def test_a_backup_restores_into_a_fresh_database_with_every_row(staff_work, fresh_database, tmp_path):
    source = connection.settings_dict["NAME"]
    before = fingerprint(source)

    backed_up = make("backup", source, BACKUP_DIR=tmp_path)
    [dump] = list(tmp_path.glob(f"aidtrack-{source}-*.dump"))
    restored = make("restore", fresh_database, FILE=dump)

    assert backed_up.returncode == 0, backed_up.stderr
    assert restored.returncode == 0, restored.stderr
    assert Path(f"{dump}.sha256").read_text().split()[1] == dump.name
    after = fingerprint(fresh_database)
    assert after == before
    assert after["settlements_listentry"][0] > 100 and after["settlements_historicalsettlement"][0] >= 1


def test_restore_refuses_a_database_with_data_unless_forced(staff_work, fresh_database, tmp_path):
    source = connection.settings_dict["NAME"]
    make("backup", source, BACKUP_DIR=tmp_path)
    [dump] = list(tmp_path.glob("*.dump"))
    assert make("restore", fresh_database, FILE=dump).returncode == 0
    conn = connect(fresh_database)
    with conn.cursor() as cursor:
        cursor.execute("UPDATE settlements_settlement SET population = 1 WHERE pcode = 'C2663'")
    conn.close()

    refused = make("restore", fresh_database, FILE=dump)
    forced = make("restore", fresh_database, FILE=dump, FORCE=1)

    assert refused.returncode != 0
    assert f"The database {fresh_database} is not empty" in refused.stderr and "FORCE=1" in refused.stderr
    assert forced.returncode == 0, forced.stderr
    assert fingerprint(fresh_database) == fingerprint(source)  # the edit made after the backup is gone


def test_a_damaged_backup_is_refused_before_anything_is_touched(staff_work, fresh_database, tmp_path):
    make("backup", connection.settings_dict["NAME"], BACKUP_DIR=tmp_path)
    [dump] = list(tmp_path.glob("*.dump"))
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))

    refused = make("restore", fresh_database, FILE=dump)
    missing = make("restore", fresh_database, FILE=tmp_path / "nothing.dump")

    assert refused.returncode != 0 and "does not match its checksum" in refused.stderr
    assert missing.returncode != 0 and "No backup at" in missing.stderr
    conn = connect("postgres")
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [fresh_database])
        assert cursor.fetchone() is None  # not even created
    conn.close()
