"""The web view (``sourcewatch serve``): server-rendered pages over the same service
functions as the CLI. Nothing here decides anything the CLI decides differently: the
queue, marks, conflicts, item details, source health, alert status, citations and
evidence bundles all come from the service packages; this layer parses the request,
checks who is asking, calls one service function, and renders HTML."""
