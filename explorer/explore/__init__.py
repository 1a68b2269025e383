"""``synod explore``: an interactive explorer of a model's states, in the browser.

- session.py: a model opened for exploring; states reached by paths of action labels,
  computed on demand and cached;
- state_view.py: any state as panels of rows (generic, or the model's own renderer),
  and the diff between two states;
- why.py: why a property is false (the votes behind a split decision, the operation a
  history cannot place);
- view.py: the JSON the page draws for one state;
- server.py: the HTTP server and JSON API (standard library);
- static/: the page (plain HTML, CSS and JavaScript; no build step, nothing external).

See docs/explore.md.
"""
