"""The roles of a NATS deployment (`downwatch serve --role ...`): ``api`` answers HTTP and publishes
reports, ``ingest`` runs sources into the stream, ``write`` batches the stream into PostgreSQL, and
``detect`` scores the partitions it owns. ``all`` (the default) is the single process without NATS.
"""
