"""Reading and checking layers: readers per format, one validator per layer kind."""
