"""What extract and decrypt show of their progress where there is no terminal: plain lines."""

import io

from ios_backup_api.entrypoints.export.progress import Report


def test_without_a_terminal_progress_is_plain_lines_of_files_bytes_rate_and_time_left() -> None:
    stream = io.StringIO()
    with Report("extract", files=4, size=4 << 20, stream=stream, interval=0) as report:
        report.bytes(1 << 20)
        report.file()
        report.problem("HomeDomain/x: left out, it is missing from the backup.")
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("extract: 0/4 files, 1.0/4.0 MiB, ")
    assert lines[0].endswith(" left")
    assert " MiB/s, " in lines[0]
    assert lines[1].startswith("extract: 1/4 files, 1.0/4.0 MiB, ")
    assert lines[2] == "HomeDomain/x: left out, it is missing from the backup."
    assert "\x1b" not in stream.getvalue(), "a terminal's escape codes in a plain stream"
    assert (report.files_done, report.bytes_done, report.problems) == (1, 1 << 20, 1)
