"""The embedded local status page: a small Statuspage-v1-speaking web app (not the adapter
that publishes *to* Statuspage).

* :mod:`.app` -- ``create_app``: the routes put together (the contract of every route);
* :mod:`.publisher_api` (``/v1``, authenticated), :mod:`.public_api` (``/api/v2``) and
  :mod:`.human_page` (``/``, HTML) -- the routes; :mod:`.validation` -- what a request
  may hold; :mod:`.guard` -- authentication, headers, ``.json`` paths, 500s;
  :mod:`.status` -- the overall status, title, times and words the page shows;
  :mod:`.markdown` -- the safe Markdown subset of updates and post-mortems;
* :mod:`.store` -- the page's SQLite file (:mod:`.schema`: tables and whose file it is;
  :mod:`.records`: rows as Statuspage objects);
* :mod:`.serve` -- running it under uvicorn, blocking or in a background thread.

No Textual, no Rich: the page runs without the dashboard.
"""
