"""The enrollment app's pages: `start` (child and services), `wizard` (one page per step, summary, confirmation),
`pages` (list, detail, withdrawal, receipt) and `school` (the school staff's files)."""
