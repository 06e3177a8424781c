"""A letter's questions, one by one (issue 11 item 13: an email asking two
things got one answer). The quoted original is already gone (the email
adapter strips it); here the signature goes, then the text is cut into
sentences and each question ("...?") takes the statements before it as its
context: "Tôi đã nộp bổ sung CCCD. Khi nào có kết quả?" is one question.

Fewer than two questions: the letter is one message, as before."""

from __future__ import annotations

import re

MAX_QUESTIONS = 5  # beyond that the rest rides with the last one: a letter, not a questionnaire

# Where a signature starts: RFC 3676's "-- " line, a closing formula on a
# line of its own, a phone's "sent from" line.
_SIGNATURE = re.compile(
    r"^\s*(?:--\s*|"
    r"(?:trân trọng|kính thư|thân ái|xin (?:chân thành )?cảm ơn|cảm ơn|best regards|regards|thanks)[\s,.!]*|"
    r"(?:gửi từ|sent from) .*)$",
    re.IGNORECASE,
)
_SALUTATION = re.compile(r"^\s*(?:kính gửi|kính chào|xin chào|chào|dear)\b[^.?!]{0,60},?\s*$", re.IGNORECASE)
_LIST_MARK = re.compile(r"^\s*(?:\(?\d{1,2}[.):]|[-•*–])\s+")
# A sentence ends at ? ! or . followed by a space; "1.5" or "v.v." inside do not.
_SENTENCE_END = re.compile(r"(?<=[?!.])\s+(?=\S)")


def _body(text: str) -> list[str]:
    """The lines before the signature, list marks dropped."""
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if _SIGNATURE.match(line):
            break
        if not "".join(lines).strip() and _SALUTATION.match(line):
            continue  # "Kính gửi Tổng đài," asks nothing
        lines.append(_LIST_MARK.sub("", line))
    return lines


def _sentences(lines: list[str]) -> list[str]:
    paragraphs = re.split(r"\n\s*\n", "\n".join(lines))
    found = []
    for paragraph in paragraphs:
        flat = " ".join(paragraph.split())
        found += [s for s in _SENTENCE_END.split(flat) if s]
    return found


def split_questions(text: str) -> list[str]:
    """The letter's questions, each with its context; [text] when it asks
    fewer than two things."""
    parts: list[str] = []
    pending: list[str] = []
    for sentence in _sentences(_body(text)):
        pending.append(sentence)
        if sentence.rstrip().endswith("?"):
            parts.append(" ".join(pending))
            pending = []
    if len(parts) < 2:
        return [text]
    if pending:  # statements after the last question ("Tôi ở xã Phú Lợi.") belong to it
        parts[-1] = " ".join([parts[-1], *pending])
    if len(parts) > MAX_QUESTIONS:
        parts[MAX_QUESTIONS - 1 :] = [" ".join(parts[MAX_QUESTIONS - 1 :])]
    return parts


def excerpt(question: str, limit: int = 90) -> str:
    """The question as the reply quotes it back: its last sentence, cut short."""
    last = _SENTENCE_END.split(question)[-1]
    return last if len(last) <= limit else last[: limit - 1].rstrip() + "…"
