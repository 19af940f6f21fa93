package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// site is the repository's nginx site (nginx/drover.conf and its proxy
// snippet) rendered for one upstream of the benchmark.
type site struct {
	Conf      string // the rendered site, to include in the http block
	HTTPSPort int    // where it serves
	Upstream  string // its upstream block's name: "drover", or the upstream's
	Snippet   string // its rendered proxy snippet, for the plain-HTTP server
	PlainPort int    // where bench.conf.tmpl's plain-HTTP server proxies with it
}

// siteSpec says how to render the repository's site.
type siteSpec struct {
	repo, dir string // the repository; where the rendered files go
	name      string // "drover", or another upstream's name
	socket    string // the upstream's unix socket
	cert, key string // PEM files of the TLS certificate
}

// replace applies each old → new pair to s, and fails naming the first old
// string that is not there: the site changed and the harness must follow.
func replace(file, s string, pairs ...string) (string, error) {
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			return "", fmt.Errorf("%s no longer contains %q: update bench/site.go", file, pairs[i])
		}
		s = strings.ReplaceAll(s, pairs[i], pairs[i+1])
	}
	return s, nil
}

// renderSite renders nginx/drover.conf as the integration tests do: the
// run's ports on loopback (no IPv6 listeners), the upstream's socket, the
// certificate, a static directory, the snippet by absolute path. For an
// upstream other than drover, the names an http block may hold once (the
// upstream, the login rate-limit zone, the request-ID variable, the TLS
// session cache, limit_req_status) are changed or dropped, so that both
// sites can be served by one nginx.
func renderSite(sp siteSpec) (site, error) {
	var st site
	conf, err := os.ReadFile(filepath.Join(sp.repo, "nginx", "drover.conf"))
	if err != nil {
		return st, fmt.Errorf("the repository's nginx site: %w", err)
	}
	snippet, err := os.ReadFile(filepath.Join(sp.repo, "nginx", "snippets", "drover-proxy.conf"))
	if err != nil {
		return st, fmt.Errorf("the repository's nginx site: %w", err)
	}
	httpPort, err := freePort()
	if err != nil {
		return st, err
	}
	if st.HTTPSPort, err = freePort(); err != nil {
		return st, err
	}
	if st.PlainPort, err = freePort(); err != nil {
		return st, err
	}
	static := filepath.Join(sp.dir, sp.name+"-static")
	if err := os.MkdirAll(static, 0o755); err != nil {
		return st, err
	}
	snippetPath := filepath.Join(sp.dir, sp.name+"-proxy.conf")
	s, err := replace("nginx/drover.conf", string(conf),
		"listen 80;", fmt.Sprintf("listen 127.0.0.1:%d;", httpPort),
		"listen [::]:80;", "",
		"listen 443 ssl http2;", fmt.Sprintf("listen 127.0.0.1:%d ssl http2;", st.HTTPSPort),
		"listen [::]:443 ssl http2;", "",
		"/run/drover.sock", sp.socket,
		"/etc/letsencrypt/live/example.com/fullchain.pem", sp.cert,
		"/etc/letsencrypt/live/example.com/privkey.pem", sp.key,
		"/srv/drover/static/", static+"/",
		"include snippets/drover-proxy.conf;", "include "+snippetPath+";",
	)
	if err != nil {
		return st, err
	}
	snip := string(snippet)
	if sp.name != "drover" {
		if s, err = replace("nginx/drover.conf", s,
			"upstream drover ", "upstream "+sp.name+" ",
			"zone=drover_login", "zone="+sp.name+"_login",
			"$drover_request_id", "$"+sp.name+"_request_id",
			"shared:DroverSSL", "shared:"+sp.name+"SSL",
			"limit_req_status 429;", "",
		); err != nil {
			return st, err
		}
		if snip, err = replace("nginx/snippets/drover-proxy.conf", snip,
			"http://drover;", "http://"+sp.name+";",
			"$drover_request_id", "$"+sp.name+"_request_id",
		); err != nil {
			return st, err
		}
	}
	if err := os.WriteFile(snippetPath, []byte(snip), 0o600); err != nil {
		return st, err
	}
	st.Upstream, st.Snippet = sp.name, snippetPath
	st.Conf = filepath.Join(sp.dir, sp.name+"-site.conf")
	return st, os.WriteFile(st.Conf, []byte(s), 0o600)
}

// selfSigned writes a certificate and key for 127.0.0.1 into dir and
// returns their paths and an HTTP client that trusts the certificate.
func selfSigned(dir string) (certFile, keyFile string, client *http.Client, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "drover bench"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", nil, err
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return "", "", nil, err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return "", "", nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", "", nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	return certFile, keyFile, client, nil
}
