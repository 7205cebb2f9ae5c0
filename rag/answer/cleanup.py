"""Cleaning what a small model writes, token by token: labels it writes again ("Answer:"), a
made-up next turn, and loops (one line again and again). Stop strings are in `rag.llm.base`.

Everything here is pure text handling; `rag.answer.stream` applies it while tokens arrive.
"""

from __future__ import annotations

# A base model that writes a new "Answer:" line after some answer has started a made-up next
# turn. These are not stop strings: a stop string also matches at the very start, and a
# model may well begin with "\nAnswer: " and then answer.
NEXT_TURN = ("\nAnswer:", "\n回答：")

# Labels a small base model may write again at the start of its answer (the prompt already
# ends with one): they are not part of the answer.
ANSWER_LABELS = ("Answer:", "Answer：", "回答：", "回答:", "答案：", "答案:", "答：", "答:")


def strip_answer_labels(text: str) -> str:
    """`text` without leading whitespace and answer labels (any number of them)."""
    text = text.lstrip()
    while True:
        label = next((x for x in ANSWER_LABELS if text.startswith(x)), None)
        if label is None:
            return text
        text = text[len(label):].lstrip()

def trim_answer_end(text: str) -> str:
    """`text` without trailing whitespace and a closing » the model copied from the sources."""
    return text.rstrip().removesuffix("»").rstrip()

def next_turn(text: str, start: int) -> tuple[int | None, int]:
    """(where a made-up next turn begins in `text` after `start`, or None; how far `text`
    may be shown now): the end that may still grow into a NEXT_TURN marker is held back."""
    found = [i for i in (text.find(m, start) for m in NEXT_TURN) if i >= 0]
    if found:
        return min(found), min(found)
    hold = max((k for m in NEXT_TURN for k in range(1, len(m)) if text.endswith(m[:k])), default=0)
    trimmed = text.rstrip()
    if trimmed.endswith("»"):  # dropped from the finished answer (trim_answer_end)
        hold = max(hold, len(text) - len(trimmed) + 1)
    return None, max(start, len(text) - hold)

def may_be_label(text: str) -> bool:
    """Whether `text` (already stripped of whole labels) may still grow into a label."""
    return any(x.startswith(text) for x in ANSWER_LABELS)


# A small model can fall into a loop: the same line again and again, often with only its
# number changing ("1. 答：[1] 英文数字显示中文数字", "2. 答：[2] ..."), until max_tokens.
# The answer stops at the third identical copy, or at the sixth copy that differs only in its
# digits (three lines such as \chapter{Part 1}, {Part 2}, {Part 3} are an answer, not a loop),
# and keeps the first copy, whole lines where the unit holds a line break.
LOOP_COPIES = 3

LOOP_COPIES_NUMBERED = 6

LOOP_MAX_UNIT = 300  # characters

_DIGITS = str.maketrans("123456789１２３４５６７８９", "0" * 18)

LOOP_MIN_LETTERS = 8  # a repeated unit with fewer letters (a table rule, "port 8080, ") is not a loop


def _period(text: str, copies: int) -> int | None:
    """The shortest unit of >= LOOP_MIN_LETTERS letters that `text` ends with `copies` of."""
    n = len(text)
    end = text[-1:]
    for unit in range(LOOP_MIN_LETTERS, n // copies + 1):
        if text[n - 1 - unit] != end:
            continue  # cheap test first: this runs once per streamed token
        last = text[n - unit:]
        if all(text[n - (i + 1) * unit: n - i * unit] == last for i in range(1, copies)):
            if sum(ch.isalpha() for ch in last) >= LOOP_MIN_LETTERS:
                return unit
    return None


def loop_cut(text: str) -> int | None:
    """Where to cut `text` when it ends in a loop (see above): the length that keeps the
    first copy. None otherwise."""
    tail = text[-LOOP_COPIES_NUMBERED * LOOP_MAX_UNIT:]
    for body, copies in ((tail, LOOP_COPIES), (tail.translate(_DIGITS), LOOP_COPIES_NUMBERED)):
        unit = _period(body[-copies * LOOP_MAX_UNIT:], copies)
        if unit is not None:
            break
    else:
        return None
    start = len(body) - copies * unit
    while start > 0 and body[start - 1] == body[start - 1 + unit]:
        start -= 1  # the repetition may begin earlier, e.g. in the line before the first number
    newline = body.find("\n", start, start + unit)
    if newline < 0:  # no lines: keep one unit, ending where the text ends now (a token's end)
        return len(text) - (copies - 1) * unit
    return len(text) - len(tail) + newline + 1 + unit  # the first copy that starts a line
