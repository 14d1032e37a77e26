# SPDX-License-Identifier: MIT
"""Greedy word wrapping and small helpers for fixed-width text."""


def wrap(text, width):
    """Split text into lines of at most width characters, breaking between words;
    a word longer than width gets a line of its own."""
    lines = []
    current = ""
    for word in text.split():
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def center(line, width):
    pad = width - len(line)
    if pad <= 0:
        return line
    left = pad // 2
    return " " * left + line + " " * (pad - left)


def truncate(text, limit, ellipsis="..."):
    if len(text) <= limit:
        return text
    return text[: limit - len(ellipsis)] + ellipsis


def count_words(text):
    counts = {}
    for word in text.lower().split():
        word = word.strip(".,;:!?")
        if word:
            counts[word] = counts.get(word, 0) + 1
    return counts
