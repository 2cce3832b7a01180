"""Reports (统计报表) per school, bureau and province, with .xlsx exports and SVG charts."""
