"""The answerer in process: what a question costs, what loading costs, what the dictionary weighs.

Every evaluation question of both packs (tests/answerer/questions_<pack>.yaml) is asked several
times over; each answer is timed on its own, by the wall clock (perf_counter) and by the CPU time
of this thread (thread_time: what the question costs, without the time other processes on a busy
machine take the core away).

    python -m bench.answerer            # 5 passes
    python -m bench.answerer --full     # 20 passes
"""

from __future__ import annotations

import argparse
import gc
import time

from bench.common import ROOT, percentile, report, rss_mb

PACKS = ("tomioka", "matsumoto")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    passes = 20 if args.full else 5

    before = rss_mb()
    from bot import japanese

    started = time.perf_counter()
    japanese.load()
    japanese.analyse("辞書を読み込む")
    dictionary_seconds = time.perf_counter() - started
    dictionary_mb = rss_mb() - before

    from bot.answerer import build_answerer
    from bot.answerer.evaluation import load_questions
    from bot.content import load_pack, load_pack_catalog

    content = ROOT / "content"
    figures: dict[str, object] = {
        "dictionary load (s)": round(dictionary_seconds, 2),
        "dictionary RSS (MB)": round(dictionary_mb, 1),
    }
    timings: list[float] = []
    cpu_times: list[float] = []
    for name in PACKS:
        pack = load_pack(content, name)
        started = time.perf_counter()
        answerer = build_answerer(content, pack, load_pack_catalog(content, pack))
        figures[f"{name}: answerer built (ms)"] = round((time.perf_counter() - started) * 1000, 1)
        path = ROOT / "tests" / "answerer" / f"questions_{name}.yaml"
        questions = [question.text for question in load_questions(path)]
        own: list[float] = []
        gc.collect()
        for _ in range(passes):
            # Each pass decides every question afresh (the same text is answered from memory).
            answerer.forget_answers()
            for text in questions:
                started, cpu = time.perf_counter(), time.thread_time()
                answerer.answer(text)
                own.append((time.perf_counter() - started) * 1000)
                cpu_times.append((time.thread_time() - cpu) * 1000)
        figures[f"{name}: questions asked"] = len(own)
        figures[f"{name}: p50 (ms)"] = round(percentile(own, 0.5), 3)
        figures[f"{name}: p99 (ms)"] = round(percentile(own, 0.99), 3)
        timings += own
    p99 = percentile(timings, 0.99)
    cpu_p99 = percentile(cpu_times, 0.99)
    figures["all: p50 (ms)"] = round(percentile(timings, 0.5), 3)
    figures["all: p99 (ms)"] = round(p99, 3)
    figures["all: max (ms)"] = round(max(timings), 3)
    figures["all: CPU time p50 (ms)"] = round(percentile(cpu_times, 0.5), 3)
    figures["all: CPU time p99 (ms)"] = round(cpu_p99, 3)
    figures["process RSS with both answerers (MB)"] = round(rss_mb(), 1)
    goals = {
        "a question costs at most 5 ms p99 (CPU time)": cpu_p99 <= 5.0,
        "a question takes at most 5 ms p99 (wall clock)": p99 <= 5.0,
    }
    report("answerer", figures, goals)


if __name__ == "__main__":
    main()
