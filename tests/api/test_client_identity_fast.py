"""The C-parser path of ``api.client_identity`` answers exactly what the ``ipaddress`` path answers."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from api.client_identity import ClientIdentifier, _network_of_parsed, network_of

EDGES = ["01.2.3.4", "1.2.3.04", "1.2.3", "1.2.3.4 ", " 1.2.3.4", "::ffff:1.2.3.4", "::1.2.3.4", "1::",
         "fe80::1%eth0", "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3.4.5", "::", "1:2:3:4:5:6:7:8",
         "1:0:0:1::", "0:0:1::", "::ffff:0:0", "::ffff:ffff:ffff", "1.2.3.4/24", "", "0x1.2.3.4",
         "\uff11.2.3.4", "1:2:3:4:5:6:1.2.3.4", "::FFFF:1.2.3.4", "0000:0000:0000:0000:0000:ffff:0102:0304",
         "1.2.3.\u0664", "2001:DB8::1", "2001:0db8:0000:0000:0001:0000:0000:0001", "::1", "127.0.0.1%lo",
         "1:2::3:4", "1:2:3::", "0:0:0:1::", "a:b:c:d:e:f:a:b:c", "1::2::3", "::ffff:1.2.3.256"]


def _parsed_trust(identifier: ClientIdentifier, address: str) -> bool:
    return identifier._is_trusted_parsed(address)


def test_edges_agree() -> None:
    identifier = ClientIdentifier("k" * 32, ["127.0.0.1", "10.0.0.0/8", "2001:db8::/32", "::1"])
    for address in EDGES:
        assert network_of(address) == _network_of_parsed(address), address
        assert identifier._is_trusted(address) == _parsed_trust(identifier, address), address


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.ip_addresses().map(str), st.ip_addresses(v=6).map(lambda ip: ip.exploded.upper()),
                 st.text(alphabet="0123456789abcdefF:.%x ", max_size=24)))
def test_any_address_agrees(address: str) -> None:
    identifier = ClientIdentifier("k" * 32, ["127.0.0.0/8", "192.168.1.0/24", "fd00::/8", "::ffff:0:0/96"])
    assert network_of(address) == _network_of_parsed(address)
    assert identifier._is_trusted(address) == _parsed_trust(identifier, address)


def test_keyed_hash_is_hmac_sha256() -> None:
    import hashlib
    import hmac

    identifier = ClientIdentifier("secret-key")
    for text in ("network\n1.2.3.0/24", "", "\udcff surrogate"):
        expected = hmac.new(b"secret-key", text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
        assert identifier.keyed_hash(text) == expected[:32]
        assert identifier.keyed_hash(text) == expected[:32]  # the prepared key is not consumed


def test_ipv4_mapped_counts_as_ipv4() -> None:
    assert network_of("::ffff:81.2.3.4") == network_of("81.2.3.4") == "81.2.3.0/24"
    assert str(ipaddress.ip_network("2001:db8:1:2::/64")) == network_of("2001:db8:1:2:3:4:5:6")
