"""The WSGI entry point for production servers: ``gunicorn -c deploy/gunicorn.conf.py server.wsgi:app``.

Every worker process builds its own app from the environment (``LASTMETER_*``); the app keeps no state
between requests outside the database and media storage, so any number of processes and machines can
serve behind one proxy.
"""
from server import create_app

app = create_app()
