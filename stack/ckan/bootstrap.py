"""First-start set-up of the local CKAN, run inside the CKAN venv with CKAN_INI set.

One process instead of five `ckan` CLI calls (each loads the whole app): migrate the
database, ensure the sysadmin, and issue an API token into a mode-600 file. Idempotent.
Usage: python bootstrap.py <secrets-dir>
"""
import json
import os
import secrets
import sys
from pathlib import Path

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

SYSADMIN = "publisher"


def write_secret(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(value + "\n")
    os.chmod(path, 0o600)


def main(secrets_dir: Path) -> dict:
    app = make_app(CKANConfigLoader(os.environ["CKAN_INI"]).get_config())
    import ckan.model as model
    from ckan.plugins import toolkit

    with app._wsgi_app.test_request_context():
        model.repo.init_db()
        site_user = toolkit.get_action("get_site_user")({"ignore_auth": True}, {})
        context = {"ignore_auth": True, "user": site_user["name"]}

        user = model.User.get(SYSADMIN)
        created_user = user is None
        if created_user:
            password = secrets.token_urlsafe(24)
            toolkit.get_action("user_create")(dict(context), {
                "name": SYSADMIN,
                "email": "publisher@portal.invalid",
                "password": password,
                "fullname": "Publisher (ผู้เผยแพร่ข้อมูล)",
            })
            write_secret(secrets_dir / "sysadmin-password", password)
            user = model.User.get(SYSADMIN)
        if not user.sysadmin:
            user.sysadmin = True
            model.Session.commit()

        token_file = secrets_dir / "ckan-api-token"
        created_token = not token_file.exists()
        if created_token:
            token = toolkit.get_action("api_token_create")(
                dict(context), {"user": SYSADMIN, "name": "publisher"})["token"]
            write_secret(token_file, token)
    return {"sysadmin": SYSADMIN, "created_user": created_user, "created_token": created_token}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
