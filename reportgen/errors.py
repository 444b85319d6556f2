"""The errors a user can fix. The CLI turns them into one line and an exit code."""

from __future__ import annotations


class ReportgenError(Exception):
    """A problem the user can fix; the message says what is wrong and what to do."""

    exit_code = 1


class DataError(ReportgenError):
    """The input data cannot be analysed as it is (exit code 1)."""

    exit_code = 1


class SettingsError(ReportgenError):
    """The options or the config file ask for something impossible (exit code 2)."""

    exit_code = 2


class EmailError(ReportgenError):
    """The report could not be emailed: a missing file, or the SMTP server said no (exit 1)."""

    exit_code = 1


class PartialSendError(EmailError):
    """The SMTP server accepted the message for some recipients and refused others.

    Attributes:
        refused: each refused recipient's address -> the server's reply.
    """

    def __init__(self, message: str, refused: dict[str, str]) -> None:
        super().__init__(message)
        self.refused = refused


class OutputError(ReportgenError):
    """The report could not be written (a full disk, a file in the way); exit code 1.

    Raised before the new report replaces the old one: the earlier report is unchanged.
    """

    exit_code = 1
