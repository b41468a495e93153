"""calendar: Books property showings: availability, book, cancel, reschedule."""
