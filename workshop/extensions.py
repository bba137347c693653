"""Flask extensions, created unbound here and bound to an app in ``create_app``.

Nothing in this module connects to a database or to Redis: that happens when an
app is created and a request or job first needs it.
"""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints let Alembic alter and drop them on SQLite as on PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()


class RouteLimiter(Limiter):
    """Flask-Limiter, checking before a request only when there is something to check.

    Karya's limits sit on chosen routes (logging in, accounts/throttle.py), and their
    decorator checks them. Flask-Limiter also looks for default, application-wide and
    blueprint limits before every request; Karya sets none, and looking found nothing
    at about 3 % of a page's time.
    """

    def _check_request_limit(self, callable_name=None, in_middleware=True):
        manager = self.limit_manager
        if in_middleware and not (manager.default_limits or manager.application_limits
                                  or manager._blueprint_limits):
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)


limiter = RouteLimiter(key_func=get_remote_address)
