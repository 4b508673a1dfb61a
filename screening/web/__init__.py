"""The web edge: patient self-screening, the staff area and the JSON API (``screening serve``)."""
