"""Public notices (公示): hardship determinations, grant recipients and scholarship
recommendations posted for a minimum number of working days, with objections."""
