# SPDX-License-Identifier: MIT
"""A list-backed stack and two uses of it."""

PAIRS = {")": "(", "]": "[", "}": "{"}


class Stack:
    def __init__(self):
        self.items = []

    def push(self, item):
        self.items.append(item)

    def pop(self):
        if not self.items:
            raise IndexError("pop from empty stack")
        return self.items.pop()

    def peek(self):
        if not self.items:
            raise IndexError("peek at empty stack")
        return self.items[-1]

    def size(self):
        return len(self.items)

    def is_empty(self):
        return len(self.items) == 0


def balanced(text):
    """True when every bracket in text is closed in the right order."""
    stack = Stack()
    for ch in text:
        if ch in "([{":
            stack.push(ch)
        elif ch in PAIRS:
            if stack.is_empty() or stack.pop() != PAIRS[ch]:
                return False
    return stack.is_empty()


def eval_postfix(tokens):
    """Evaluate a postfix expression given as a list of numbers and operators."""
    stack = Stack()
    for tok in tokens:
        if tok in ("+", "-", "*"):
            right = stack.pop()
            left = stack.pop()
            if tok == "+":
                stack.push(left + right)
            elif tok == "-":
                stack.push(left - right)
            else:
                stack.push(left * right)
        else:
            stack.push(tok)
    return stack.pop()
