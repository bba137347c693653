"""``flask karya ...`` commands for operators."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .accounts import service as accounts
from .accounts.models import User
from .audit.service import record
from .db_types import utcnow
from .demo import DEMO_JOIN_CODE, DEMO_PASSWORD, DEMO_PEOPLE, DemoRefused, seed_demo
from .errors import ApiError
from .extensions import db
from .media.watchdog import requeue
from .uploads.cleanup import purge_expired_uploads

karya_cli = AppGroup("karya", help="Karya administration commands.")


@karya_cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator", show_default=True)
@click.password_option(help="The admin's password (asked for when not given).")
def create_admin(email: str, name: str, password: str) -> None:
    """Create a site administrator, or make an existing account one."""
    email = accounts.normalise_email(email)
    user = db.session.scalar(db.select(User).where(User.email == email))
    if user is None:
        try:
            user = accounts.create_user(email, name, password)
        except ApiError as error:
            raise click.ClickException(str(error.message))
    user.is_admin = True
    # The operator who runs this command vouches for the address.
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    record("user.made_admin", target=user, actor=user, via="cli")
    db.session.commit()
    click.echo(f"{email} is an administrator.")


@karya_cli.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo cohort and the demo accounts (an empty or demo-only database only)."""
    try:
        seed_demo()
    except DemoRefused as refusal:
        raise click.ClickException(str(refusal))
    click.echo(f"Demo cohort ready (join code {DEMO_JOIN_CODE}). Log in as:")
    for email, _name, role in DEMO_PEOPLE:
        click.echo(f"  {role.value:8} {email} / {DEMO_PASSWORD}")


@karya_cli.command("requeue")
@click.argument("version_ids", nargs=-1, type=int)
def requeue_command(version_ids: tuple[int, ...]) -> None:
    """Reprocess versions: the ids given, or else every failed or stuck one."""
    done = requeue(list(version_ids) or None)
    click.echo(f"Requeued {len(done)} version(s): {', '.join(map(str, done)) or '-'}")


@karya_cli.command("purge-uploads")
def purge_uploads_command() -> None:
    """Remove uploads abandoned past their expiry, and stray folders in the upload area."""
    click.echo(f"Removed {purge_expired_uploads()} abandoned upload(s).")
