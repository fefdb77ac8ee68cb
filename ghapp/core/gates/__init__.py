"""The gates: tool findings, review gates, approvals, outcomes and summaries."""
