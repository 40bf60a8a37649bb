-- Sybil resistance: every accepted report is stored, but only the first report of an identity
-- (a network or a client token bound to it) per service per report window is counted. The others
-- are kept with counted = false and left out of `counts`. Claims of "this identity has counted
-- here" live in signal_keys under external ids starting 'claim:' (pruned with the other keys).
ALTER TABLE signals ADD COLUMN counted boolean NOT NULL DEFAULT true;
COMMENT ON COLUMN counts.reporters IS
    'Distinct reporting networks (IPv4 /24, IPv6 /64) behind the counted reports; one per author for posts.';
