"""Gunicorn settings for Lastmeter (docs/deploy.md explains each choice).

Run: gunicorn -c deploy/gunicorn.conf.py server.wsgi:app
Environment: LASTMETER_* for the app; WEB_CONCURRENCY, GUNICORN_WORKER_CLASS, GUNICORN_THREADS and GUNICORN_BIND for
this file.
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync-style workers with a few threads each: requests are short database work plus streaming of
# uploads that nginx has already buffered, so threads cover the I/O waits without an async stack.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# ODK Collect gives up on a request after 60 s and retries; a worker must outlive a slow 100 MB
# upload from the proxy and an export streaming to a slow client, so the timeout sits well above.
timeout = 180
graceful_timeout = 60
keepalive = 5

# Recycle workers now and then so a leak in a library cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200

# Behind nginx on the same machine; LASTMETER_TRUSTED_PROXIES tells the app how many X-Forwarded-* hops to trust.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Logs go to stdout/stderr for journald or the container runtime. The access line holds no query string,
# body or header but the user agent, and the Collect token in /key/<token>/… paths is cut to 4 characters.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(L)ss "%(a)s"'
logger_class = "server.adapters.gunicorn_log.RedactingLogger"
