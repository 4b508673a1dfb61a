"""The bounded read: never more than one byte past a document's limit, whatever the file is."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from screening.limits import DEFINITION_LIMITS, RESPONSE_LIMITS, DocumentLimits, LimitError, read_bounded


def test_a_file_within_the_limit_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_bytes(b"x" * RESPONSE_LIMITS.max_bytes)
    assert len(read_bounded(path, RESPONSE_LIMITS)) == RESPONSE_LIMITS.max_bytes


def test_a_file_one_byte_over_is_refused_naming_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_bytes(b"x" * (RESPONSE_LIMITS.max_bytes + 1))
    with pytest.raises(LimitError) as caught:
        read_bounded(path, RESPONSE_LIMITS)
    assert caught.value.message == "the file is larger than the 512 KiB a response may be"
    assert caught.value.fix == "check that it is a response file"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_file_is_refused_after_the_limit() -> None:
    with pytest.raises(LimitError, match="larger than the 4,096 KiB a definition may be"):
        read_bounded(Path("/dev/zero"), DEFINITION_LIMITS)


def test_limits_read_as_text() -> None:
    assert DocumentLimits("response", 1000, 1, 1).size_text() == "1,000 bytes"
    assert RESPONSE_LIMITS.size_text() == "512 KiB"


def test_a_named_pipe_without_a_writer_reads_as_empty_instead_of_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    result: list[bytes] = []
    reader = threading.Thread(target=lambda: result.append(read_bounded(fifo, RESPONSE_LIMITS)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "reading a named pipe with no writer waited for one"
    assert result == [b""]


def test_a_pipe_being_written_is_read_to_its_end(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    writer = subprocess.Popen(  # opens the pipe for writing, then writes slowly
        [
            sys.executable,
            "-c",
            f"import time; f = open({str(fifo)!r}, 'w'); f.write('a: 1\\n'); f.flush(); "
            "time.sleep(0.3); f.write('b: 2\\n')",
        ]
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # wait until the writer has the pipe open (a reader unblocks it)
            data = read_bounded(fifo, RESPONSE_LIMITS)
            if data:
                break
        assert data == b"a: 1\nb: 2\n"
    finally:
        writer.wait(timeout=10)


def test_a_folder_is_an_os_error_and_leaves_no_descriptor_open(tmp_path: Path) -> None:
    descriptors = Path("/proc/self/fd")
    open_before = len(list(descriptors.iterdir())) if descriptors.is_dir() else None
    for _ in range(20):
        with pytest.raises(IsADirectoryError):
            read_bounded(tmp_path, RESPONSE_LIMITS)
    if open_before is not None:
        assert len(list(descriptors.iterdir())) == open_before
