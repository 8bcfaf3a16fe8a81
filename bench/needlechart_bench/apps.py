from django.apps import AppConfig


class NeedlechartBenchConfig(AppConfig):
    """``needlechart synthetic`` and the ceiling view; installed only when ``NEEDLECHART_BENCH=1``."""

    name = "needlechart_bench"
    verbose_name = "Needlechart benchmarks"
