"""Lessons 07-08's figures, measured: n-gram baselines vs the notebooks' full-mode LSTM and transformer.

Run with ``make bench`` (or ``python benchmarks/music.py``); about 13-20 minutes on a 2-core
laptop CPU (771 s measured with the transformer added, on a busy 2-core machine). On the documented
grouped split (see artlab.music.corpus) it prints

1. held-out NLL in nats per note (and per token) on the test melodies for a unigram, a
   bigram, the best Kneser-Ney n-gram (order up to 64 and discount scale chosen on the
   validation melodies), the LSTM of lesson 07's full-mode recipe, on the Essen folk songs
   and on the chorale melodies, and lesson 08's transformer (same folk tokens, split and
   wall-clock budget as the LSTM);
2. the composers' training wall time, steps and CPU threads (and the machine's load);
3. sampling speed (64 bars);
4. the metrics of 50 generated melodies next to 50 real test melodies: pitch-class
   distance to the training corpus, in-key share, pitch range, notes per bar,
   repetition, and the longest span copied verbatim from the training set.

``--quick`` shrinks everything to check that the script runs (figures meaningless).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import artlab  # noqa: E402
from _report import Report  # noqa: E402
from artlab.music.composers import build_composer, count_parameters  # noqa: E402
from artlab.music.corpus import load_corpus  # noqa: E402
from artlab.music.melody import normalise_key  # noqa: E402
from artlab.music.metrics import CopyIndex, compare_to_corpus, evaluate_nll, report_from_token_nll  # noqa: E402
from artlab.music.ngram import KneserNey, bigram_nll  # noqa: E402
from artlab.music.recipes import CHORALES, FOLK, FOLK_TRANSFORMER, token_splits  # noqa: E402
from artlab.music.sample import compose, compose_many  # noqa: E402
from artlab.music.tokens import Vocabulary  # noqa: E402
from artlab.music.train import train_composer  # noqa: E402


def best_kneser_ney(train, valid, vocab, max_order, scales):
    """Order and discount scale with the lowest validation NLL; returns (model, order, scale, seconds)."""
    started = time.perf_counter()
    best = None
    for scale in scales:
        curve = KneserNey(max_order, len(vocab), discount_scale=scale).fit(train).nll_by_order(valid)
        for order, nll in curve.items():
            if best is None or nll.mean() < best[0]:
                best = (float(nll.mean()), order, scale)
    _, order, scale = best
    return KneserNey(order, len(vocab), discount_scale=scale).fit(train), order, scale, time.perf_counter() - started


def baselines(name, data, vocab, max_order, scales, extra_train=None):
    """Rows for unigram, bigram and best n-gram (and, with extra_train, the best n-gram on more data)."""
    rows = []
    for label, order in (("unigram (KN order 1)", 1), ("bigram (KN order 2)", 2)):
        model = KneserNey(order, len(vocab)).fit(data["train"])
        test = report_from_token_nll(model.nll(data["test"]), data["test"], vocab)
        rows.append({"data": name, "model": label, "valid/note": report_from_token_nll(
            model.nll(data["valid"]), data["valid"], vocab).per_note, "test/note": test.per_note,
            "test/token": test.per_token})
    alpha = min((0.01, 0.03, 0.1, 0.3, 1.0), key=lambda a: bigram_nll(data["train"], data["valid"], len(vocab), a).mean())
    test = report_from_token_nll(bigram_nll(data["train"], data["test"], len(vocab), alpha), data["test"], vocab)
    rows.append({"data": name, "model": f"bigram add-{alpha} (exercise)", "valid/note": report_from_token_nll(
        bigram_nll(data["train"], data["valid"], len(vocab), alpha), data["valid"], vocab).per_note,
        "test/note": test.per_note, "test/token": test.per_token})
    # with extra_train: the same search on more data (the fine-tuned LSTM saw the folk songs too)
    candidates = [("", data["train"], max_order)] + (
        [(" + folk data", data["train"] + extra_train, min(max_order, 32))] if extra_train else [])
    best_row = None
    for suffix, train, orders in candidates:
        model, order, scale, seconds = best_kneser_ney(train, data["valid"], vocab, orders, scales)
        valid = report_from_token_nll(model.nll(data["valid"]), data["valid"], vocab)
        test = report_from_token_nll(model.nll(data["test"]), data["test"], vocab)
        row = {"data": name, "model": f"Kneser-Ney order {order}, discount x{scale}{suffix} ({seconds:.0f} s)",
               "valid/note": valid.per_note, "test/note": test.per_note, "test/token": test.per_token}
        rows.append(row)
        if best_row is None or row["valid/note"] < best_row["valid/note"]:
            best_row = row
    return rows, best_row


def train_recipe(recipe, data, vocab, start=None):
    artlab.set_seed(0)
    model = build_composer(recipe.model_config(vocab), vocab)
    if start is not None:
        model.load_state_dict(start.state_dict())
    cpu, load = time.process_time(), os.getloadavg()[0]
    result = train_composer(model, data["train"], data["valid"], vocab, recipe.train_config(), desc=recipe.name)
    return model, result, time.process_time() - cpu, max(load, os.getloadavg()[0])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny budgets: check that the script runs")
    args = parser.parse_args(argv)
    if args.quick:
        os.environ["ARTLAB_FAST"] = "1"
    os.environ.setdefault("ARTLAB_PROGRESS", "0")
    torch.set_num_threads(1)  # as lesson 07 does: robust on a busy machine (see artlab.music.train.cpu_threads)
    max_order, scales = (8, (1.0,)) if args.quick else (64, (0.8, 1.0, 1.25, 1.5))
    limit = 200 if args.quick else None
    started = time.perf_counter()
    report = Report("music", "Lessons 07-08: n-gram baselines, the LSTM and the transformer composer", write=not args.quick)
    vocab = Vocabulary()
    corpus = load_corpus()
    folk = token_splits(FOLK.collections, vocab, corpus=corpus, limit=limit)
    chorales = token_splits(CHORALES.collections, vocab, corpus=corpus, limit=limit)
    print(f"artlab {artlab.__version__}, torch {torch.__version__}, {torch.get_num_threads()} CPU threads, "
          f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at start"
          + (" [--quick: figures meaningless]" if args.quick else ""))
    report.table([{"data": n, **{s: f"{len(d[s])} melodies, {sum(vocab.events_of(x) for x in d[s])} notes" for s in d}}
           for n, d in (("folk (Essen)", folk), ("chorales", chorales))], "Data (grouped split, keys normalised)")

    folk_rows, folk_best = baselines("folk", folk, vocab, max_order, scales)
    chorale_rows, chorale_best = baselines("chorales", chorales, vocab, max_order, scales, extra_train=folk["train"])

    folk_model, folk_result, folk_cpu, folk_load = train_recipe(FOLK, folk, vocab)
    tf_model, tf_result, tf_cpu, tf_load = train_recipe(FOLK_TRANSFORMER, folk, vocab)
    chorale_model, chorale_result, chorale_cpu, chorale_load = train_recipe(CHORALES, chorales, vocab,
                                                                            start=folk_model)
    rows = folk_rows
    lstm_folk = {}
    for name, data, model, result, cpu, best in (("folk", folk, folk_model, folk_result, folk_cpu, folk_best),
                                                 ("folk", folk, tf_model, tf_result, tf_cpu, folk_best),
                                                 ("chorales", chorales, chorale_model, chorale_result, chorale_cpu,
                                                  chorale_best)):
        if name == "chorales":
            rows += chorale_rows
        valid, test = evaluate_nll(model, data["valid"], vocab), evaluate_nll(model, data["test"], vocab)
        kind = "transformer" if model is tf_model else "LSTM"
        label = {"transformer": "transformer (lesson 08's recipe)", "LSTM": "LSTM (lesson 07's recipe"
                 + (", fine-tuned from folk)" if name == "chorales" else ")")}[kind]
        rows.append({"data": name, "model": label, "valid/note": valid.per_note, "test/note": test.per_note,
                     "test/token": test.per_token})
        rows.append({"data": name, "model": f"  {kind} better than best n-gram by", "valid/note":
                     f"{1 - valid.per_note / best['valid/note']:.1%}", "test/note": f"{1 - test.per_note / best['test/note']:.1%}",
                     "test/token": ""})
        if kind == "LSTM" and name == "folk":
            lstm_folk = {"valid/note": valid.per_note, "test/note": test.per_note}
        elif kind == "transformer":
            rows.append({"data": name, "model": "  transformer better than LSTM by", "valid/note":
                         f"{1 - valid.per_note / lstm_folk['valid/note']:.1%}",
                         "test/note": f"{1 - test.per_note / lstm_folk['test/note']:.1%}", "test/token": ""})
    report.table(rows, "Held-out NLL (nats per note: a note or a rest; per token for reference)")

    report.table([{"recipe": r.name, "parameters": count_parameters(m), "steps": res.steps, "stopped": res.stopped,
            "best step": res.best_step, "wall s": round(res.seconds, 1), "CPU s": round(cpu, 1),
            "threads": torch.get_num_threads(), "load (max)": round(load, 1)}
           for r, m, res, cpu, load in ((FOLK, folk_model, folk_result, folk_cpu, folk_load),
                                        (FOLK_TRANSFORMER, tf_model, tf_result, tf_cpu, tf_load),
                                        (CHORALES, chorale_model, chorale_result, chorale_cpu, chorale_load))],
          "Training (budget: at most 180 s folk LSTM and transformer, 90 s chorales, one thread; wall time "
          "includes validation; load: the 1-minute load average, 2 cores)")

    speed_rows = []
    for kind, model in (("LSTM", folk_model), ("transformer", tf_model)):
        speeds = []
        for seed in range(5):
            t = time.perf_counter()
            melody = compose(model, vocab, bars=64, seed=seed, meter="4/4")
            speeds.append(time.perf_counter() - t)
        t = time.perf_counter()
        batch = compose_many(model, vocab, 50, bars=16, seed=0)
        batch_seconds = time.perf_counter() - t
        speed_rows += [{"model": kind, "what": "one melody of 64 bars (4/4)", "seconds": statistics.median(speeds),
                        "events": len(melody)},
                       {"model": kind, "what": "50 melodies of 16 bars, one batch", "seconds": batch_seconds,
                        "events": sum(len(m) for m in batch)}]
    report.table(speed_rows, "Sampling speed (folk models, temperature 1.0; one melody: median of 5)")

    n = 10 if args.quick else 50
    for name, model, collection, data_melodies in (
            ("folk", folk_model, "essen", FOLK.collections), ("folk transformer", tf_model, "essen", FOLK.collections),
            ("chorales", chorale_model, "chorales", CHORALES.collections)):
        train_melodies = [normalise_key(m) for m in corpus.melodies(data_melodies, "train")]
        index = CopyIndex(train_melodies)
        real = [normalise_key(m) for m in corpus.melodies(data_melodies, "test")][:n]
        rows = [{"melodies": f"{n} real test melodies", **compare_to_corpus(real, train_melodies, index)}]
        for temperature in (0.8, 1.0, 1.2):
            generated = compose_many(model, vocab, n, bars=16, temperature=temperature, seed=1)
            rows.append({"melodies": f"{n} generated, T={temperature}", **compare_to_corpus(generated, train_melodies, index)})
        generated = compose_many(model, vocab, n, bars=16, top_p=0.9, seed=2)
        rows.append({"melodies": f"{n} generated, top-p 0.9", **compare_to_corpus(generated, train_melodies, index)})
        report.table(rows, f"Melodies ({name} model, 16 bars) against the {collection} training melodies")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    report.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
