"""``manage.py backup_catalog PATH``: every row of the site's data in one file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from catalog.backup import write_backup


class Command(BaseCommand):
    help = (
        "카탈로그와 분석(기록 포함), 사용자·그룹·권한 연결, 담당 자치단체, 관리 기록을 빠짐없이 "
        "한 파일에 씁니다. 한 시점의 모습을 그대로 담고, 경로가 .gz로 끝나면 gzip으로 "
        "압축합니다. 비밀번호 해시가 들어 있으니 안전하게 보관하세요. 되살리기: "
        "restore_catalog."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="쓸 파일, 예: backups/catalog.json.gz")
        parser.add_argument(
            "--force", action="store_true", help="같은 이름의 파일이 있으면 덮어씁니다."
        )

    def handle(self, *args, path: str, force: bool = False, **options):
        target = Path(path)
        if target.exists() and not force:
            raise CommandError(
                _("%(path)s 파일이 이미 있습니다. 덮어쓰려면 --force를 붙이세요.")
                % {"path": target}
            )
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            counts = write_backup(target)
        except OSError as error:
            raise CommandError(
                _("백업 파일을 쓸 수 없습니다: %(error)s") % {"error": error}
            ) from error
        for label, count in counts.items():
            self.stdout.write(f"  {label}: {count}")
        self.stdout.write(
            self.style.SUCCESS(
                _("%(path)s에 %(rows)d행을 백업했습니다.")
                % {"path": target, "rows": counts.total()}
            )
        )
