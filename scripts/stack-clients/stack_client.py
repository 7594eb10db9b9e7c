# stack_client.py - one handshake with Python's ssl module (OpenSSL), for scripts/make-stack-samples.sh.
# python3 stack_client.py ADDR PORT SNI|- [1.0|1.1|1.2|1.3|-] [ALPN,..|-]
# create_default_context() as an application would use it; the certificate is not checked.
import socket
import ssl
import sys

addr, port, sni = sys.argv[1], int(sys.argv[2]), sys.argv[3]
maxv = sys.argv[4] if len(sys.argv) > 4 else "-"
alpn = sys.argv[5] if len(sys.argv) > 5 else "-"
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
v = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1, "1.2": ssl.TLSVersion.TLSv1_2,
     "1.3": ssl.TLSVersion.TLSv1_3}
if maxv != "-":
    ctx.maximum_version = v[maxv]
    if v[maxv] < ssl.TLSVersion.TLSv1_2:
        ctx.minimum_version = v[maxv]
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # OpenSSL 3 refuses TLS < 1.2 at the default level
if alpn != "-":
    ctx.set_alpn_protocols(alpn.split(","))
with socket.create_connection((addr, port), timeout=5) as raw:
    with ctx.wrap_socket(raw, server_hostname=None if sni == "-" else sni) as s:
        print(s.version(), s.cipher()[0])
