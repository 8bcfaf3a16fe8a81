"""English as a Norwegian clinic writes it: day first, 24-hour time, Monday first.

No format ends in a full stop (Django's "N" month and "P" time do: "Feb.", "p.m."), so a date or
time at the end of a sentence ("Intake of %(when)s.") never doubles it.
"""

DATE_FORMAT = "j M Y"  # 23 Feb 2000
TIME_FORMAT = "H:i"  # 14:30
DATETIME_FORMAT = "j M Y H:i"  # 23 Feb 2000 14:30
YEAR_MONTH_FORMAT = "F Y"  # February 2000
MONTH_DAY_FORMAT = "j F"  # 23 February
SHORT_DATE_FORMAT = "d/m/Y"  # 23/02/2000
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # 23/02/2000 14:30
FIRST_DAY_OF_WEEK = 1  # Monday

# What a typed date may look like (Django adds the ISO formats, which date pickers send, if missing):
# day first only, never month first.
DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2000-02-23
    "%d/%m/%Y",  # 23/02/2000
    "%d.%m.%Y",  # 23.02.2000
    "%d/%m/%y",  # 23/02/00
    "%d.%m.%y",  # 23.02.00
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
