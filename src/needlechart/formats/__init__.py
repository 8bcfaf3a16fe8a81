"""The project's own date and number formats, by language (settings.FORMAT_MODULE_PATH).

Django's ``en`` formats are American (month first, "Feb. 23, 2000", "3 p.m."). needlechart's
English is the language of a Norwegian clinic, so its dates are day first and its times on the
24-hour clock, as the clinic writes them in Norwegian. A language without a module here keeps
Django's formats (``nb``: "23. februar 2000", "23.02.2000 14:30").
"""
