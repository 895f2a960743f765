"""Times pandas reading a roster workbook with the calamine engine, for BENCHMARKS.md.

Usage: python3 benches/pandas_read.py FILE.xlsx
Needs: pip install pandas python-calamine
Prints "seconds N" (wall time of read_excel alone) and the frame's shape.
"""

import sys
import time

import pandas


def main() -> None:
    path = sys.argv[1]
    started = time.perf_counter()
    frame = pandas.read_excel(path, engine="calamine")
    seconds = time.perf_counter() - started
    print(f"seconds {seconds:.3f}")
    print(f"shape {frame.shape[0]} x {frame.shape[1]}")


if __name__ == "__main__":
    main()
