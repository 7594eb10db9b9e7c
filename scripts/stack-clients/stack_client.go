// stack_client.go - one crypto/tls handshake, for scripts/make-stack-samples.sh.
// go run stack_client.go -addr 127.0.0.30:443 [-sni NAME] [-alpn h2,http/1.1] [-max 1.0|1.1|1.2|1.3]
// The server certificate is not checked: the capture only needs the ClientHello the stack sends.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	addr := flag.String("addr", "127.0.0.30:443", "server")
	sni := flag.String("sni", "", "server name (empty: none)")
	alpn := flag.String("alpn", "", "ALPN protocols, comma separated")
	max := flag.String("max", "", "highest version")
	flag.Parse()
	versions := map[string]uint16{"1.0": tls.VersionTLS10, "1.1": tls.VersionTLS11, "1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13}
	cfg := &tls.Config{InsecureSkipVerify: true, ServerName: *sni}
	if *alpn != "" {
		cfg.NextProtos = strings.Split(*alpn, ",")
	}
	if *max != "" {
		cfg.MaxVersion = versions[*max]
		if cfg.MaxVersion < tls.VersionTLS12 {
			cfg.MinVersion = cfg.MaxVersion // Go 1.18+ clients default to a TLS 1.2 minimum
		}
	}
	c, err := tls.Dial("tcp", *addr, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	st := c.ConnectionState()
	fmt.Printf("%x %x\n", st.Version, st.CipherSuite)
	c.Close()
}
