"""Public views: pages (home, detail pages, lists, compare), browse (faceted list) and exports."""
