"""Stand-ins for hardware libraries, so measurement code is tested on machines without a GPU."""
