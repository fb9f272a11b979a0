"""The local portal: PostgreSQL, Redis, Solr 9 and CKAN 2.11 as processes on 127.0.0.1.

Everything the portal writes lives under one git-ignored folder (``.stack/`` by default):
the CKAN virtual environment, the Solr jars, the databases, the filestore, logs, pid files
and secrets. Processes are tracked by pid file and stopped by pid, never by name, so two
checkouts on one machine (with different ports) never touch each other's servers.

The CKAN server runs in its own virtual environment: CKAN pins its dependencies exactly
and they conflict with frictionless, so the publisher only ever talks to it over HTTP.
"""
