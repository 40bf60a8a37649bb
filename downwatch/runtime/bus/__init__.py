"""The NATS JetStream spine between roles (`serve --role api|ingest|detect|write`).

``names``: the stream, subjects, partitions and KV buckets; ``codec``: a signal as bytes;
``connection``: connecting and declaring the stream and buckets; ``publisher``: publishing signals and
answering only after JetStream's acknowledgement; ``local_server``: a throw-away ``nats-server`` for
tests and benchmarks.
"""
