"""Reports without identities: the daily counters (bot.store.counts) summed over a period, small counts
suppressed, as the supervisors' page, CSV and JSON show them."""
