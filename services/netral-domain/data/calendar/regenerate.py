"""Regenerate id-non-working-days.csv from python-holidays.

    pip install holidays==0.108
    python3 regenerate.py 2018 2027 > id-non-working-days.csv

Writes CRLF line endings (Python's csv default), as the shipped file has; the Rust loader
accepts CRLF and LF alike. Review the diff by hand: python-holidays marks Islamic dates it
projects rather than takes from a decree with "(estimated)".
"""

import csv
import sys

import holidays

first, last = int(sys.argv[1]), int(sys.argv[2])
public = holidays.Indonesia(years=range(first, last + 1), categories=("public",), language="en_US")
government = holidays.Indonesia(
    years=range(first, last + 1), categories=("government",), language="en_US"
)
both = holidays.Indonesia(
    years=range(first, last + 1), categories=("public", "government"), language="en_US"
)

out = csv.writer(sys.stdout)
out.writerow(["date", "kind", "name"])
for day, name in sorted(both.items()):
    kind = "collective_leave" if day in government and day not in public else "national_holiday"
    out.writerow([day.isoformat(), kind, name])
