"""The two kinds of failure the command line tells apart (exit 2 and exit 1)."""


class SparseaeError(Exception):
    """Base class: the message is one line that names the problem and the fix."""

    exit_code = 1


class UsageError(SparseaeError):
    """Bad input: configuration, arguments or data files. Exit status 2."""

    exit_code = 2


class DataError(UsageError):
    """A data file is missing or malformed. Exit status 2."""


class RunFailed(SparseaeError):
    """A run that started but could not finish (NaN loss, ...). Exit status 1."""

    exit_code = 1


# Ctrl-C (or SIGINT from a scheduler): one line, exit status 130, the run folder left resumable.
INTERRUPTED = "interrupted; rerun the same command to resume (checkpoints and finished jobs are kept)"
