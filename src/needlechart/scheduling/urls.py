"""The calendar's URLs, included under calendar/ by the web shell (web/urls.py)."""

from django.urls import path

from needlechart.scheduling import appointment_views, feed_views, outbox_views, setup_views, views, wait_list_views

urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("free/", views.free_times, name="free_times"),
    path("book/", views.booking, name="booking"),
    path("book/patients/", views.booking_patients, name="booking_patients"),
    path("appointments/<uuid:appointment_id>/", appointment_views.appointment_detail, name="appointment_detail"),
    path("appointments/<uuid:appointment_id>/move/", appointment_views.appointment_move, name="appointment_move"),
    path("appointments/<uuid:appointment_id>/cancel/", appointment_views.appointment_cancel, name="appointment_cancel"),
    path("appointments/<uuid:appointment_id>/status/", appointment_views.appointment_status, name="appointment_status"),
    path("appointments/<uuid:appointment_id>/visit/", appointment_views.appointment_visit, name="appointment_visit"),
    path("feed/", feed_views.my_feed, name="calendar_feed"),
    path("feed/<str:token>.ics", feed_views.feed_ics, name="calendar_feed_ics"),
    path("outbox/", outbox_views.outbox_failed, name="outbox_failed"),
    path("outbox/<uuid:message_id>/resend/", outbox_views.outbox_resend, name="outbox_resend"),
    path("wait-list/", wait_list_views.wait_list, name="wait_list"),
    path("wait-list/new/", wait_list_views.entry_new, name="wait_list_new"),
    path("wait-list/fits/", wait_list_views.fits_free_time, name="wait_list_fits"),
    path("wait-list/fits/<uuid:appointment_id>/", wait_list_views.fits_appointment, name="wait_list_fits_appointment"),
    path("wait-list/<uuid:wait_list_entry_id>/", wait_list_views.entry_edit, name="wait_list_entry"),
    path("wait-list/<uuid:wait_list_entry_id>/remove/", wait_list_views.entry_remove, name="wait_list_remove"),
    path("wait-list/<uuid:wait_list_entry_id>/offer/", wait_list_views.entry_offer, name="wait_list_offer"),
    path("wait-list/<uuid:wait_list_entry_id>/book/", wait_list_views.entry_book, name="wait_list_book"),
    path("wait-list/<uuid:wait_list_entry_id>/offer-time/", wait_list_views.entry_offer_time, name="wait_list_offer_time"),
    path("setup/", setup_views.calendar_setup, name="calendar_setup"),
    path("setup/rooms/new/", setup_views.room_edit, name="room_create"),
    path("setup/rooms/<uuid:room_id>/", setup_views.room_edit, name="room_edit"),
    path("setup/types/new/", setup_views.appointment_type_edit, name="appointment_type_create"),
    path("setup/types/<uuid:appointment_type_id>/", setup_views.appointment_type_edit, name="appointment_type_edit"),
    path("setup/hours/", setup_views.working_hours, name="working_hours"),
    path("setup/hours/<uuid:working_hours_id>/remove/", setup_views.working_hours_remove, name="working_hours_remove"),
    path(
        "setup/exceptions/<uuid:schedule_exception_id>/remove/",
        setup_views.schedule_exception_remove,
        name="schedule_exception_remove",
    ),
]
