"""Known vulnerabilities in the installed, pinned dependencies, by pip-audit.

Queries PyPI's vulnerability data first and OSV second. Exits 1 when a dependency has a
known vulnerability. When neither service answers (a machine without access to them), it
says so in plain words and exits 0 unless ``AUDIT_REQUIRED=1``: an unreachable service is
reported, never mistaken for a clean result.
"""

import json
import os
import subprocess
import sys

SERVICES = ("pypi", "osv")


def audit(service: str) -> dict | None:
    """pip-audit's JSON report for the current environment, or None if it could not run."""
    completed = subprocess.run(
        [sys.executable, "-m", "pip_audit", "--skip-editable", "--progress-spinner", "off",
         "--format", "json", "--vulnerability-service", service, "--timeout", "20"],
        capture_output=True, text=True,
    )  # fmt: skip
    try:
        return json.loads(completed.stdout)
    except json.JSONDecodeError:
        return None


def main() -> int:
    for service in SERVICES:
        report = audit(service)
        if report is None:
            print(f"{service}: the vulnerability service could not be queried")
            continue
        dependencies = report["dependencies"]
        audited = [d for d in dependencies if "skip_reason" not in d]
        if not audited:
            print(f"{service}: no dependency could be looked up (service unreachable)")
            continue
        vulnerable = [d for d in audited if d.get("vulns")]
        for dependency in vulnerable:
            ids = ", ".join(v["id"] for v in dependency["vulns"])
            print(f"VULNERABLE {dependency['name']} {dependency['version']}: {ids}")
        print(
            f"{service}: {len(audited)} dependencies audited, {len(vulnerable)} vulnerable, "
            f"{len(dependencies) - len(audited)} not found"
        )
        return 1 if vulnerable else 0
    print("NOT AUDITED: no vulnerability service is reachable from this machine.")
    return 1 if os.environ.get("AUDIT_REQUIRED") == "1" else 0


if __name__ == "__main__":
    sys.exit(main())
