"""The 12345 classifier: held-out accuracy on the fixed split and tickets per second, in
batches and one at a time (`python -m bench.hotline`; also part of `make bench`)."""

from __future__ import annotations

import time

from onething.hotline import classify


def main() -> None:
    corpus = classify.load_corpus()
    start = time.perf_counter()
    report = classify.evaluate(corpus)
    evaluated = time.perf_counter() - start
    print(
        f"{'hotline classifier, held-out ' + str(report.held_out):<48} "
        f"top-1 {report.top1:.1%}  top-3 {report.top3:.1%}  type {report.type_accuracy:.1%}  "
        f"category {report.category_accuracy:.1%}  ({evaluated:.1f} s to train and measure)"
    )
    start = time.perf_counter()
    model = classify.fit(corpus)
    print(f"{'hotline classifier, train on everything':<48} {time.perf_counter() - start:>10.2f} s")
    texts = [t.text for t in corpus.tickets]
    start = time.perf_counter()
    model.propose(texts)
    seconds = time.perf_counter() - start
    print(f"{'hotline proposals, one batch':<48} {len(texts) / seconds:>12,.0f} /s")
    n = 0
    start = time.perf_counter()
    while time.perf_counter() - start < 1.0:
        model.propose([texts[n % len(texts)]])
        n += 1
    seconds = time.perf_counter() - start
    print(f"{'hotline proposals, one at a time':<48} {n / seconds:>12,.0f} /s")


if __name__ == "__main__":
    main()
