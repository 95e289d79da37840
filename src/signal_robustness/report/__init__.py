"""Reporting: tidy tables, paper layouts, figures."""
