// stack_client.js - one handshake with Node.js's tls module (its bundled OpenSSL), for
// scripts/make-stack-samples.sh.  node stack_client.js ADDR PORT SNI|- [TLSv1|TLSv1.1|TLSv1.2|TLSv1.3|-] [ALPN,..|-]
// The certificate is not checked: the capture only needs the ClientHello.
'use strict';
const tls = require('tls');
const [addr, port, sni, maxv = '-', alpn = '-'] = process.argv.slice(2);
const opt = { host: addr, port: Number(port), rejectUnauthorized: false };
if (sni !== '-') opt.servername = sni;
if (alpn !== '-') opt.ALPNProtocols = alpn.split(',');
if (maxv !== '-') {
  opt.maxVersion = maxv;
  if (maxv === 'TLSv1' || maxv === 'TLSv1.1') {
    opt.minVersion = maxv;
    opt.ciphers = 'DEFAULT:@SECLEVEL=0'; // OpenSSL 3 refuses TLS < 1.2 at the default level
  }
}
const s = tls.connect(opt, () => {
  console.log(s.getProtocol(), s.getCipher().name);
  s.end();
});
s.setTimeout(5000, () => { console.error('timeout'); process.exit(1); });
s.on('error', (e) => { console.error(e.message); process.exit(1); });
