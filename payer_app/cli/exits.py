"""The exit codes every ``payer-app`` command shares (docs/cli.md) and the two exceptions a subcommand
raises to end with one of them (``main`` in ``cli/__init__.py`` prints the line and returns the code).
Its own module so that the subcommands and ``options.py`` need not import the package that loads them."""


EXIT_OK = 0  # done: valid, found, approved, written
EXIT_NO = 1  # the answer is no: invalid, nothing found, not paid, rejected, refused, expectations not met
EXIT_USAGE = 2  # usage or input error: bad option, unusable file, key store problem, unusable data folder
EXIT_PENDING = 3  # no answer yet: the acquirer did not answer (pay, history --retry, bill, keys)
# a file-by-file scan (scan, qa merge) whose every check passed, but some input could not be read
# (damaged, too big, not a picture); when a check failed too, EXIT_NO wins: the answer is no
EXIT_UNREADABLE = 4
EXIT_INTERRUPTED = 130  # Ctrl+C (128 + SIGINT), as shells report it


class UsageError(Exception):
    """Raised by a subcommand for unusable input; printed as 'payer-app: error: ...', exit 2."""


class NoAnswerError(Exception):
    """Raised by a subcommand when the acquirer did not answer (yet); printed as
    'payer-app: no answer: ...', exit 3: try again later."""
