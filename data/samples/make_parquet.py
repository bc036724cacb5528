"""Write data/samples/mcq_dict.parquet: multiple choice with the options as a dict (a struct column).

Run from the repo root: `python data/samples/make_parquet.py`. The problems are written for curate.
"""

from pathlib import Path

import polars as pl

ROWS = [
    ("What is $7 \\times 8$?", {"A": "54", "B": "56", "C": "58", "D": "64"}, "B", "arithmetic"),
    ("What is the perimeter of a square with side $9$?", {"A": "18", "B": "27", "C": "36", "D": "81"}, "C", "geometry"),
    ("Which of the following is equal to $\\frac{6}{8}$?", {"A": "$\\frac{2}{3}$", "B": "$\\frac{3}{4}$", "C": "$\\frac{4}{5}$", "D": "$\\frac{5}{6}$"}, "B", "prealgebra"),
    ("How many minutes are in $3.5$ hours?", {"A": "180", "B": "190", "C": "210", "D": "350"}, "C", "arithmetic"),
    ("What is the next prime after $31$?", {"A": "33", "B": "35", "C": "37", "D": "39"}, "C", "number theory"),
    ("Solve $5x = 45$.", {"A": "7", "B": "8", "C": "9", "D": "10"}, "C", "algebra"),
]


def main() -> Path:
    out = Path(__file__).with_name("mcq_dict.parquet")
    df = pl.DataFrame(
        {
            "question": [r[0] for r in ROWS],
            "choices": [r[1] for r in ROWS],
            "answer": [r[2] for r in ROWS],
            "subject": [r[3] for r in ROWS],
        }
    )
    df.write_parquet(out)
    return out


if __name__ == "__main__":
    print(main())
