"""The unattended job: rebuild packages whose source report changed, validate, sync.

It must be boring: run on time, never overlap, leave a record a person can read, fail loudly.

- When: ``publisher.toml`` [schedule] (daily at a time in a time zone, or every N hours),
  each key overridable by ``PUBLISHER_SCHEDULE_<KEY>``; the runner is the ``schedule`` package.
- Never twice at once: a ``fcntl.flock`` on the lock file, which holds the holder's pid.
- A record: one JSON line per run in the run log, and the last run in the status file
  (written to a temporary file, then ``os.replace``d, so a reader never sees half of it).
- Exit codes: 0 in sync, 1 validation failures, 2 portal unreachable or API errors, 3 locked;
  a run stopped by a signal before its last step exits 128 + the signal number.

config.py reads the schedule, lock.py keeps runs apart, record.py writes and reads what ran,
steps.py holds the job's steps, runner.py runs them once or on the schedule.
"""
