"""The product's URLs plus the benchmark's ceiling view (ROOT_URLCONF when ``NEEDLECHART_BENCH=1``)."""

from django.urls import include, path

from needlechart.web import urls as product
from needlechart_bench import views

urlpatterns = [
    path("bench/ceiling/<uuid:patient_id>/", views.ceiling, name="bench_ceiling"),  # bench/bench_chart.py's ceiling
    path("", include(product)),
]

handler400 = product.handler400
handler403 = product.handler403
handler404 = product.handler404
handler500 = product.handler500
