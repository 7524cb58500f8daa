"""A campaign as one self-contained HTML file: what it measured, how far to trust it, and what
the predictors learnt from it. `content` holds the data a report shows, `plots` draws its
static figures (matplotlib, inline SVG) and `html` lays it out; the services fill the content."""
