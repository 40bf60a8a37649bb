"""Process wiring: the composition root that builds and runs downwatch's processes.

The spine (records, errors, config, catalog, store, clock) sits below this package and never
imports it; everything that joins the API, the ingesters and the detector into a running
process lives here, together with the command line.
"""
