"""``manage.py restore_catalog PATH``: put a ``backup_catalog`` file back, all or nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from catalog.backup import BackupError, open_backup, reset_sequences, restore


class Command(BaseCommand):
    help = (
        "backup_catalog이 쓴 파일을 migrate한 데이터베이스에 되살립니다. 백업과 "
        "데이터베이스의 마이그레이션 상태가 같아야 하고, 자료가 이미 있는 데이터베이스는 "
        "--replace 없이는 거부합니다. 한 트랜잭션에서 하므로 파일이 잘못되면 아무것도 "
        "바뀌지 않습니다."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="backup_catalog이 쓴 파일(.json 또는 .json.gz)")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="데이터베이스에 있는 자료를 모두 지우고 백업으로 바꿉니다.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="파일 전체를 검증하고 모델별 행 수를 알려 줄 뿐, 아무것도 쓰지 않습니다.",
        )

    def handle(self, *args, path: str, replace: bool = False, dry_run: bool = False, **options):
        try:
            with open_backup(Path(path)) as backup, transaction.atomic():
                counts = restore(backup, replace=replace)
                if dry_run:
                    transaction.set_rollback(True)
                else:
                    reset_sequences()
        except (BackupError, DatabaseError) as error:
            raise CommandError(
                _("되살리지 못했습니다. 데이터베이스는 그대로입니다. %(error)s") % {"error": error}
            ) from error
        for label, count in counts.items():
            self.stdout.write(f"  {label}: {count}")
        if dry_run:
            message = _("시험 실행: %(rows)d행을 검증했고 아무것도 쓰지 않았습니다.")
            self.stdout.write(self.style.WARNING(message % {"rows": counts.total()}))
        else:
            message = _("%(rows)d행을 되살렸습니다.")
            self.stdout.write(self.style.SUCCESS(message % {"rows": counts.total()}))
