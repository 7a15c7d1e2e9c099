"""How ``srcrm finetune`` and ``srcrm learn`` end a run (srcrm.commands.events): a cancel is an
event and a line on stderr, then exit code 130; an error is an event, then raised."""

from __future__ import annotations

import pytest

from srcrm.commands.events import EXIT_CANCELLED, event_stream, reported_end
from srcrm.train.trainer import Cancelled


def ended(block, note=""):
    sent, closed = [], []
    with reported_end(sent.append, lambda: closed.append(True), note) as ending:
        block()
    return ending, sent, closed


def test_a_cancel_is_sent_said_and_goes_no_further(capsys):
    def cancel():
        raise Cancelled("fine-tuning cancelled at step 3")

    ending, sent, closed = ended(cancel, "; nothing was written")
    assert ending.cancelled and closed == [True] and EXIT_CANCELLED == 130
    assert sent == [{"kind": "cancelled", "message": "fine-tuning cancelled at step 3"}]
    assert capsys.readouterr().err == "cancelled: fine-tuning cancelled at step 3; nothing was written\n"


def test_an_error_is_sent_then_raised():
    sent, closed = [], []
    with pytest.raises(OSError, match="disk full"):
        with reported_end(sent.append, lambda: closed.append(True)):
            raise OSError("disk full")
    assert sent == [{"kind": "error", "message": "disk full"}] and closed == [True]


def test_a_run_that_ends_well_sends_nothing_and_closes_the_bar(capsys):
    ending, sent, closed = ended(lambda: None)
    assert not ending.cancelled and sent == [] and closed == [True]
    assert capsys.readouterr().err == ""


def test_events_are_json_lines(tmp_path):
    path = tmp_path / "events.jsonl"
    with event_stream(str(path)) as send:
        send({"kind": "step", "step": 1})
        send({"kind": "done"})
    assert path.read_text() == '{"kind": "step", "step": 1}\n{"kind": "done"}\n'
