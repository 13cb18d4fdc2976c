"""Understand what residents type: find the section, feature, FAQ entry or live item asked about.

text.py normalises and analyses (through bot.japanese), topics.py lists what can be answered,
index.py ranks topics, answerer.py decides (answer, ask which one, or say it does not know),
live.py keeps staff-created items current, evaluation.py scores the question sets.
"""

from bot.answerer.answerer import Answer, Answerer, Outcome, Thresholds
from bot.answerer.build import build_answerer, open_answerer
from bot.answerer.live import LiveAnswerer
from bot.answerer.topics import Topic

__all__ = [
    "Answer",
    "Answerer",
    "LiveAnswerer",
    "Outcome",
    "Thresholds",
    "Topic",
    "build_answerer",
    "open_answerer",
]
